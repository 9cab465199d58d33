// The routing output of `edgekit render`: one VirtualService bound to the gateway with,
// in this order, the direct-response routes (cli/direct_response.h), one route per
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
#include "cli/render_transcoding.h"
#include "cli/rendered_file.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// True when some feature needs the VirtualService (transcoding or direct responses).
bool RoutesNeeded(const edge::v1::EdgeConfig& config);

// Defaults of `routes` and `direct_responses` (when present).
void ApplyRoutingDefaults(edge::v1::EdgeConfig* config);

// Checks of `routes` and `direct_responses`: "<source>: <key.path>: <problem>".
absl::Status ValidateRoutingConfig(const edge::v1::EdgeConfig& config,
                                   const std::string& source);

// routes.yaml (the VirtualService) and any other file the rules need.
absl::StatusOr<std::vector<RenderedFile>> RenderRoutes(
    const edge::v1::EdgeConfig& config, const std::vector<GrpcServiceRoute>& grpc_routes,
    const RenderContext& context);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_ROUTES_H_
