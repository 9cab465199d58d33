// The one interface every feature of `edgekit render` implements (gzip, transcoding,
// direct responses, routes, ext_authz), so the pipeline (pipeline.h) runs them all the same
// way: defaults for every feature, then validation and rendering for the enabled ones.
//
// A feature object lives for one render: what Validate works out (compiled rules, ...) is
// kept for Render instead of being computed twice, and a later feature may read an earlier
// one's results through the accessors its own header declares (routes reads the gRPC
// services transcoding found and the rules direct responses compiled).
#ifndef EDGEKIT_CLI_RENDER_FEATURE_H_
#define EDGEKIT_CLI_RENDER_FEATURE_H_

#include <vector>

#include "absl/status/status.h"
#include "cli/render/rendered_file.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

class Feature {
 public:
  virtual ~Feature() = default;

  // Whether the config turns it on (its section is present and not `enabled: false`).
  virtual bool Enabled(const edge::v1::EdgeConfig& config) const = 0;

  // Fills the unset fields of its section with their defaults (whether or not enabled,
  // so a disabled section reads the same as an enabled one).
  virtual void ApplyDefaults(edge::v1::EdgeConfig* config) const = 0;

  // Checks its section of a config with defaults applied. InvalidArgument
  // "<source>: <key.path>: <problem>"; warnings go to context.warnings.
  virtual absl::Status Validate(const edge::v1::EdgeConfig& config,
                                const RenderContext& context) = 0;

  // Appends its output files (names from output_files.h) to `files`. Called only after
  // Validate succeeded, for every enabled feature in pipeline order.
  virtual absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                              std::vector<RenderedFile>* files) = 0;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_FEATURE_H_
