// VirtualService HTTP routes evaluated as Envoy runs what Istio makes of them: the
// product's one route evaluator (`edgekit explain` / `edgekit test`, and the tests that
// check what rendered routes do).
//
// Semantics, checked in the sources (istio/istio pilot/pkg/networking/core/route/
// route.go TranslateRouteMatch; envoyproxy/envoy source/common/router/config_impl.cc,
// source/common/common/matchers.cc, source/common/http/header_utility.cc,
// source/common/router/config_utility.cc):
// - routes in order, the first whose any match block holds wins; a route without
//   `match` matches every request; no route: Envoy answers 404;
// - `uri` exact / prefix / regex test the path with its query string and fragment cut
//   off (Matchers::PathMatcher); `ignoreUriCase` makes exact and prefix case-insensitive
//   and leaves regex alone (case_sensitive is "ignored for safe_regex matching");
// - regexes are RE2 full matches;
// - `authority` and `method` are header matches on :authority (the whole value, port
//   included) and :method, case-sensitive;
// - `headers` on the value (a repeated header's values joined by ","); `{}` means
//   present; a missing header fails every value matcher;
// - `withoutHeaders`: `{}` means absent; a value matcher tests a missing header as ""
//   (Istio >= 1.22 sets treat_missing_header_as_empty; edgekit supports 1.28-1.30);
// - `queryParams`: the query string split on '&', "k" is "k=", no percent-decoding, the
//   first occurrence of a name wins, an absent one fails; `{}` means present.
// The VirtualService's `hosts` pick it by the request's host as Envoy picks a virtual
// host (case-insensitive, port ignored, "*.example.com" for any name under it, "*").
#ifndef EDGEKIT_CLI_EXPLAIN_ISTIO_ROUTES_H_
#define EDGEKIT_CLI_EXPLAIN_ISTIO_ROUTES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/explain/request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::explain {

// Where a request went in one VirtualService.
struct RouteVerdict {
  int index = -1;        // the http[] entry taken; -1: none matched
  int match_block = -1;  // which of its match blocks held (-1: it has none)
  std::string name;
  // A forwarding route: its (first) destination.
  std::string destination_host;
  uint32_t destination_port = 0;
  // A directResponse route.
  bool direct = false;
  uint32_t status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> response_headers;  // headers.response.set
};

// Whether `host` (":authority", maybe with a port) is one of `patterns` (Istio host
// syntax) as Envoy picks a virtual host.
bool HostMatchesPattern(absl::string_view host, absl::string_view pattern);

// Query parameters as Envoy's route matching parses them (QueryParamsMulti::
// parseQueryString, decode_params false): the first value of each name in `path`'s
// query string.
std::map<std::string, std::string> FirstQueryValues(absl::string_view path);

// One VirtualService compiled for evaluation: every match block parsed and every regex
// compiled once, so a request costs no parsing (`edgekit test` runs thousands).
class VirtualServiceMatcher {
 public:
  // InvalidArgument for what is not modelled (a match key such as `port` or
  // `sourceLabels`, a route with several destinations or neither route nor
  // directResponse) or a regex RE2 refuses, naming the route.
  static absl::StatusOr<VirtualServiceMatcher> Compile(const YAML::Node& vs);

  RouteVerdict Evaluate(const GatewayRequest& request) const;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& hosts() const { return hosts_; }

  struct Route;  // istio_routes.cc

  VirtualServiceMatcher();
  ~VirtualServiceMatcher();
  VirtualServiceMatcher(VirtualServiceMatcher&&) noexcept;
  VirtualServiceMatcher& operator=(VirtualServiceMatcher&&) noexcept;

 private:
  std::string name_;
  std::vector<std::string> hosts_;
  std::vector<Route> routes_;
};

// Compile and Evaluate in one step (tests).
absl::StatusOr<RouteVerdict> EvaluateVirtualService(const YAML::Node& vs,
                                                    const GatewayRequest& request);

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_ISTIO_ROUTES_H_
