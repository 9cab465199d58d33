// Gateway API HTTPRoutes and GRPCRoutes evaluated as Istio 1.30 serves them: explain's
// and test's route step on gateway.api gateway-api (istio_routes.h is the VirtualService
// one). Semantics, checked in Istio 1.30.3's source (pilot/pkg/config/kube/gateway/
// route_collections.go, conversion.go; Envoy's virtual host lookup):
// - Istio builds one virtual host per hostname the routes list; a request takes the
//   exact name, else the longest "*." suffix its name falls under, and only the routes
//   listing that hostname apply (a route without hostnames: the listener's, "*");
// - each rule becomes one route per match: HTTPRoute path (Exact; PathPrefix with a
//   trailing "/" dropped; RegularExpression, an RE2 full match), method, headers (Exact
//   or RegularExpression), query parameters (Exact); a GRPCRoute service match becomes
//   PathPrefix "/<service>" (createGRPCURIMatch), a service and method Exact
//   "/<service>/<method>";
// - they are ranked (sortHTTPRoutes): Exact > PathPrefix > RegularExpression, then the
//   longer path value, then a method match, then more header matches, then more query
//   matches; ties keep the routes' creation order, which explain cannot know: it takes
//   the order of the rendered file (edgekit refuses ties between two routes at render);
// - a PathPrefix matches whole segments (Envoy path_separated_prefix): the prefix itself
//   or the prefix and "/..."; "/" matches every path.
#ifndef EDGEKIT_CLI_EXPLAIN_GATEWAY_API_ROUTES_H_
#define EDGEKIT_CLI_EXPLAIN_GATEWAY_API_ROUTES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/explain/istio_routes.h"
#include "cli/explain/request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::explain {

class GatewayApiRouteMatcher {
 public:
  // The HTTPRoutes and GRPCRoutes among `documents` whose parentRefs name the Gateway
  // `gateway` ("<namespace>/<name>"). InvalidArgument for what is not modelled (a filter,
  // several backendRefs, a regex RE2 refuses), naming the route.
  static absl::StatusOr<GatewayApiRouteMatcher> Compile(const std::vector<YAML::Node>& documents,
                                                        const std::string& gateway);

  bool empty() const { return matches_.empty(); }
  // Whether some route serves `host` (":authority", maybe with a port).
  bool Serves(absl::string_view host) const;
  // The rule taken: `name` is the rule's name (else "<route>.rules[i]"), `index` its
  // position in the ranking; index -1: none matched (Envoy answers 404).
  RouteVerdict Evaluate(const GatewayRequest& request) const;

  struct Match;  // gateway_api_routes.cc

  GatewayApiRouteMatcher();
  ~GatewayApiRouteMatcher();
  GatewayApiRouteMatcher(GatewayApiRouteMatcher&&) noexcept;
  GatewayApiRouteMatcher& operator=(GatewayApiRouteMatcher&&) noexcept;

 private:
  // The virtual host `host` falls in ("" for none).
  std::string VirtualHost(absl::string_view host) const;

  std::vector<Match> matches_;  // ranked
};

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_GATEWAY_API_ROUTES_H_
