// The examples with rendered manifests checked in (examples/helloworld: all four features;
// examples/broker-rules: direct responses answered by the broker; examples/multi-team and
// its Gateway API variant): what is checked in
// must be what `edgekit render` gives today (EDGEKIT_UPDATE_GOLDEN=1 rewrites them;
// review the diff), every Istio object must pass the real CRD schemas and the semantic
// checks, broker.yaml must be accepted by the real broker; and each example's point
// holds (the Greeter's `POST /say` binding; the rules in broker.yaml, not in routes).
#include <algorithm>
#include <cstdlib>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cli/proto/http_routes.h"
#include "cli/validate/crd_validator.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "tests/cli/istio_test_util.h"
#include "tests/testing/gateway_api_route_evaluator.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::ListDir;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::ReadFileToString;
using ::edgekit::cli::testing::RunCommand;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

struct Example {
  const char* name;    // under examples/
  const char* config;  // the file rendered, in that folder
  std::vector<std::string> files;
  std::vector<std::string> kinds;  // of the Istio objects, in file order
  const char* broker_summary;      // in the broker's --check-config output
};
void PrintTo(const Example& e, std::ostream* os) { *os << e.name; }

std::string Dir(const Example& e) { return EDGEKIT_SOURCE_DIR "/examples/" + std::string(e.name); }
std::string Rendered(const Example& e) { return Dir(e) + "/rendered"; }

// Renders the example into a fresh directory (from another working directory, so paths
// in edge.yaml must resolve against the file's own directory).
std::string RenderExample(const Example& e) {
  const std::string out = MakeTempDir() + "/rendered";
  auto result = RunCommand({EDGEKIT_CLI_BINARY, "render", "-f", Dir(e) + "/" + e.config, "-o", out},
                           "/dev/null", "/");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  // No warnings; the one line render may print is its note on the engine `auto` chose.
  EXPECT_EQ(result.err.find("warning"), std::string::npos) << result.err;
  for (absl::string_view line : absl::StrSplit(result.err, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StrContains(line, ": direct_responses.engine: auto chose ")) << line;
  }
  return out;
}

class ExampleTest : public ::testing::TestWithParam<Example> {};

TEST_P(ExampleTest, CheckedInManifestsAreUpToDate) {
  const Example& e = GetParam();
  const std::string out = RenderExample(e);
  const std::vector<std::string> files = ListDir(out);
  EXPECT_EQ(files, e.files);
  const char* update = std::getenv("EDGEKIT_UPDATE_GOLDEN");
  const bool updating = update != nullptr && std::string(update) == "1";
  if (!updating) {
    EXPECT_EQ(ListDir(Rendered(e)), files) << "files in " << Rendered(e);
  }
  for (const std::string& name : files) {
    const std::string fresh = ReadFileToString(out + "/" + name);
    if (updating) {
      WriteStringToFile(Rendered(e) + "/" + name, fresh);
      continue;
    }
    EXPECT_EQ(ReadFileToString(Rendered(e) + "/" + name), fresh)
        << Rendered(e) << "/" << name << " is stale: rerun with EDGEKIT_UPDATE_GOLDEN=1 and "
        << "review the diff";
  }
}

TEST_P(ExampleTest, EveryIstioObjectIsValid) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  // Istio's CRDs and Gateway API's (the gateway-api examples render HTTPRoutes).
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  const absl::Status gateway_api =
      registry->AddFile(EDGEKIT_SHARED_SCHEMAS "/gateway-api-crds.v1.5.1-standard.yaml");
  ASSERT_TRUE(gateway_api.ok()) << gateway_api;
  std::vector<std::string> kinds;
  for (const std::string& name : ListDir(Rendered(GetParam()))) {
    for (const std::string& kind : testing::ExpectValidIstioObjects(
             *registry, ReadFileToString(Rendered(GetParam()) + "/" + name), name)) {
      kinds.push_back(kind);
    }
  }
  EXPECT_EQ(kinds, GetParam().kinds);
}

