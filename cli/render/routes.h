// The routing output of `edgekit render`: one VirtualService bound to the gateway with,
// in this order, the direct-response routes (direct_response/direct_response.h), one route per
// transcoded gRPC service (matching /package.Service/, the path after transcoding; named
// grpc-<package>-<service> lowercased, with "-2", "-3", ... when two services give the
// same name), and the catch-all to routes.default_destination. After a direct-response
// rule answering every request, the gRPC routes and the catch-all are left out (they
// could never match), with a warning.
#ifndef EDGEKIT_CLI_RENDER_ROUTES_H_
#define EDGEKIT_CLI_RENDER_ROUTES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/feature.h"
#include "cli/render/rendered_file.h"
#include "cli/render/transcoding.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Defaults of `routes` (when present or needed).
void ApplyRoutingDefaults(edge::v1::EdgeConfig* config);

// Checks of `routes`: "<source>: routes.<key.path>: <problem>".
absl::Status ValidateRoutingConfig(const edge::v1::EdgeConfig& config, const std::string& source);

// routes.yaml (the VirtualService), or nothing, with a warning, when no route is left
// (every rule in the WasmPlugin and nothing to proxy to).
absl::StatusOr<std::vector<RenderedFile>> RenderRoutes(
    const edge::v1::EdgeConfig& config, const std::vector<GrpcServiceRoute>& grpc_routes,
    const CompiledDirectResponses& direct, const RenderContext& context);

// The feature: routes the services transcoding found and the rules direct responses
// compiled (both run before it in the pipeline; not owned).
class RoutesFeature final : public Feature {
 public:
  RoutesFeature(const TranscodingFeature* transcoding, const DirectResponseFeature* direct)
      : transcoding_(transcoding), direct_(direct) {}
  bool Enabled(const edge::v1::EdgeConfig& config) const override;
  void ApplyDefaults(edge::v1::EdgeConfig* config) const override;
  absl::Status Validate(const edge::v1::EdgeConfig& config, const RenderContext& context) override;
  absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                      std::vector<RenderedFile>* files) override;

 private:
  const TranscodingFeature* transcoding_;
  const DirectResponseFeature* direct_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_ROUTES_H_
