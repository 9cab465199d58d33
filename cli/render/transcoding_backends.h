// The gRPC backends behind the gateway's one transcoder (transcoding.h): the top-level
// fields of edge.yaml's `transcoding` and each transcoding.backends entry, with where
// each came from (a team's file, when composed) for messages, and the checks that need no
// descriptor.
#ifndef EDGEKIT_CLI_RENDER_TRANSCODING_BACKENDS_H_
#define EDGEKIT_CLI_RENDER_TRANSCODING_BACKENDS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/render/team_composition.h"
#include "cli/render/transcoding_guardrails.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// One gRPC backend of the transcoder: the top-level fields of `transcoding` (when they
// name a descriptor source) or an entry of transcoding.backends, with the key path its
// messages use.
struct Backend {
  std::string key;  // "transcoding" or "transcoding.backends[i]" (in the team's file)
  edge::v1::TranscodingBackend spec;
  std::string source;  // the file messages name: edge.yaml, or "<team file>:<line>:<col>"
  std::string team;    // the owning team, when composed from team files
};

// The backend the top-level fields of `t` make: when any of them is given, or when there
// is no transcoding.backends entry (then its own checks say what is missing).
std::optional<edge::v1::TranscodingBackend> TopLevelBackend(const edge::v1::Transcoding& t);

// The backends of `t`, in order: the top-level one first (when its fields are given, or
// when there is no other), then transcoding.backends, named after their team's file when
// `composition` says where they came from.
std::vector<Backend> BackendsOf(const edge::v1::Transcoding& t, const std::string& source,
                                const Composition* composition);

// A backend's own checks (descriptor source, services, destination); `listed_services`
// collects the services listed so far (and where), so one listed twice is an error
// naming both places.
absl::Status ValidateBackend(const Backend& backend,
                             std::map<std::string, std::string>* listed_services);

// What messages call a backend's key: just the key in a single edge.yaml; with the team
// and its file when composed.
std::string Label(const Backend& b, const std::string& key);

// The backend as the guardrails (transcoding_guardrails.h) name it.
BackendRef Ref(const Backend& b);

// "package.Service" (or "Service" for a file without a package).
bool IsServiceName(const std::string& s);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_TRANSCODING_BACKENDS_H_
