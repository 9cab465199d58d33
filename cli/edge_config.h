// edge.yaml for `edgekit render`: loading (YAML -> edgekit.edge.v1.EdgeConfig with
// unknown keys rejected), defaults, and the checks run before anything is rendered.
// Errors are InvalidArgument "<source>: <key.path>: <what is wrong>" (YAML syntax and
// schema errors also carry line:col), or an I/O code naming the file.
#ifndef EDGEKIT_CLI_EDGE_CONFIG_H_
#define EDGEKIT_CLI_EDGE_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Envoy's default compressor content types, used when gzip.content_types is empty.
extern const char* const kDefaultGzipContentTypes[8];

// Reads and parses `path` ("-" is not supported: render needs a file name for errors).
absl::StatusOr<edge::v1::EdgeConfig> LoadEdgeConfig(const std::string& path);

// Parses edge.yaml text already read; `source` names it in messages (where LoadEdgeConfig
// puts the path). Used by the fuzz target tests/fuzz.
absl::StatusOr<edge::v1::EdgeConfig> LoadEdgeConfigText(std::string_view text,
                                                        const std::string& source);

// Fills every unset field of `config` with its documented default.
void ApplyEdgeDefaults(edge::v1::EdgeConfig* config);

// Checks a config with defaults applied; `source` names it in messages ("edge.yaml",
// "command line"). Returns the first problem found.
absl::Status ValidateEdgeConfig(const edge::v1::EdgeConfig& config, const std::string& source);

bool GzipEnabled(const edge::v1::EdgeConfig& config);
bool ExtAuthzEnabled(const edge::v1::EdgeConfig& config);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_CONFIG_H_
