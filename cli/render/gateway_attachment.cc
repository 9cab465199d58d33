// Policy attachment to the gateway's pods (gateway_attachment.h).
#include "cli/render/gateway_attachment.h"

#include "cli/edge/edge_config.h"

namespace edgekit::cli {

void EmitGatewayAttachment(Doc& d, const edge::v1::EdgeConfig& config, SelectorStyle style) {
  if (IsGatewayApi(config)) {
    d.Key("targetRefs").Seq().Map();
    d.KV("group", "gateway.networking.k8s.io").KV("kind", "Gateway");
    d.KV("name", config.gateway().name());
    d.EndMap().EndSeq();
    return;
  }
  if (style == SelectorStyle::kWorkloadSelector) {
    d.Key("workloadSelector").Map().Labels("labels", Sorted(config.gateway().selector())).EndMap();
  } else {
    d.Key("selector").Map().Labels("matchLabels", Sorted(config.gateway().selector())).EndMap();
  }
}

}  // namespace edgekit::cli
