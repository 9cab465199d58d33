// `teams:` in platform.yaml: the gateway composed from team-owned files
// (proto/edgekit/edge/v1/teams.proto). ComposeTeams loads each team's file, checks it
// against what the platform lets the team claim, and merges it into the platform's
// config, so the render pipeline then renders one gateway: routes named
// "<team>.<route>", transcoder backends and direct-response rules scoped to the team.
//
// Checked here, each error naming the team and its file:line:
//  - the teams list: names, files, hosts within gateway.hosts, path_prefixes, packages,
//    namespaces; two teams claiming overlapping hosts with overlapping path prefixes;
//  - a team file holding anything gateway-wide (gateway, gzip, ext_authz, teams,
//    routes.name/default_destination, the transcoder's filter settings, the rule engine);
//  - a route or rule outside the team's hosts or path_prefixes, a destination outside its
//    destination_namespaces (and every check of routes.http and of the rule language,
//    against the team's file).
// Checked later, with the provenance kept here: routes of two teams that collide
// (route_table.h), gRPC packages and transcoder bindings overlapping another team's
// routes (transcoding.h).
#ifndef EDGEKIT_CLI_RENDER_TEAM_COMPOSITION_H_
#define EDGEKIT_CLI_RENDER_TEAM_COMPOSITION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Where a merged piece came from, for messages.
struct Origin {
  std::string team;  // the owning team
  // "teams/payments/edge.yaml:12:7: routes.http[0] (team payments)".
  std::string where;
  std::string file_at;  // "teams/payments/edge.yaml:12:7"
  std::string key;      // "routes.http[0]", in the team's file
  // For a rule: its own condition (before edgekit scoped it) tests the path or method.
  bool tests_path_or_method = false;
  bool tests_path = false;  // its own condition tests the path
};

struct TeamClaim {
  std::string name;
  std::string file;  // as listed (relative to platform.yaml)
  std::vector<std::string> hosts;
  std::vector<std::string> path_prefixes;  // empty: the whole host
  std::vector<std::string> grpc_packages;
  std::vector<std::string> cases;  // case files, resolved against platform.yaml's directory
  // Where its routes may send traffic: destination_namespaces, or [<name>] when absent.
  // The first is the team's own namespace (its HTTPRoutes live there on Gateway API).
  std::vector<std::string> namespaces;
};

struct Composition {
  std::vector<TeamClaim> teams;  // sorted by name
  // Keyed by the index in the merged config.
  std::map<int, Origin> http_routes;  // routes.http
  std::map<int, Origin> backends;     // transcoding.backends
  std::map<int, Origin> rules;        // direct_responses.rules

  const TeamClaim* Team(const std::string& name) const;
  // "# Composed by edgekit from ... teams: a (teams/a.yaml), b (...)" lines for outputs.
  std::string Comment() const;
};

// Merges every team of `config->teams()` into `config` (and clears `teams`).
// `platform_path` is platform.yaml's path: team files are relative to its directory.
absl::StatusOr<Composition> ComposeTeams(const std::string& platform_path,
                                         edge::v1::EdgeConfig* config);

// `status` ("<source>: <section>[N]<rest>") about an item merged from a team's file,
// pointed at that file instead: "<team file>:<line>:<col>: <key><rest> (team T)".
// Unchanged when the index is not a team's (or the message has another shape).
absl::Status Relocate(const absl::Status& status, const std::string& source,
                      const std::string& section, const std::map<int, Origin>& origins);

// `path` (a route's or binding's literal start, or an exact path) lies within `prefixes`
// (empty: anywhere).
bool WithinPathPrefixes(const std::string& path, const std::vector<std::string>& prefixes);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_TEAM_COMPOSITION_H_
