// gateway.num_trusted_proxies in `edgekit render`: Istio reads a gateway's trusted proxy
// count from its ProxyConfig (gatewayTopology.numTrustedProxies, set per gateway by the
// proxy.istio.io/config pod annotation) and turns it into the listener's
// xff_num_trusted_hops. Written as gateway-values.yaml, Helm values for the istio/gateway
// chart (podAnnotations), since the gateway's Deployment is not edgekit's to render.
#ifndef EDGEKIT_CLI_RENDER_GATEWAY_TOPOLOGY_H_
#define EDGEKIT_CLI_RENDER_GATEWAY_TOPOLOGY_H_

#include <vector>

#include "cli/render/feature.h"
#include "cli/render/transcoding.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

class GatewayTopologyFeature final : public Feature {
 public:
  // `transcoding` (not owned) runs before it: its descriptor may need a volume.
  explicit GatewayTopologyFeature(const TranscodingFeature* transcoding)
      : transcoding_(transcoding) {}
  // When gateway.num_trusted_proxies is set (its range is checked with the gateway), or
  // the transcoder's descriptor is a ConfigMap the gateway pods must mount.
  bool Enabled(const edge::v1::EdgeConfig& config) const override;
  void ApplyDefaults(edge::v1::EdgeConfig* /*config*/) const override {}
  absl::Status Validate(const edge::v1::EdgeConfig& /*config*/,
                        const RenderContext& /*context*/) override {
    return absl::OkStatus();
  }
  absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                      std::vector<RenderedFile>* files) override;

 private:
  const TranscodingFeature* transcoding_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_GATEWAY_TOPOLOGY_H_
