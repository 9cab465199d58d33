// Agreement between edgekit's two renderers of one route description: for generated
// edge.yaml files (exact / prefix / regex paths, methods, headers, host scopes, a default
// destination), rendered once with gateway.api istio and once with gateway-api, every
// request over a small universe reaches the same backend through the VirtualService (the
// simple first-match evaluator, tests/testing/simple_route_evaluator.h) as through the
// HTTPRoutes (Istio 1.30's ranking, tests/testing/gateway_api_route_evaluator.h), or the
// gateway-api render refused the config naming the routes Gateway API would reorder.
//
// The product's own evaluator (cli/explain/gateway_api_routes.h, what `edgekit explain` and
// `edgekit test` run on gateway-api) must agree with the simple one on each request too.
//
// Left out: paths a Gateway API PathPrefix takes and a VirtualService prefix does not, or
// the other way round (whole segments against characters, README "Gateway API output").
// The generated prefixes end in "/", so the one such path is a prefix's bare form ("/x/y"
// for prefix "/x/y/"), skipped in the configs that have that prefix (and counted).
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/commands/explain_command.h"
#include "cli/explain/explainer.h"
#include "cli/render/pipeline.h"
#include "gtest/gtest.h"
#include "tests/testing/gateway_api_route_evaluator.h"
#include "tests/testing/random_routes.h"
#include "tests/testing/simple_route_evaluator.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using testing::Coin;

edge::v1::EdgeConfig RandomEdge(std::mt19937& rng, bool gateway_api) {
  edge::v1::EdgeConfig edge;
  edge.mutable_gateway()->set_api(gateway_api ? edge::v1::Gateway::GATEWAY_API
                                              : edge::v1::Gateway::ISTIO);
  edge.mutable_gateway()->set_namespace_("ns");
  if (Coin(rng, 25)) {
    edge.mutable_gateway()->add_hosts("*");  // every host: HTTPRoutes without hostnames too
  } else {
    edge.mutable_gateway()->add_hosts("a.example.com");
    edge.mutable_gateway()->add_hosts("*.b.example.com");
  }
  testing::RandomRouteSpace space;
  space.exact = {"/x/", "/x/y", "/z/q"};
  space.prefix = {"/x/", "/z/", "/x/y/", "/"};
  space.regex = {"/x/[0-9]+", "/z/.*", "/[xz]/y"};
  space.hosts = {"a.example.com", "*.b.example.com", "q.b.example.com"};
  space.hosts_percent = 40;
  space.kinds = 5;  // exact, regex, then prefix thrice as often
  space.regex_second = true;
  space.default_percent = 70;
  testing::AddRandomRoutes(rng, space, &edge);
  return edge;
}

std::vector<YAML::Node> RoutesOf(const RenderedEdge& rendered) {
  std::vector<YAML::Node> out;
  for (const RenderedFile& f : rendered.files) {
    if (f.name != "routes.yaml") continue;
    for (const std::string& doc : f.documents) out.push_back(YAML::Load(doc));
  }
  return out;
}

// The VirtualService side: the route first-match takes, as "<ns>/<name>:<port>".
std::string VirtualServiceBackend(const YAML::Node& vs, const testing::RouteRequest& r) {
  std::string host = r.host;
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool served = false;
  for (const auto& h : vs["spec"]["hosts"]) {
    const std::string pattern = h.as<std::string>();
    served = served || pattern == "*" || pattern == host ||
             (absl::StartsWith(pattern, "*.") && host.size() > pattern.size() - 1 &&
              absl::EndsWith(host, pattern.substr(1)));
  }
  if (!served) return "";
  const std::string name = testing::EvaluateRoutes(vs, r, testing::MissingHeader::kAsEmpty);
  for (const auto& route : vs["spec"]["http"]) {
    if (route["name"].as<std::string>() != name) continue;
    const YAML::Node dest = route["route"][0]["destination"];
    const std::string svc_host = dest["host"].as<std::string>();  // <name>.<ns>.svc.cluster.local
    const size_t dot = svc_host.find('.');
    const std::string ns = svc_host.substr(dot + 1, svc_host.find('.', dot + 1) - dot - 1);
    return absl::StrCat(ns, "/", svc_host.substr(0, dot), ":",
                        dest["port"]["number"].as<std::string>());
  }
  return "";
}

