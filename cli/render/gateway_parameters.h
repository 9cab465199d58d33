// gateway-parameters.yaml on gateway.api GATEWAY_API. Istio deploys such a gateway itself
// from the Gateway object and takes customisation from the ConfigMap the Gateway's
// spec.infrastructure.parametersRef names (Istio >= 1.26): its `deployment` key is a
// strategic merge patch on the Deployment Istio generates
// (pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go, render and applyOverlay;
// any key but deployment, service, serviceAccount, horizontalPodAutoscaler and
// podDisruptionBudget makes istiod refuse the whole ConfigMap). Containers and volumes
// merge by name, so the patch adds what edgekit needs of the pods:
//  - the edgekit-broker container (ext_authz in mode broker), as charts/edgekit-gateway
//    renders it with default values (tests/chart/chart_test.py keeps the two equal), and
//    its config: a second ConfigMap, <gateway>-edgekit-broker, holding broker.yaml (kept
//    out of the parameters ConfigMap, whose keys istiod restricts);
//  - the transcoder's descriptor mounted into istio-proxy, when it is a ConfigMap;
//  - the proxy.istio.io/config pod annotation for gateway.num_trusted_proxies.
#ifndef EDGEKIT_CLI_RENDER_GATEWAY_PARAMETERS_H_
#define EDGEKIT_CLI_RENDER_GATEWAY_PARAMETERS_H_

#include <optional>
#include <vector>

#include "cli/render/rendered_file.h"
#include "cli/render/transcoding.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// ext_authz in mode broker on gateway.api GATEWAY_API: the pods need the broker.
bool GatewayNeedsBrokerContainer(const edge::v1::EdgeConfig& config);

// The file; `rendered` holds the files rendered so far (broker.yaml among them when the
// broker runs).
RenderedFile RenderGatewayParameters(const edge::v1::EdgeConfig& config,
                                     const std::optional<DescriptorVolume>& volume,
                                     const std::vector<RenderedFile>& rendered);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_GATEWAY_PARAMETERS_H_
