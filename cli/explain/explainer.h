// `edgekit explain`: one request walked through the gateway (gateway_model.h) in the
// order Envoy takes it on an Istio ingress gateway:
//   1. path normalization (meshConfig.pathNormalization) and the client address
//   2. ext_authz: the CUSTOM AuthorizationPolicy decides whether it is called at all
//   3. the broker's direct-response rules, answered inside the Check call, before any
//      call to the auth service (then the auth service's answer, which explain cannot
//      know: what follows assumes it allows); a rule in dry run is counted, not
//      answered, and the rules after it are tried
//   4. the Wasm plugin's rules (your module; explain assumes it implements edgekit's rules)
//   5. the gRPC-JSON transcoder: a binding rewrites the request to POST /pkg.Service/Method
//      and the route is matched again
//   6. the VirtualService: a direct response, a destination, or 404
//   7. the compressor: whether the response can be gzipped
// The result is data (for `edgekit test` and JSON) plus the steps as sentences.
#ifndef EDGEKIT_CLI_EXPLAIN_EXPLAINER_H_
#define EDGEKIT_CLI_EXPLAIN_EXPLAINER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/explain/gateway_model.h"
#include "cli/explain/request.h"

namespace edgekit::cli::explain {

struct Explanation {
  struct Step {
    std::string stage;  // request, ext_authz, broker, wasm, transcoder, route, gzip
    std::string summary;
    std::vector<std::string> details;
  };
  std::vector<Step> steps;

  // The request as the filters see it.
  std::string method, host, path, received_path;
  std::string client_address;  // as the rules see it; "" unknown

  // kNotReached: the connection manager refused the request before any filter.
  enum class Auth { kNotConfigured, kCalled, kExcluded, kNotReached };
  Auth auth = Auth::kNotConfigured;

  // An answer the gateway gives itself: a rule (engine broker / wasm / routes) or the
  // gateway's own reply (engine "gateway": 404 without a route, 400 from the transcoder).
  struct Direct {
    std::string engine;
    std::string rule;  // rule or route name; "" for the gateway's own reply
    std::string team;
    uint32_t status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::optional<Direct> direct;

  // Rules that held in dry run (rules.v1.Rule.dry_run), in order: the broker counts each
  // (edgekit_broker_direct_responses_total{mode="dry_run"}) and answers with none, so the
  // walk went on to the rules after it, then auth and routes.
  struct DryRun {
    std::string engine;  // broker
    std::string rule;
    std::string team;
  };
  std::vector<DryRun> dry_run;

  struct Grpc {
    std::string method;   // package.Service/Method
    std::string binding;  // "GET /v1/{name=books/*}"
    std::vector<std::pair<std::string, std::string>> variables;
  };
  std::optional<Grpc> grpc;

  struct Route {
    std::string name;
    std::string team;
    std::string host;
    uint32_t port = 0;
  };
  std::optional<Route> route;

  bool gzip = false;
};

absl::StatusOr<Explanation> Explain(const GatewayModel& model, const HttpRequest& request);

// "not_configured", "called", "excluded", "not_reached"
const char* AuthName(Explanation::Auth auth);

// The steps, numbered, then a one-line verdict.
std::string FormatExplanationText(const Explanation& e);
// One JSON object: {"request": {...}, "steps": [...], "outcome": {...}}, stable key order.
std::string FormatExplanationJson(const Explanation& e);

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_EXPLAINER_H_
