// The transcoder's guardrails for a gateway composed from team files
// (team_composition.h): a team publishes only the proto packages the platform gave it,
// and its google.api.http bindings stay inside its path prefixes and clear of every other
// owner's routes. The transcoder matches bindings on every host, before routing, so a
// binding overlapping another team's route would take that team's requests on its own
// hosts.
#ifndef EDGEKIT_CLI_RENDER_TRANSCODING_GUARDRAILS_H_
#define EDGEKIT_CLI_RENDER_TRANSCODING_GUARDRAILS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/proto/http_routes.h"
#include "cli/render/team_composition.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// A path template's segments, variables flattened to what they match:
// "/v1/{name=shelves/*}/books/{id}:get" -> v1, shelves, *, books, *:get (the verb stays
// on the last segment). Two templates with the same segments match the same paths.
std::vector<std::string> TemplateSegments(const std::string& path);

// Where a backend is, for messages: its team ("" for the platform's own), the file (with
// line:col) and key.
struct BackendRef {
  std::string team;
  std::string at;
  std::string key;
};

// `service` ("payments.v1.Payments") is in one of the team's grpc_packages (a package
// covers its subpackages).
absl::Status CheckPackageClaim(const BackendRef& backend, const std::string& service,
                               const Composition& composition);

// Checks bindings against the routes of config.routes().http, worked out once (a
// gateway of 2,000 routes and 300 bindings makes 600,000 pairs: no regex is compiled
// per pair).
class BindingGuard {
 public:
  BindingGuard(const edge::v1::EdgeConfig& config, const Composition& composition);

  // `binding` (of a service of `backend`) lies within its team's path_prefixes and takes
  // no path of a route of another owner: some path the binding's template and the route
  // could both match, templates compared segment by segment (`*` and `{var}` one segment,
  // `**` the rest), a regex route taken as its literal prefix (so an overlap may be seen
  // that is not there, never the other way round).
  // Also against the other teams' path_prefixes and the bindings of other owners checked
  // before it (which it records).
  absl::Status Check(const BackendRef& backend, const HttpRoute& binding);

 private:
  struct Route {
    std::string owner;   // team, "" for the platform's own
    bool exact = false;  // `path` is an exact path, else a literal prefix
    std::string path;
    std::string where;     // for messages
    std::string describe;  // "prefix /v1/"
  };
  struct Binding {
    std::string owner;
    std::string verb;
    std::vector<std::string> segments;
    std::string where;
  };
  const Composition& composition_;
  std::vector<Route> routes_;  // routes.http, then the teams' path prefixes
  std::vector<Binding> bindings_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_TRANSCODING_GUARDRAILS_H_
