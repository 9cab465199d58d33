// The gateway `edgekit render` describes, read back from the rendered files as the
// gateway would read them: the CUSTOM AuthorizationPolicy (which requests reach
// ext_authz), the broker's rules (loaded by the broker's own config code), the Wasm
// plugin's rules, the transcoder (its services and the bindings of the descriptor it
// carries), the VirtualService bound to the gateway (or, on gateway.api gateway-api, the
// HTTPRoutes and GRPCRoutes attached to it) and the compressor. explainer.h walks
// a request through it. Reading the output rather than edge.yaml is the point: what is
// explained is what would be applied.
#ifndef EDGEKIT_CLI_EXPLAIN_GATEWAY_MODEL_H_
#define EDGEKIT_CLI_EXPLAIN_GATEWAY_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/explain/gateway_api_routes.h"
#include "cli/explain/istio_routes.h"
#include "cli/explain/path_template.h"
#include "cli/explain/request.h"
#include "cli/proto/http_routes.h"
#include "cli/render/rendered_file.h"
#include "edgekit/edge/v1/edge_config.pb.h"
#include "google/protobuf/descriptor.h"
#include "rules/ip_set.h"
#include "rules/rule_set.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::explain {

struct CompressorModel {
  uint32_t min_content_length = 30;  // Envoy's default
  std::vector<std::string> content_types;
};

struct TranscoderModel {
  std::vector<std::string> services;
  std::vector<HttpRoute> bindings;  // of those services; ids in `matcher`
  TemplateMatcher matcher;
  // The descriptor's messages, for query parameters (each must name a request field).
  std::unique_ptr<google::protobuf::DescriptorPool> pool;
  enum class UnknownQuery { kPassThrough, kIgnore, kReject };
  UnknownQuery unknown_query = UnknownQuery::kPassThrough;
  std::set<std::string> ignored_query_parameters;
};

struct AuthzModel {
  std::string policy_name;
  YAML::Node rules;  // spec.rules of the CUSTOM AuthorizationPolicy
};

struct RuleEngineModel {
  std::shared_ptr<const rules::RuleSet> rules;  // null: no rules
  uint32_t num_trusted_proxies = 0;
  bool rules_only = false;  // broker: nothing upstream, unanswered requests are allowed
  std::string phase;        // Wasm: AUTHN / AUTHZ / STATS
};

struct GatewayModel {
  std::string gateway;  // "<namespace>/<name>" the VirtualService must name
  PathNormalization normalization = PathNormalization::kBase;
  uint32_t num_trusted_proxies = 0;  // gatewayTopology.numTrustedProxies
  std::optional<AuthzModel> authz;
  std::optional<RuleEngineModel> broker;
  std::optional<RuleEngineModel> wasm;
  std::optional<TranscoderModel> transcoder;
  std::vector<VirtualServiceMatcher> virtual_services;  // bound to `gateway`, in order
  // gateway.api gateway-api: the HTTPRoutes and GRPCRoutes attached to `gateway` (a
  // Gateway API Gateway) instead of VirtualServices.
  std::optional<GatewayApiRouteMatcher> gateway_api_routes;
  std::optional<CompressorModel> compressor;
  std::set<std::string> teams;  // names of the composed teams (empty: one author)

  // `config` (defaults applied) and what render made of it. `base_dir` resolves the
  // broker's cidrs_file paths (the edge.yaml's directory).
  static absl::StatusOr<GatewayModel> Load(const edge::v1::EdgeConfig& config,
                                           const std::vector<RenderedFile>& files,
                                           const std::string& base_dir,
                                           std::set<std::string> teams);

  // The team owning a route or rule name ("<team>.x", "direct-<team>.x",
  // "<team>.grpc-..."), "" when not composed or not a team's.
  std::string TeamOf(const std::string& name) const;
};

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_GATEWAY_MODEL_H_