TEST(GatewayApiRoutesAgreement, HttpRoutesSendEveryRequestWhereTheVirtualServiceDoes) {
  const std::vector<std::string> hosts = {"a.example.com", "q.b.example.com", "r.b.example.com",
                                          "c.example.org"};
  const std::vector<std::string> paths = {"/",     "/x/", "/x/y", "/x/y/", "/x/y/z",
                                          "/x/12", "/z/", "/z/q", "/zz",   "/q"};
  const std::vector<std::string> methods = {"GET", "POST"};
  int rendered_both = 0, refused = 0;
  size_t compared = 0, routed = 0, skipped = 0;
  for (int iteration = 0; iteration < 300; ++iteration) {
    std::mt19937 rng(20261206 + iteration);
    absl::StatusOr<RenderedEdge> istio = RenderEdge(RandomEdge(rng, false), "random", ".");
    if (!istio.ok()) continue;  // edgekit's own guardrails: shadowed routes
    rng.seed(20261206 + iteration);
    absl::StatusOr<RenderedEdge> gateway_api = RenderEdge(RandomEdge(rng, true), "random", ".");
    if (!gateway_api.ok()) {
      // Only the precedence guardrail may refuse what the VirtualService takes.
      EXPECT_TRUE(absl::StrContains(gateway_api.status().message(), "on Gateway API"))
          << gateway_api.status();
      ++refused;
      continue;
    }
    ++rendered_both;
    const std::vector<YAML::Node> vs = RoutesOf(*istio);
    ASSERT_EQ(vs.size(), 1u);
    const std::vector<testing::GatewayApiMatch> matches =
        testing::GatewayApiMatches(RoutesOf(*gateway_api));
    absl::StatusOr<explain::GatewayModel> model = GatewayOf(*gateway_api);
    ASSERT_TRUE(model.ok()) << model.status();
    std::set<std::string> bare;  // "/x/y" for prefix "/x/y/"
    for (const auto& route : istio->config.routes().http()) {
      const std::string& prefix = route.match().prefix();
      if (prefix.size() > 1) bare.insert(prefix.substr(0, prefix.size() - 1));
    }
    for (const std::string& host : hosts) {
      for (const std::string& path : paths) {
        if (bare.count(path) > 0) {
          ++skipped;
          continue;
        }
        for (const std::string& method : methods) {
          for (int mask = 0; mask < 3; ++mask) {
            testing::RouteRequest r;
            r.host = host;
            r.path = path;
            r.method = method;
            if (mask > 0) r.headers["x-a"] = mask == 1 ? "1" : "2";
            const std::string want = VirtualServiceBackend(vs[0], r);
            ASSERT_EQ(testing::EvaluateGatewayApi(matches, r), want)
                << "iteration " << iteration << ": " << method << " " << host << path << " mask "
                << mask << "\nVirtualService:\n"
                << YAML::Dump(vs[0]) << "\nHTTPRoutes:\n"
                << YAML::Dump(RoutesOf(*gateway_api)[0]);
            explain::HttpRequest request;
            request.host = host;
            request.path = path;
            request.method = method;
            for (const auto& [k, v] : r.headers) request.headers.emplace_back(k, v);
            absl::StatusOr<explain::Explanation> e = explain::Explain(*model, request);
            ASSERT_TRUE(e.ok()) << e.status();
            std::string explained;
            if (e->route.has_value()) {
              const std::string& h = e->route->host;  // <name>.<ns>.svc.cluster.local
              const size_t dot = h.find('.');
              explained = absl::StrCat(h.substr(dot + 1, h.find('.', dot + 1) - dot - 1), "/",
                                       h.substr(0, dot), ":", e->route->port);
            }
            ASSERT_EQ(explained, want) << "explain, iteration " << iteration << ": " << method
                                       << " " << host << path << " mask " << mask;
            ++compared;
            if (!want.empty()) ++routed;
          }
        }
      }
    }
  }
  // The generator must reach both outcomes, or the agreement proves little.
  EXPECT_GT(rendered_both, 60);
  EXPECT_GT(refused, 10);
  EXPECT_GT(routed, compared / 4);
  std::printf(
      "%d configs rendered both ways (%d refused on Gateway API), %zu requests "
      "compared, %zu routed; %zu host/path pairs skipped (a prefix's bare form)\n",
      rendered_both, refused, compared, routed, skipped);
}

}  // namespace
}  // namespace edgekit::cli
