// The gateway's proxied HTTP routes as one description, before any renderer sees them:
// routes.http, one route per transcoded gRPC service and the catch-all, each with its
// hosts, match and destination, in the order edgekit decides. routes.cc renders it as a
// VirtualService; the same table can be rendered as Gateway API HTTPRoutes.
//
// The order (never the file's): exact paths first; then the rest by the length of the
// literal prefix every path they match starts with (a prefix's own length; for a regex,
// the common start of the shortest and longest strings RE2 says it can match), longest
// first, a regex before a prefix of the same length; then routes with methods before
// routes without (fewer methods first), more headers before fewer, fewer hosts before
// more (all hosts last); then by name. Then a route that one sorted before it covers
// entirely (same or wider hosts and methods, a subset of its headers, a path match taking
// all of its paths) moves before that one. Istio takes the first route that matches, so a
// narrower route is never shadowed by a broader one whatever order the file lists them
// in; two routes covering each other (the same requests) are an error naming both.
#ifndef EDGEKIT_CLI_RENDER_ROUTE_TABLE_H_
#define EDGEKIT_CLI_RENDER_ROUTE_TABLE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/team_composition.h"
#include "cli/render/transcoding.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

struct RouteTableEntry {
  enum class Kind { kHttp, kGrpcService };
  Kind kind = Kind::kHttp;
  std::string name;                // the rendered route name
  std::string where;               // what messages call it: "routes.http[2] (orders)"
  std::string team;                // the owning team in a composed gateway; "" otherwise
  std::vector<std::string> hosts;  // empty: every host of the gateway
  StringMatch path;
  std::vector<std::string> methods;  // empty: any; sorted
  // Lowercase header name -> test; nullopt: present.
  std::map<std::string, std::optional<StringMatch>> headers;
  edge::v1::Destination destination;
};

struct RouteTable {
  std::vector<RouteTableEntry> routes;  // in match order
  std::optional<edge::v1::Destination> default_destination;
};

// Checks routes.http (names, hosts within gateway.hosts, matches, destinations):
// "<source>: routes.http[i].<key>: <problem>".
absl::Status ValidateHttpRoutes(const edge::v1::EdgeConfig& config, const std::string& source);
// The same checks with the hosts a route may name given (a team's, in a team file):
// `hosts_owner` names them in messages ("gateway.hosts", "the hosts of team payments").
absl::Status ValidateHttpRoutesWithin(const edge::v1::Routes& routes,
                                      const std::vector<std::string>& allowed_hosts,
                                      const std::string& hosts_owner, const std::string& source);

// The table of routes.http, the transcoded services' routes and the default, ordered;
// an error when one route can never match because of another.
// `composition` (optional) names where each route came from in messages.
absl::StatusOr<RouteTable> BuildRouteTable(const edge::v1::EdgeConfig& config,
                                           const std::vector<GrpcServiceRoute>& grpc_routes,
                                           const std::string& source,
                                           const Composition* composition = nullptr);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_ROUTE_TABLE_H_
