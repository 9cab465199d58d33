// The ext_authz feature of `edgekit render`: the wiring of Envoy's ext_authz filter to
// the edgekit broker on 127.0.0.1 in the gateway pod. A ServiceEntry puts the broker in
// Istio's registry (STATIC, 127.0.0.1, GRPC), meshConfig.extensionProviders names it
// (as an IstioOperator overlay and as istiod Helm values), a CUSTOM AuthorizationPolicy
// sends the gateway's requests to it, and broker.yaml is the broker's own --config.
#ifndef EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_
#define EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/rendered_file.h"
#include "common/syntax.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// ext-authz.yaml, ext-authz-istio-operator.yaml, ext-authz-istiod-values.yaml,
// broker.yaml, in that order. In mode "loopback" there is no broker.yaml, and
// ext-authz.yaml also holds the loopback listener's Gateway, VirtualService and
// hedging EnvoyFilter.
std::vector<RenderedFile> RenderExtAuthzFiles(const edge::v1::EdgeConfig& config);

bool IsLoopbackMode(const edge::v1::ExtAuthz& authz);

// What broker.yaml holds, for checking with the broker's own ValidateBrokerConfig.
edgekit::broker::v1::BrokerConfig BrokerConfigFor(const edge::v1::ExtAuthz& authz);

using ::edgekit::HostPort;

// "dns:///host:port" or "host:port" -> {host, port}; InvalidArgument naming the target
// otherwise (loopback mode needs an Istio destination, not any gRPC target).
absl::StatusOr<HostPort> UpstreamHostPort(const std::string& target);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_
