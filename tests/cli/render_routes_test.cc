// Tests of the VirtualService of `edgekit render` (cli/render/routes.h): route order
// (direct responses, gRPC services, catch-all), unique route names, routes after a
// catch-all rule left out, hosts and gateway binding, defaults and validation of
// `routes`, and CRD validation of the result.
#include <functional>
#include <string>
#include <vector>

#include "cli/edge/edge_config.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/pipeline.h"
#include "cli/render/routes.h"
#include "cli/validate/crd_validator.h"
#include "cli/validate/istio_checks.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

edge::v1::EdgeConfig BaseConfig() {
  edge::v1::EdgeConfig config;
  config.mutable_gateway()->set_namespace_("edge");
  config.mutable_gateway()->set_name("public");
  config.mutable_gateway()->add_hosts("api.example.com");
  auto* dest = config.mutable_routes()->mutable_default_destination();
  dest->set_host("web.default.svc.cluster.local");
  dest->set_port(8080);
  auto* rule = config.mutable_direct_responses()->add_rules();
  rule->set_name("healthz");
  rule->mutable_when()->mutable_path()->set_exact("/healthz");
  rule->mutable_respond()->set_status(200);
  ApplyRoutingDefaults(&config);
  ApplyDirectResponseDefaults(&config);
  return config;
}

// The routes of `config` after its direct responses are compiled, as the pipeline runs them.
absl::StatusOr<std::vector<RenderedFile>> Render(const edge::v1::EdgeConfig& config,
                                                 const std::vector<GrpcServiceRoute>& grpc,
                                                 const RenderContext& context) {
  absl::StatusOr<CompiledDirectResponses> direct =
      CompileDirectResponses(config, context.source, context.warnings);
  if (!direct.ok()) return direct.status();
  return RenderRoutes(config, grpc, *direct, context);
}

std::vector<GrpcServiceRoute> GrpcRoutes() {
  GrpcServiceRoute greeter;
  greeter.service = "helloworld.Greeter";
  greeter.destination.set_host("greeter.default.svc.cluster.local");
  greeter.destination.set_port(50051);
  return {greeter};
}

TEST(RenderRoutesTest, RoutesInOrderMatchGolden) {
  edge::v1::EdgeConfig config = BaseConfig();
  ASSERT_TRUE(RoutesNeeded(config));
  EXPECT_EQ(config.routes().name(), "edgekit-routes");
  ASSERT_TRUE(ValidateRoutingConfig(config, "edge.yaml").ok());
  std::vector<std::string> warnings;
  RenderContext context;
  context.warnings = &warnings;
  absl::StatusOr<std::vector<RenderedFile>> files = Render(config, GrpcRoutes(), context);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].name, "routes.yaml");
  ASSERT_EQ((*files)[0].documents.size(), 1u);
  const std::string& doc = (*files)[0].documents[0];
  testing::ExpectMatchesGolden(doc, "render/routes_grpc.golden.yaml");
  YAML::Node vs = YAML::Load(doc);
  EXPECT_EQ(vs["spec"]["gateways"][0].as<std::string>(), "edge/public");
  EXPECT_EQ(vs["spec"]["hosts"][0].as<std::string>(), "api.example.com");
  ASSERT_EQ(vs["spec"]["http"].size(), 3u);
  EXPECT_EQ(vs["spec"]["http"][0]["name"].as<std::string>(), "direct-healthz");
  EXPECT_EQ(vs["spec"]["http"][1]["name"].as<std::string>(), "grpc-helloworld-greeter");
  EXPECT_EQ(vs["spec"]["http"][1]["match"][0]["uri"]["prefix"].as<std::string>(),
            "/helloworld.Greeter/");
  EXPECT_EQ(vs["spec"]["http"][1]["route"][0]["destination"]["port"]["number"].as<int>(), 50051);
  EXPECT_EQ(vs["spec"]["http"][2]["name"].as<std::string>(), "default");
  EXPECT_TRUE(warnings.empty());
}

GrpcServiceRoute Grpc(const std::string& service) {
  GrpcServiceRoute route;
  route.service = service;
  route.destination.set_host("grpc.default.svc.cluster.local");
  route.destination.set_port(50051);
  return route;
}

std::vector<std::string> Names(const YAML::Node& vs) {
  std::vector<std::string> names;
  for (const auto& route : vs["spec"]["http"]) names.push_back(route["name"].as<std::string>());
  return names;
}

TEST(RenderRoutesTest, GrpcRouteNamesAreUnique) {
  // "a.B", "a.b" and "a.b_2" all lowercase to grpc-a-b(-2): suffixes in service order.
  // The routes are then in edgekit's order: the longer prefix /a.b_2/ first, then names.
  absl::StatusOr<std::vector<RenderedFile>> files =
      Render(BaseConfig(), {Grpc("a.B"), Grpc("a.b"), Grpc("a.b_2"), Grpc("a_b")}, RenderContext{});
  ASSERT_TRUE(files.ok()) << files.status();
  YAML::Node vs = YAML::Load((*files)[0].documents[0]);
  EXPECT_EQ(Names(vs), (std::vector<std::string>{"direct-healthz", "grpc-a-b-2-2", "grpc-a-b",
                                                 "grpc-a-b-2", "grpc-a-b-3", "default"}));
  EXPECT_EQ(vs["spec"]["http"][1]["match"][0]["uri"]["prefix"].as<std::string>(), "/a.b_2/");
  EXPECT_EQ(vs["spec"]["http"][3]["match"][0]["uri"]["prefix"].as<std::string>(), "/a.b/");
  ValidationResult validation;
  CheckIstioSemantics(vs, 0, &validation);
  for (const Finding& f : validation.findings) ADD_FAILURE() << FormatFinding("routes", f);
}

