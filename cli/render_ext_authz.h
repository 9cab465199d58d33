// The ext_authz feature of `edgekit render`: the wiring of Envoy's ext_authz filter to
// the edgekit broker on 127.0.0.1 in the gateway pod. A ServiceEntry puts the broker in
// Istio's registry (STATIC, 127.0.0.1, GRPC), meshConfig.extensionProviders names it
// (as an IstioOperator overlay and as istiod Helm values), a CUSTOM AuthorizationPolicy
// sends the gateway's requests to it, and broker.yaml is the broker's own --config.
#ifndef EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_
#define EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_

#include <vector>

#include "cli/rendered_file.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// ext-authz.yaml, ext-authz-istio-operator.yaml, ext-authz-istiod-values.yaml,
// broker.yaml, in that order.
std::vector<RenderedFile> RenderExtAuthzFiles(const edge::v1::EdgeConfig& config);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_
