// Agreement: for generated edge.yaml files (routes.http with exact / prefix / regex paths,
// methods, headers and host scopes, plus direct-response rules answered by routes) and
// every request over a small universe, the route `edgekit explain` reports equals the one
// a deliberately simple, independent first-match evaluator (tests/testing/
// simple_route_evaluator.h, kept apart from the product's) picks in the rendered VirtualService.
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cli/commands/explain_command.h"
#include "cli/explain/explainer.h"
#include "cli/render/pipeline.h"
#include "gtest/gtest.h"
#include "tests/testing/random_routes.h"
#include "tests/testing/simple_route_evaluator.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

const std::vector<std::string> kPrefix = {"/x", "/x/", "/z", "/x/y"};

using ::edgekit::testing::Coin;
using ::edgekit::testing::Pick;

edge::v1::EdgeConfig RandomEdge(std::mt19937& rng) {
  edge::v1::EdgeConfig edge;
  edge.mutable_gateway()->add_hosts("a.example.com");
  edge.mutable_gateway()->add_hosts("*.b.example.com");
  testing::RandomRouteSpace space;
  space.exact = {"/x", "/x/y", "/z"};
  space.prefix = {"/x", "/x/", "/z", "/x/y"};
  space.regex = {"/x/[0-9]+", "/z.*", "/[xz]/y"};
  space.hosts = {"a.example.com", "*.b.example.com"};
  testing::AddRandomRoutes(rng, space, &edge);
  // Rules the routes engine answers: header tests, negations, a path prefix.
  const int rules = std::uniform_int_distribution<int>(0, 2)(rng);
  for (int i = 0; i < rules; ++i) {
    auto* rule = edge.mutable_direct_responses()->add_rules();
    rule->set_name("d" + std::to_string(i));
    rule->mutable_respond()->set_status(420 + i);
    rules::v1::Condition* when = rule->mutable_when();
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0:
        when->mutable_header()->set_name("x-d");
        when->mutable_header()->set_present(true);
        break;
      case 1:
        when->mutable_not_()->mutable_header()->set_name("x-e");
        when->mutable_not_()->mutable_header()->set_exact("1");
        break;
      case 2: {
        auto* a = when->add_all();
        a->mutable_path()->set_prefix(Pick(rng, kPrefix));
        auto* b = when->add_all();
        b->mutable_header()->set_name("x-d");
        b->mutable_header()->set_absent(true);
        break;
      }
      default:
        when->add_any()->set_method("PUT");
        when->add_any()->mutable_header()->set_name("x-e");
        when->mutable_any(1)->mutable_header()->set_exact("2");
    }
  }
  if (rules > 0) edge.mutable_direct_responses()->set_engine(edge::v1::DirectResponses::ROUTES);
  return edge;
}

// The simple side: the VirtualService whose hosts name the request's host, then first match.
std::string SimpleVerdict(const YAML::Node& vs, const std::string& host,
                          const ::edgekit::testing::RouteRequest& r) {
  const std::string name = host.substr(0, host.find(':'));
  bool served = false;
  for (const auto& h : vs["spec"]["hosts"]) {
    std::string pattern = h.as<std::string>();
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (pattern == lower || (absl::StartsWith(pattern, "*.") && lower.size() > pattern.size() - 1 &&
                             absl::EndsWith(lower, pattern.substr(1)))) {
      served = true;
    }
  }
  if (!served) return "";
  return ::edgekit::testing::EvaluateRoutes(vs, r, ::edgekit::testing::MissingHeader::kAsEmpty);
}

TEST(ExplainRoutesAgreement, ExplainPicksTheRouteASimpleFirstMatchEvaluatorPicks) {
  std::mt19937 rng(20261206);  // fixed seed: deterministic
  const std::vector<std::string> hosts = {"a.example.com", "A.Example.COM:8443", "q.b.example.com",
                                          "b.example.com", "c.example.org"};
  const std::vector<std::string> paths = {"/", "/x", "/x/", "/x/y", "/x/12", "/z", "/zz", "/X"};
  const std::vector<std::string> methods = {"GET", "POST", "PUT"};
  int configs = 0;
  size_t compared = 0, routed = 0, answered = 0, not_found = 0;
  for (int iteration = 0; iteration < 150; ++iteration) {
    absl::StatusOr<RenderedEdge> rendered = RenderEdge(RandomEdge(rng), "random", ".");
    if (!rendered.ok()) continue;  // shadowed or mutually covering routes: refused
    absl::StatusOr<explain::GatewayModel> model = GatewayOf(*rendered);
    ASSERT_TRUE(model.ok()) << model.status();
    std::string routes_yaml;
    for (const RenderedFile& f : rendered->files) {
      if (f.name == "routes.yaml") routes_yaml = f.documents.at(0);
    }
    ASSERT_FALSE(routes_yaml.empty());
    const YAML::Node vs = YAML::Load(routes_yaml);
    ++configs;
    for (const std::string& host : hosts) {
      for (const std::string& path : paths) {
        for (const std::string& method : methods) {
          for (int mask = 0; mask < 12; ++mask) {
            explain::HttpRequest request;
            request.host = host;
            request.path = path;
            request.method = method;
            ::edgekit::testing::RouteRequest simple;
            simple.host = host;
            simple.path = path;
            simple.method = method;
            const char* xa[] = {nullptr, "1", "2"};
            if (xa[mask % 3] != nullptr) {
              request.headers.emplace_back("x-a", xa[mask % 3]);
              simple.headers["x-a"] = xa[mask % 3];
            }
            if ((mask / 3) % 2) {
              request.headers.emplace_back("x-d", "1");
              simple.headers["x-d"] = "1";
            }
            if (mask / 6) {
              request.headers.emplace_back("x-e", "1");
              simple.headers["x-e"] = "1";
            }
            absl::StatusOr<explain::Explanation> e = explain::Explain(*model, request);
            ASSERT_TRUE(e.ok()) << e.status();
            std::string got;
            if (e->route.has_value()) {
              got = e->route->name;
              ++routed;
            } else if (e->direct.has_value() && e->direct->engine == "routes") {
              got = e->direct->rule;
              ++answered;
            } else {
              ++not_found;
            }
            ASSERT_EQ(got, SimpleVerdict(vs, host, simple))
                << "iteration " << iteration << " " << method << " " << host << path << " mask "
                << mask << "\n"
                << routes_yaml;
            ++compared;
          }
        }
      }
    }
  }
  // The generator must reach every outcome, or the agreement proves little.
  EXPECT_GT(configs, 60);
  EXPECT_GT(compared, 50000u);
  EXPECT_GT(routed, 10000u);
  EXPECT_GT(answered, 5000u);
  EXPECT_GT(not_found, 5000u);
  std::printf("compared %zu requests over %d configs: %zu routed, %zu answered, %zu 404\n",
              compared, configs, routed, answered, not_found);
}

}  // namespace
}  // namespace edgekit::cli