TEST(RenderRoutesTest, RoutesAfterACatchAllRuleAreLeftOut) {
  edge::v1::EdgeConfig config = BaseConfig();
  auto* all = config.mutable_direct_responses()->add_rules();
  all->set_name("maintenance");  // no `when`: every request
  all->mutable_respond()->set_status(503);
  std::vector<std::string> warnings;
  RenderContext context;
  context.source = "edge.yaml";
  context.warnings = &warnings;
  absl::StatusOr<std::vector<RenderedFile>> files = Render(config, GrpcRoutes(), context);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string& doc = (*files)[0].documents[0];
  YAML::Node vs = YAML::Load(doc);
  EXPECT_EQ(Names(vs), (std::vector<std::string>{"direct-healthz", "direct-maintenance"}));
  EXPECT_NE(doc.find("# Route direct-maintenance answers every request"), std::string::npos) << doc;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "edge.yaml: direct_responses.rules: warning: the last rule answers every request, "
            "so routes.http, the gRPC routes and routes.default_destination are never used: "
            "they are left out of the VirtualService");
  // `edgekit validate`'s semantic checks find nothing (no "can never match").
  ValidationResult validation;
  CheckIstioSemantics(vs, 0, &validation);
  for (const Finding& f : validation.findings) ADD_FAILURE() << FormatFinding("routes", f);
}

TEST(RenderRoutesTest, NoVirtualServiceWithoutRoutes) {
  // Every rule goes to the Wasm plugin and there is nothing to proxy to: Istio would
  // reject a VirtualService with `http: []`, so none is rendered, with a warning.
  edge::v1::EdgeConfig config;
  config.mutable_gateway()->add_hosts("a.example.com");
  auto* direct = config.mutable_direct_responses();
  direct->mutable_wasm()->set_image("oci://registry.example.com/dr:1");
  auto* rule = direct->add_rules();
  rule->set_name("same");
  rule->mutable_when()->add_headers_equal("x-a");
  rule->mutable_when()->add_headers_equal("x-b");
  rule->mutable_respond()->set_status(400);
  ApplyEdgeDefaults(&config);
  ASSERT_TRUE(ValidateEdgeConfig(config, "edge.yaml").ok());
  std::vector<std::string> warnings;
  RenderContext context;
  context.source = "edge.yaml";
  context.warnings = &warnings;
  absl::StatusOr<std::vector<RenderedFile>> files = RenderEdgeConfig(config, context);
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].name, "direct-response-wasm.yaml");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("edge.yaml: routes: warning: no VirtualService rendered"),
            std::string::npos)
      << warnings[0];
}

TEST(RenderRoutesTest, EmptyHostsServeEveryHostAndSaySo) {
  edge::v1::EdgeConfig config = BaseConfig();
  config.mutable_gateway()->clear_hosts();
  absl::StatusOr<std::vector<RenderedFile>> files = Render(config, {}, RenderContext{});
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string& doc = (*files)[0].documents[0];
  EXPECT_EQ(doc.rfind("# gateway.hosts is empty", 0), 0u) << doc;
  EXPECT_EQ(YAML::Load(doc)["spec"]["hosts"][0].as<std::string>(), "*");
}

TEST(RenderRoutesTest, NotNeededWithoutRoutingFeatures) {
  edge::v1::EdgeConfig config;
  EXPECT_FALSE(RoutesNeeded(config));
  config.mutable_direct_responses()->set_enabled(false);
  EXPECT_FALSE(RoutesNeeded(config));
  config.mutable_direct_responses()->clear_enabled();
  EXPECT_TRUE(RoutesNeeded(config));
}

TEST(RenderRoutesTest, ValidationNamesTheKey) {
  struct Case {
    std::function<void(edge::v1::EdgeConfig*)> edit;
    std::string want;
  };
  const std::vector<Case> cases = {
      {[](auto* c) { c->mutable_routes()->set_name("Bad"); },
       "edge.yaml: routes.name: \"Bad\" is not a valid Kubernetes name"},
      {[](auto* c) { c->mutable_routes()->mutable_default_destination()->clear_host(); },
       "edge.yaml: routes.default_destination.host: required"},
      {[](auto* c) { c->mutable_routes()->mutable_default_destination()->set_host("Web"); },
       "edge.yaml: routes.default_destination.host: \"Web\" is not a lowercase DNS name"},
      {[](auto* c) { c->mutable_routes()->mutable_default_destination()->set_port(70000); },
       "edge.yaml: routes.default_destination.port: must be in [1, 65535], got 70000"},
  };
  for (const Case& c : cases) {
    edge::v1::EdgeConfig config = BaseConfig();
    c.edit(&config);
    absl::Status s = ValidateRoutingConfig(config, "edge.yaml");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(s.message()).rfind(c.want, 0), 0u) << s.message();
  }
}

TEST(RenderRoutesTest, RenderedVirtualServiceMatchesIstioCrd) {
  if (!testing::FileExists(CrdFile())) FAIL() << CrdFile() << " not found";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  absl::StatusOr<std::vector<RenderedFile>> files =
      Render(BaseConfig(), GrpcRoutes(), RenderContext{});
  ASSERT_TRUE(files.ok()) << files.status();
  ValidationResult validation;
  registry->ValidateObject(YAML::Load((*files)[0].documents[0]), 0, ValidateOptions{}, &validation);
  EXPECT_EQ(validation.objects_validated, 1);
  for (const Finding& f : validation.findings) ADD_FAILURE() << FormatFinding("routes", f);
}

}  // namespace
}  // namespace edgekit::cli
