// The render pipeline: every feature of `edgekit render` in one order, run the same way.
//
//   defaults:  gateway, then each feature's section (enabled or not)
//   validate:  gateway, then each enabled feature; at least one must be enabled
//   render:    each enabled feature, in order: gzip, transcoding, direct_responses,
//              routes (needs the two before it), ext_authz, gateway_topology (the
//              istio/gateway values: trusted proxies, the descriptor's volume)
// and the files sorted as output_files.h lists them. Nothing is written here (see
// output_writer.h): a failure anywhere leaves no output behind. RenderEdgeFile is the
// whole of it for one file (teams composed first), for render, explain and test.
#ifndef EDGEKIT_CLI_RENDER_PIPELINE_H_
#define EDGEKIT_CLI_RENDER_PIPELINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/render/feature.h"
#include "cli/render/rendered_file.h"
#include "cli/render/team_composition.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// One render's features. Validate must succeed before Render (features keep what
// validation worked out for rendering).
class RenderPipeline {
 public:
  RenderPipeline();

  void ApplyDefaults(edge::v1::EdgeConfig* config) const;
  absl::Status Validate(const edge::v1::EdgeConfig& config, const RenderContext& context);
  absl::StatusOr<std::vector<RenderedFile>> Render(const edge::v1::EdgeConfig& config,
                                                   const RenderContext& context);

 private:
  std::vector<std::unique_ptr<Feature>> features_;
  bool validated_ = false;
};

// The pipeline's steps on their own, for callers holding one config (tests, fuzzers).
void ApplyEdgeDefaults(edge::v1::EdgeConfig* config);
absl::Status ValidateEdgeConfig(const edge::v1::EdgeConfig& config, const std::string& source);
// Validates (defaults already applied) and renders.
absl::StatusOr<std::vector<RenderedFile>> RenderEdgeConfig(const edge::v1::EdgeConfig& config,
                                                           const RenderContext& context);

// An edge.yaml (or platform.yaml) rendered in memory: what `render` writes and what
// `explain` / `test` read back.
struct RenderedEdge {
  edge::v1::EdgeConfig config;  // composed, defaults applied
  Composition composition;      // teams empty for a single author
  std::vector<RenderedFile> files;
  std::vector<std::string> warnings;  // "<source>: <key.path>: warning: ..."
  std::vector<std::string> notes;     // what edgekit decided (RenderContext.notes)
  std::string base_dir = ".";         // the file's directory
};

// Loads `path` ("-" reads stdin), composes its teams, applies defaults, validates and
// renders. Errors as RunRender's (InvalidArgument "<source>: <key.path>: ...", NotFound...).
absl::StatusOr<RenderedEdge> RenderEdgeFile(const std::string& path);

// The same for a config already built (the `render` one-liners); `source` names it.
absl::StatusOr<RenderedEdge> RenderEdge(edge::v1::EdgeConfig config, const std::string& source,
                                        const std::string& base_dir);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_PIPELINE_H_
