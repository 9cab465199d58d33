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
#include "cli/render/feature.h"
#include "cli/render/rendered_file.h"
#include "common/syntax.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// ext-authz.yaml, ext-authz-istio-operator.yaml, ext-authz-istiod-values.yaml,
// broker.yaml, in that order. In mode "loopback" there is no broker.yaml, and
// ext-authz.yaml also holds the loopback listener's Gateway, VirtualService and
// hedging EnvoyFilter. `with_rules`: as BrokerConfigFor.
std::vector<RenderedFile> RenderExtAuthzFiles(const edge::v1::EdgeConfig& config, bool with_rules);

// What broker.yaml holds: checked with the broker's own ValidateBrokerConfig, then
// serialized as it is (so what is checked is what is written). With `with_rules` the
// direct-response rules go in too (direct_responses: hosts = gateway.hosts, the rules in
// edge.yaml order with their dry_run, num_trusted_proxies = gateway.num_trusted_proxies,
// rules_only for a rules-only broker, dry_run = direct_responses.dry_run).
edgekit::broker::v1::BrokerConfig BrokerConfigFor(const edge::v1::EdgeConfig& config,
                                                  bool with_rules);

// "dns:///host:port" or "host:port" -> {host, port}; InvalidArgument naming the target
// otherwise (loopback mode needs an Istio destination, not any gRPC target).
absl::StatusOr<HostPort> UpstreamHostPort(const std::string& target);

class DirectResponseFeature;

class ExtAuthzFeature final : public Feature {
 public:
  // `direct` (validated before this feature) says whether the broker answers the rules.
  explicit ExtAuthzFeature(const DirectResponseFeature* direct) : direct_(direct) {}
  bool Enabled(const edge::v1::EdgeConfig& config) const override;
  void ApplyDefaults(edge::v1::EdgeConfig* config) const override;
  absl::Status Validate(const edge::v1::EdgeConfig& config, const RenderContext& context) override;
  absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                      std::vector<RenderedFile>* files) override;

 private:
  bool RulesInBroker(const edge::v1::EdgeConfig& config) const;
  const DirectResponseFeature* direct_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_EXT_AUTHZ_H_
