// A request for the tests that check what rendered VirtualService routes do, and the
// route the product's evaluator (cli/explain/istio_routes.h, what `edgekit explain` runs)
// takes for it. Agreement tests compare it with simple_route_evaluator.h. Header-only.
#ifndef EDGEKIT_TESTS_TESTING_ROUTE_REQUEST_H_
#define EDGEKIT_TESTS_TESTING_ROUTE_REQUEST_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "cli/explain/istio_routes.h"
#include "cli/explain/request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::testing {

struct RouteRequest {
  std::string path = "/";
  std::string host = "example.com";  // :authority, as the client sent it (maybe with a port)
  std::string method = "GET";
  std::map<std::string, std::string> headers;
};

// The name of the route the product takes in `vs` (its hosts not consulted), "" when none
// matches, "error: ..." when the request or the VirtualService cannot be evaluated.
inline std::string RouteTaken(const YAML::Node& vs, const RouteRequest& r) {
  cli::explain::HttpRequest request;
  request.path = r.path;
  request.host = r.host;
  request.method = r.method;
  for (const auto& [k, v] : r.headers) request.headers.emplace_back(k, v);
  absl::StatusOr<cli::explain::GatewayRequest> made =
      cli::explain::GatewayRequest::Make(request, cli::explain::PathNormalization::kNone, 0);
  if (!made.ok()) return "error: " + std::string(made.status().message());
  absl::StatusOr<cli::explain::RouteVerdict> verdict =
      cli::explain::EvaluateVirtualService(vs, *made);
  if (!verdict.ok()) return "error: " + std::string(verdict.status().message());
  return verdict->name;
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_ROUTE_REQUEST_H_
