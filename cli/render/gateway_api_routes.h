// The routing output of `edgekit render` on gateway.api GATEWAY_API: the route table
// (route_table.h) rendered as Gateway API objects instead of a VirtualService, the second
// renderer of the same description.
//
//  - HTTPRoutes: one per team in the team's namespace (the first of its
//    destination_namespaces, else its name), and one for the platform's own routes and
//    the default destination in gateway.namespace; attached to the Gateway
//    gateway.namespace/gateway.name (and gateway.section_name) by parentRefs. More than
//    16 rules (the CRD's limit) continue in "<name>-2", ...
//  - GRPCRoutes for the transcoded services (the transcoder rewrites to
//    /<package>.<Service>/<Method>, which Istio 1.30 matches as a prefix /<service>/).
//  - ReferenceGrants where a route's backend is in another namespace, one per pair of
//    namespaces, for the Services named only.
//
// The order edgekit guarantees (a narrower route is never shadowed) cannot be written as
// an order here: Gateway API ranks matches itself. Istio 1.30 (pilot/pkg/config/kube/
// gateway/conversion.go, sortHTTPRoutes) ranks Exact over PathPrefix over
// RegularExpression, then the longer path (a prefix's trailing "/" dropped), then a
// method match, then more header matches, then more query matches; ties go to the older
// route, then namespace/name, then rule order. So two routes one request can reach, in
// edgekit's order A before B with different backends, must rank A first, or tie within
// one HTTPRoute (where rule order decides); otherwise render fails naming both. A tie
// between two HTTPRoutes (two teams) depends on creation time and is refused too.
//
// Hostnames: Istio builds one virtual host per hostname, and a request takes the most
// specific one, whose routes alone then apply. So each route also lists every more
// specific hostname another route uses under its own patterns, and the routes edgekit
// applies to a request are the same in both outputs.
#ifndef EDGEKIT_CLI_RENDER_GATEWAY_API_ROUTES_H_
#define EDGEKIT_CLI_RENDER_GATEWAY_API_ROUTES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/render/feature.h"
#include "cli/render/rendered_file.h"
#include "cli/render/route_table.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// routes.yaml for gateway.api GATEWAY_API. InvalidArgument naming both routes when
// Gateway API's precedence would give one's requests to the other, and naming the
// destination when it is not a Kubernetes Service (<name>.<namespace>.svc.cluster.local).
absl::StatusOr<std::vector<RenderedFile>> RenderGatewayApiRoutes(const edge::v1::EdgeConfig& config,
                                                                 const RouteTable& table,
                                                                 const RenderContext& context);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_GATEWAY_API_ROUTES_H_
