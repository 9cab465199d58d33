// The gzip feature of `edgekit render` (edge.yaml `gzip`): an EnvoyFilter inserting
// envoy.filters.http.compressor (gzip library) before the router on the gateway, as
// gzip.yaml. With transcoding on, the compressor goes into transcoding.yaml instead (one
// EnvoyFilter fixes the order of the two filters), and this feature writes no file.
#ifndef EDGEKIT_CLI_RENDER_GZIP_H_
#define EDGEKIT_CLI_RENDER_GZIP_H_

#include <string>
#include <vector>

#include "cli/render/feature.h"
#include "cli/render/manifest_doc.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Emits one `configPatches` item (a map) inserting the compressor before the router.
// Shared with transcoding, which puts it in the same EnvoyFilter as the transcoder.
void EmitCompressorPatch(Doc& d, const edge::v1::EdgeConfig& config);

// The gzip EnvoyFilter document on its own (networking.istio.io/v1alpha3).
std::string RenderGzipFilter(const edge::v1::EdgeConfig& config);

class GzipFeature final : public Feature {
 public:
  bool Enabled(const edge::v1::EdgeConfig& config) const override;
  void ApplyDefaults(edge::v1::EdgeConfig* config) const override;
  absl::Status Validate(const edge::v1::EdgeConfig& config, const RenderContext& context) override;
  absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                      std::vector<RenderedFile>* files) override;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_GZIP_H_
