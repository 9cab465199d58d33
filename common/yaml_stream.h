// The one way YAML enters edgekit (edge.yaml, broker config, manifests, CRD files).
// yaml-cpp 0.7.0 (Debian 12) has two hazards no caller should meet again:
//  - `YAML::LoadAll` loops forever, allocating, on a stray token after a flow collection
//    (`{},`, `[],`, `{a: b},\n c: d`): its parser returns an empty document without
//    consuming the token, again and again (fixed upstream after 0.8.0);
//  - aliases are shared, not copied, so a few hundred bytes of `&a [*b, *b, ...]` levels
//    describe billions of nodes to anything that walks the tree.
// So every stream is first run through yaml-cpp's event parser with a guard that stops at
// a document that starts where the previous one started (no progress) and counts nodes
// with each alias at the full size of what it names; only a stream that passed is built
// into nodes (the same parser on the same text then terminates, and walking the result
// visits at most `max_nodes` nodes). Cyclic aliases are refused too.
#ifndef EDGEKIT_COMMON_YAML_STREAM_H_
#define EDGEKIT_COMMON_YAML_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/file_read.h"
#include "yaml-cpp/yaml.h"

namespace edgekit {

struct YamlLimits {
  size_t max_bytes;   // of the text (files are read under the same cap)
  int64_t max_nodes;  // in the whole stream, every alias counted at its expanded size
};

// Configs written by people (edge.yaml, broker config): the largest real ones are
// blocklists of ~100,000 entries.
inline constexpr YamlLimits kConfigYamlLimits{8u << 20, 1'000'000};
// Manifests and CRD dumps (`kubectl get crd -o yaml` of a whole cluster): Istio's 1.30
// CRDs are 0.9 MB and 32,000 nodes.
inline constexpr YamlLimits kManifestYamlLimits{kMaxInputFileBytes, 4'000'000};

// Parses a multi-document stream. Errors are InvalidArgument
// "<source>:<line>:<col>: invalid YAML: <what>" (syntax, no progress, alias cycle) or
// ResourceExhausted "<source>: ..." naming the exceeded limit.
absl::StatusOr<std::vector<YAML::Node>> ParseYamlStream(absl::string_view text,
                                                        absl::string_view source,
                                                        const YamlLimits& limits);

// Reads `path` under `limits.max_bytes` (I/O errors as common/file_read.h) and parses it.
absl::StatusOr<std::vector<YAML::Node>> ReadYamlFile(const std::string& path,
                                                     const YamlLimits& limits);

// "<source>:<line>:<col>: " for a node's position, or "<source>: " when it has none.
std::string YamlLocation(absl::string_view source, const YAML::Mark& mark);

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_YAML_STREAM_H_