TEST_P(ExampleTest, BrokerAcceptsTheRenderedConfig) {
  auto check = RunCommand(
      {EDGEKIT_BROKER_BINARY, "--config", Rendered(GetParam()) + "/broker.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find(GetParam().broker_summary), std::string::npos)
      << check.out;
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleTest,
    ::testing::Values(
        Example{"helloworld",
                "edge.yaml",
                {"broker.yaml", "ext-authz-istio-operator.yaml", "ext-authz-istiod-values.yaml",
                 "ext-authz.yaml", "routes.yaml", "transcoding.yaml"},
                {"ServiceEntry", "AuthorizationPolicy", "VirtualService", "EnvoyFilter"},
                "budget=0.05"},
        Example{"broker-rules",
                "edge.yaml",
                {"broker.yaml", "ext-authz-istio-operator.yaml", "ext-authz-istiod-values.yaml",
                 "ext-authz.yaml", "gateway-values.yaml", "routes.yaml"},
                {"ServiceEntry", "AuthorizationPolicy", "VirtualService"},
                "direct_responses=4 rules (3 CIDRs)"},
        Example{"multi-team",
                "platform.yaml",
                {"broker.yaml", "ext-authz-istio-operator.yaml", "ext-authz-istiod-values.yaml",
                 "ext-authz.yaml", "routes.yaml", "transcoding.yaml"},
                {"ServiceEntry", "AuthorizationPolicy", "VirtualService", "EnvoyFilter"},
                "upstream=dns:///authz.auth.svc.cluster.local:9000"},
        Example{"multi-team-gateway-api",
                "platform.yaml",
                {"broker.yaml", "ext-authz-istio-operator.yaml", "ext-authz-istiod-values.yaml",
                 "ext-authz.yaml", "gateway-parameters.yaml", "routes.yaml", "transcoding.yaml"},
                {"ServiceEntry", "AuthorizationPolicy", "HTTPRoute", "GRPCRoute", "HTTPRoute",
                 "HTTPRoute", "HTTPRoute", "ReferenceGrant", "ReferenceGrant", "EnvoyFilter"},
                "direct_responses=2 rules (0 CIDRs)"}),
    [](const ::testing::TestParamInfo<Example>& param) {
      std::string name = param.param.name;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

const std::string kRendered = EDGEKIT_SOURCE_DIR "/examples/helloworld/rendered";

TEST(HelloworldExampleTest, DescriptorCarriesTheGreeterBinding) {
  const YAML::Node filter = YAML::Load(ReadFileToString(kRendered + "/transcoding.yaml"));
  const YAML::Node patches = filter["spec"]["configPatches"];
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[0]["patch"]["value"]["name"].as<std::string>(),
            "envoy.filters.http.compressor");
  const YAML::Node transcoder = patches[1]["patch"]["value"];
  ASSERT_EQ(transcoder["name"].as<std::string>(), "envoy.filters.http.grpc_json_transcoder");
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(
      transcoder["typed_config"]["proto_descriptor_bin"].as<std::string>(), &bytes));
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(bytes));
  absl::StatusOr<std::vector<HttpRoute>> routes = ListHttpRoutes(set);
  ASSERT_TRUE(routes.ok()) << routes.status();
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].method, "helloworld.Greeter/SayHello");
  EXPECT_EQ((*routes)[0].verb, "POST");
  EXPECT_EQ((*routes)[0].path, "/say");

  // After transcoding the path is /helloworld.Greeter/SayHello: the VirtualService must
  // send that prefix to the Greeter, after the direct-response rule.
  const YAML::Node vs = YAML::Load(ReadFileToString(kRendered + "/routes.yaml"));
  const YAML::Node http = vs["spec"]["http"];
  ASSERT_EQ(http.size(), 3u);
  EXPECT_TRUE(http[0]["directResponse"]);
  EXPECT_EQ(http[1]["match"][0]["uri"]["prefix"].as<std::string>(), "/helloworld.Greeter/");
  EXPECT_EQ(http[1]["route"][0]["destination"]["host"].as<std::string>(),
            "greeter.default.svc.cluster.local");
  EXPECT_FALSE(http[2]["match"]) << "the last route is the catch-all";
}

// The broker answers all four rules (one order, before any Check upstream; the third
// only in dry run): they are in broker.yaml, scoped to the gateway's hosts, with the
// trusted proxies, and no route answers directly.
TEST(BrokerRulesExampleTest, RulesAreInTheBrokerNotInRoutes) {
  const std::string dir = EDGEKIT_SOURCE_DIR "/examples/broker-rules/rendered";
  const YAML::Node broker = YAML::Load(ReadFileToString(dir + "/broker.yaml"));
  const YAML::Node direct = broker["direct_responses"];
  ASSERT_TRUE(direct);
  ASSERT_EQ(direct["rules"].size(), 4u);
  EXPECT_EQ(direct["rules"][0]["name"].as<std::string>(), "blocklist");
  EXPECT_EQ(direct["rules"][1]["name"].as<std::string>(), "tenant-mismatch");
  EXPECT_EQ(direct["rules"][2]["name"].as<std::string>(), "legacy-app");
  EXPECT_TRUE(direct["rules"][2]["dry_run"].as<bool>());
  EXPECT_EQ(direct["rules"][3]["name"].as<std::string>(), "need-foo-and-bar");
  for (int i : {0, 1, 3}) EXPECT_FALSE(direct["rules"][i]["dry_run"]) << i;
  EXPECT_EQ(direct["hosts"][0].as<std::string>(), "shop.example.com");
  EXPECT_EQ(direct["num_trusted_proxies"].as<int>(), 2);
  const YAML::Node vs = YAML::Load(ReadFileToString(dir + "/routes.yaml"));
  for (const auto& route : vs["spec"]["http"]) EXPECT_FALSE(route["directResponse"]);
}

}  // namespace
}  // namespace edgekit::cli

