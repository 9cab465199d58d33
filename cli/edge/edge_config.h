// edge.yaml for `edgekit render`: loading (YAML -> edgekit.edge.v1.EdgeConfig with
// unknown keys rejected), the `gateway` section every feature shares (defaults and
// checks), and which features a config turns on. Each feature's own section is defaulted,
// checked and rendered by its feature in cli/render/; this library includes no renderer.
// Errors are InvalidArgument "<source>: <key.path>: <what is wrong>" (YAML syntax and
// schema errors also carry line:col), or an I/O code naming the file.
#ifndef EDGEKIT_CLI_EDGE_EDGE_CONFIG_H_
#define EDGEKIT_CLI_EDGE_EDGE_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Reads and parses `path` ("-" is not supported: render needs a file name for errors).
absl::StatusOr<edge::v1::EdgeConfig> LoadEdgeConfig(const std::string& path);

// Parses edge.yaml text already read; `source` names it in messages (where LoadEdgeConfig
// puts the path). Used by the fuzz target tests/fuzz.
absl::StatusOr<edge::v1::EdgeConfig> LoadEdgeConfigText(std::string_view text,
                                                        const std::string& source);

// Fills the unset fields of `gateway` with their defaults.
void ApplyGatewayDefaults(edge::v1::EdgeConfig* config);

// Checks `gateway` (defaults applied): "<source>: gateway.<key>: <problem>".
absl::Status ValidateGateway(const edge::v1::EdgeConfig& config, const std::string& source);

// Whether a section turns its feature on: present and not `enabled: false`.
bool GzipEnabled(const edge::v1::EdgeConfig& config);
bool TranscodingEnabled(const edge::v1::EdgeConfig& config);
bool DirectResponsesEnabled(const edge::v1::EdgeConfig& config);
bool ExtAuthzEnabled(const edge::v1::EdgeConfig& config);
// The VirtualService is needed by transcoding, by direct responses and by routes that
// send traffic somewhere (routes.http or routes.default_destination): plain routing is a
// feature of its own.
bool RoutesNeeded(const edge::v1::EdgeConfig& config);
bool HasRoutesOfItsOwn(const edge::v1::EdgeConfig& config);
// gateway.api GATEWAY_API: a Gateway API Gateway, routes as HTTPRoutes/GRPCRoutes and
// policies attached with targetRefs.
bool IsGatewayApi(const edge::v1::EdgeConfig& config);
// ext_authz hedged by Envoy on a loopback listener instead of through the broker.
bool IsLoopbackMode(const edge::v1::ExtAuthz& authz);
// A broker that answers the direct-response rules and calls no auth service
// (direct_responses.engine BROKER, no ext_authz.upstream_target): requests no rule
// answers are allowed.
bool IsRulesOnlyBroker(const edge::v1::EdgeConfig& config);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_EDGE_CONFIG_H_
