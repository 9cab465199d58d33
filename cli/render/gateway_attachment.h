// How every policy edgekit renders (the EnvoyFilters, the AuthorizationPolicy, the
// WasmPlugin) finds the gateway's pods, in one place for both gateway APIs:
//  - gateway.api ISTIO: by the pods' labels, gateway.selector (EnvoyFilter
//    `workloadSelector.labels`, AuthorizationPolicy and WasmPlugin `selector.matchLabels`);
//  - gateway.api GATEWAY_API: `targetRefs` to the Gateway API Gateway by name. Istio 1.30
//    attaches such a policy only when it is in the Gateway's namespace, which is where
//    edgekit renders it (gateway.namespace), and the pods Istio deploys for a Gateway
//    carry no `istio: ingressgateway` label to select (pilot/pkg/model/
//    policyattachment.go, WorkloadPolicyMatcher.ShouldAttachPolicy; the pod labels in
//    manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml).
#ifndef EDGEKIT_CLI_RENDER_GATEWAY_ATTACHMENT_H_
#define EDGEKIT_CLI_RENDER_GATEWAY_ATTACHMENT_H_

#include "cli/render/manifest_doc.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

enum class SelectorStyle {
  kWorkloadSelector,  // EnvoyFilter: workloadSelector: {labels: ...}
  kSelector,          // AuthorizationPolicy, WasmPlugin: selector: {matchLabels: ...}
};

// Writes the attachment key of a policy's open `spec` map.
void EmitGatewayAttachment(Doc& d, const edge::v1::EdgeConfig& config, SelectorStyle style);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_GATEWAY_ATTACHMENT_H_