namespace edgekit::cli {
namespace {

// The multi-team example, request by request through its checked-in VirtualService.
TEST(MultiTeamExampleTest, EachTeamsRequestsReachItsBackendOnItsHosts) {
  const YAML::Node vs =
      YAML::Load(ReadFileToString(EDGEKIT_SOURCE_DIR "/examples/multi-team/rendered/routes.yaml"));
  struct Case {
    const char* method;
    const char* host;
    const char* path;
    std::map<std::string, std::string> headers;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"GET", "shop.example.com", "/catalog/shoes", {}, "storefront.catalog"},
      {"GET", "shop.example.com", "/assets/app.css", {}, "storefront.assets"},
      {"GET", "shop.example.com", "/", {}, "default"},
      {"GET", "api.example.com", "/v1/orders/7", {}, "orders.read"},
      {"PUT", "api.example.com", "/v1/orders/7", {}, "orders.write"},
      {"GET", "api.example.com", "/v1/orders/7/invoice", {}, "orders.legacy-invoices"},
      {"POST",
       "api.example.com",
       "/payments.v1.Payments/GetPayment",
       {},
       "payments.grpc-payments-v1-payments"},
      {"POST",
       "api.example.com",
       "/payments.v1.Payments/GetPayment",
       {{"x-payments-frozen", "1"}},
       "direct-payments.frozen"},
      {"GET", "api.example.com", "/v1/orders/7", {{"x-payments-frozen", "1"}}, "orders.read"},
      {"GET", "grafana.internal.example.com", "/grafana/", {}, "direct-ops.staff-only"},
      {"GET", "grafana.internal.example.com", "/grafana/", {{"x-staff", "yes"}}, "ops.grafana"},
      {"GET", "shop.example.com", "/catalog/shoes", {{"x-staff", "no"}}, "storefront.catalog"},
  };
  for (const Case& c : cases) {
    ::edgekit::testing::RouteRequest req;
    req.method = c.method;
    req.host = c.host;
    req.path = c.path;
    req.headers = c.headers;
    EXPECT_EQ(::edgekit::testing::RouteTaken(vs, req), c.want)
        << c.method << " " << c.host << c.path;
  }
}

// The same teams on a Gateway API Gateway, request by request through the checked-in
// HTTPRoutes and GRPCRoutes as Istio 1.30 ranks them (tests/testing/
// gateway_api_route_evaluator.h): each team's requests reach the backend they reach
// through ../multi-team's VirtualService. The direct responses are the broker's there
// (BrokerAcceptsTheRenderedConfig checks its config); the transcoded REST call reaches
// the gRPC backend by its rewritten path.
TEST(MultiTeamGatewayApiExampleTest, EachTeamsRequestsReachItsBackend) {
  std::vector<YAML::Node> routes;
  for (const YAML::Node& doc : YAML::LoadAll(ReadFileToString(
           EDGEKIT_SOURCE_DIR "/examples/multi-team-gateway-api/rendered/routes.yaml"))) {
    routes.push_back(doc);
  }
  const std::vector<::edgekit::testing::GatewayApiMatch> matches =
      ::edgekit::testing::GatewayApiMatches(routes);
  struct Case {
    const char* method;
    const char* host;
    const char* path;
    const char* want;  // "<namespace>/<service>:<port>"
  };
  const std::vector<Case> cases = {
      {"GET", "shop.example.com", "/catalog/shoes", "storefront/catalog:8080"},
      {"GET", "shop.example.com", "/assets/app.css", "storefront/assets:8080"},
      {"DELETE", "shop.example.com", "/cart", "storefront/cart:8080"},
      {"PATCH", "shop.example.com", "/cart", "storefront/web:8080"},
      {"GET", "shop.example.com", "/", "storefront/web:8080"},
      {"GET", "api.example.com", "/v1/orders/7", "orders/orders:8080"},
      {"PUT", "api.example.com", "/v1/orders/7", "orders/orders-writer:8080"},
      {"GET", "api.example.com", "/v1/orders/invoices/7", "orders-legacy/invoices:8080"},
      {"POST", "api.example.com", "/payments.v1.Payments/GetPayment",
       "payments/payments-grpc:9000"},
      {"GET", "api.example.com", "/elsewhere", "storefront/web:8080"},
      {"GET", "grafana.internal.example.com", "/grafana/", "ops/grafana:3000"},
      {"GET", "grafana.internal.example.com", "/other", "storefront/web:8080"},
      // Not a host of the Gateway's routes: 404.
      {"GET", "www.example.org", "/catalog/shoes", ""},
  };
  for (const Case& c : cases) {
    ::edgekit::testing::RouteRequest req;
    req.method = c.method;
    req.host = c.host;
    req.path = c.path;
    EXPECT_EQ(::edgekit::testing::EvaluateGatewayApi(matches, req), c.want)
        << c.method << " " << c.host << c.path;
  }
}

}  // namespace
}  // namespace edgekit::cli
