#include "cli/render_routes.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

bool RoutesNeeded(const EdgeConfig& config) { return false; }

void ApplyRoutingDefaults(EdgeConfig* config) {}

absl::Status ValidateRoutingConfig(const EdgeConfig& config, const std::string& source) {
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RenderedFile>> RenderRoutes(
    const EdgeConfig& config, const std::vector<GrpcServiceRoute>& grpc_routes,
    const RenderContext& context) {
  return absl::UnimplementedError("routes: not implemented yet");
}

}  // namespace edgekit::cli
