// Tests of `edgekit render` on gateway.api gateway-api (cli/render/gateway_api_routes.h,
// gateway_attachment.h): the route table as HTTPRoutes and GRPCRoutes per team, policies
// attached with targetRefs, ReferenceGrants, direct responses in the broker, Gateway API's
// precedence checked against edgekit's order, and every object rendered valid against the
// real Gateway API v1.5.1 and Istio 1.30 CRDs with no --allow-unknown-groups.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/render/output_files.h"
#include "cli/render/pipeline.h"
#include "cli/validate/crd_validator.h"
#include "cli/validate/istio_checks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::MakeTempDir;
using testing::WriteStringToFile;

constexpr char kGateway[] = R"(gateway:
  api: gateway-api
  name: edge
  namespace: istio-ingress
  section_name: https
  hosts: [api.example.com, "*.example.com"]
)";

// Renders `files` (name -> text; "edge.yaml" is rendered) written into a fresh directory.
absl::StatusOr<RenderedEdge> RenderFiles(
    const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string dir = MakeTempDir();
  for (const auto& [name, text] : files) WriteStringToFile(absl::StrCat(dir, "/", name), text);
  return RenderEdgeFile(dir + "/edge.yaml");
}

// Every document of every cluster-object file, by kind.
std::vector<YAML::Node> Objects(const RenderedEdge& edge, const std::string& file) {
  std::vector<YAML::Node> out;
  for (const RenderedFile& f : edge.files) {
    if (f.name != file) continue;
    for (const std::string& doc : f.documents) out.push_back(YAML::Load(doc));
  }
  return out;
}

const CrdRegistry& Crds() {
  static const CrdRegistry* const registry = [] {
    auto* r = new CrdRegistry();
    for (const char* file : {"/istio-crds.gen.yaml", "/gateway-api-crds.v1.5.1-standard.yaml"}) {
      const absl::Status added = r->AddFile(std::string(EDGEKIT_SHARED_SCHEMAS) + file);
      EXPECT_TRUE(added.ok()) << added << " (the CRDs live in ../shared/schemas)";
    }
    return r;
  }();
  return *registry;
}

// Every object of every file apply takes is valid against both CRD sets (and ConfigMaps,
// which validate checks itself): no finding at all, and no --allow-unknown-groups.
void ExpectAllValid(const RenderedEdge& edge) {
  for (const RenderedFile& f : edge.files) {
    if (!FindOutputFile(f.name)->cluster_objects) continue;  // istioctl's and helm's inputs
    for (size_t i = 0; i < f.documents.size(); ++i) {
      const YAML::Node doc = YAML::Load(f.documents[i]);
      if (!doc["kind"]) continue;
      ValidationResult result;
      Crds().ValidateObject(doc, static_cast<int>(i), ValidateOptions{}, &result);
      CheckIstioSemantics(doc, static_cast<int>(i), &result);
      EXPECT_EQ(result.objects_validated, 1) << f.name << ": " << doc["kind"];
      for (const Finding& finding : result.findings) {
        ADD_FAILURE() << FormatFinding(f.name, finding);
      }
    }
  }
}

TEST(RenderGatewayApiTest, RoutesBecomeHttpRoutesAndPoliciesAttachByTargetRefs) {
  absl::StatusOr<RenderedEdge> edge = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, R"(
gzip: {}
routes:
  default_destination: {host: web.frontend.svc.cluster.local, port: 8080}
  http:
    - name: orders
      match: {prefix: /v1/orders/, methods: [GET, POST]}
      destination: {host: orders.istio-ingress.svc.cluster.local, port: 8080}
    - name: health
      match: {exact: /healthz}
      destination: {host: health, port: 8080}
direct_responses:
  rules:
    - name: maintenance
      when: {header: {name: x-maintenance, present: true}}
      respond: {status: 503, body: down}
ext_authz:
  upstream_target: dns:///authz.auth.svc.cluster.local:9000
)")}});
  ASSERT_TRUE(edge.ok()) << edge.status();
  ExpectAllValid(*edge);

  const std::vector<YAML::Node> routes = Objects(*edge, "routes.yaml");
  ASSERT_EQ(routes.size(), 2u);  // the HTTPRoute and the grant to web's namespace
  const YAML::Node& route = routes[0];
  EXPECT_EQ(route["kind"].as<std::string>(), "HTTPRoute");
  EXPECT_EQ(route["metadata"]["namespace"].as<std::string>(), "istio-ingress");
  const YAML::Node parent = route["spec"]["parentRefs"][0];
  EXPECT_EQ(parent["name"].as<std::string>(), "edge");
  EXPECT_EQ(parent["namespace"].as<std::string>(), "istio-ingress");
  EXPECT_EQ(parent["sectionName"].as<std::string>(), "https");
  const YAML::Node rules = route["spec"]["rules"];
  ASSERT_EQ(rules.size(), 3u);  // edgekit's order: exact, prefix, the default
  EXPECT_EQ(rules[0]["matches"][0]["path"]["type"].as<std::string>(), "Exact");
  EXPECT_EQ(rules[0]["backendRefs"][0]["name"].as<std::string>(), "health");
  // Two methods: two matches, one method each.
  ASSERT_EQ(rules[1]["matches"].size(), 2u);
  EXPECT_EQ(rules[1]["matches"][0]["method"].as<std::string>(), "GET");
  EXPECT_EQ(rules[1]["matches"][1]["method"].as<std::string>(), "POST");
  EXPECT_EQ(rules[1]["matches"][1]["path"]["value"].as<std::string>(), "/v1/orders/");
  // The default: PathPrefix "/" (what the API server defaults a rule without matches to),
  // in another namespace, so granted.
  EXPECT_EQ(rules[2]["matches"][0]["path"]["value"].as<std::string>(), "/");
  EXPECT_EQ(rules[2]["backendRefs"][0]["namespace"].as<std::string>(), "frontend");
  const YAML::Node& grant = routes[1];
  EXPECT_EQ(grant["kind"].as<std::string>(), "ReferenceGrant");
  EXPECT_EQ(grant["metadata"]["namespace"].as<std::string>(), "frontend");
  EXPECT_EQ(grant["spec"]["from"][0]["namespace"].as<std::string>(), "istio-ingress");
  EXPECT_EQ(grant["spec"]["to"][0]["name"].as<std::string>(), "web");

  // Policies attach to the Gateway by targetRefs, never by selector.
  for (const char* file : {"gzip.yaml", "ext-authz.yaml"}) {
    for (const YAML::Node& object : Objects(*edge, file)) {
      const std::string kind = object["kind"].as<std::string>();
      if (kind != "EnvoyFilter" && kind != "AuthorizationPolicy") continue;
      EXPECT_FALSE(object["spec"]["workloadSelector"]) << file;
      EXPECT_FALSE(object["spec"]["selector"]) << file;
      const YAML::Node ref = object["spec"]["targetRefs"][0];
      EXPECT_EQ(ref["kind"].as<std::string>(), "Gateway") << file;
      EXPECT_EQ(ref["group"].as<std::string>(), "gateway.networking.k8s.io") << file;
      EXPECT_EQ(ref["name"].as<std::string>(), "edge") << file;
      EXPECT_EQ(object["metadata"]["namespace"].as<std::string>(), "istio-ingress") << file;
    }
  }
  // Direct responses are the broker's: no VirtualService, the rule in broker.yaml.
  EXPECT_THAT(edge->notes, ElementsAre(HasSubstr("auto chose broker: gateway.api is gateway-api")));
  bool broker_has_rule = false;
  for (const RenderedFile& f : edge->files) {
    if (f.name == "broker.yaml")
      broker_has_rule = f.documents[0].find("maintenance") != std::string::npos;
    for (const std::string& doc : f.documents) {
      EXPECT_EQ(doc.find("kind: VirtualService"), std::string::npos) << f.name;
    }
  }
  EXPECT_TRUE(broker_has_rule);

  // Istio deploys the pods: the broker joins them through the Gateway's parametersRef
  // ConfigMap (a deployment overlay adding its container), its config in a second one.
  const std::vector<YAML::Node> parameters = Objects(*edge, "gateway-parameters.yaml");
  ASSERT_EQ(parameters.size(), 2u);
  const YAML::Node overlay = YAML::Load(parameters[0]["data"]["deployment"].as<std::string>());
  const YAML::Node pod = overlay["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["name"].as<std::string>(), "edgekit-broker");
  EXPECT_EQ(pod["containers"][0]["image"].as<std::string>(), "ghcr.io/edgekit/edgekit:0.1.0");
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"].as<std::string>(), "edge-edgekit-broker");
  EXPECT_EQ(parameters[1]["metadata"]["name"].as<std::string>(), "edge-edgekit-broker");
  EXPECT_NE(parameters[1]["data"]["broker.yaml"].as<std::string>().find("maintenance"),
            std::string::npos);
}

TEST(RenderGatewayApiTest, WhatGatewayApiCannotExpressIsAnError) {
  const auto error = [](const std::string& rest) {
    absl::StatusOr<RenderedEdge> edge = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, rest)}});
    return edge.ok() ? std::string("ok") : std::string(edge.status().message());
  };
  EXPECT_THAT(error("direct_responses:\n  engine: routes\n  rules:\n"
                    "    - {name: r, when: {path: {exact: /x}}, respond: {status: 404}}\n"),
              HasSubstr("direct_responses.engine: routes cannot answer on gateway.api "
                        "gateway-api: Gateway API has no direct response"));
  EXPECT_THAT(error("ext_authz:\n  mode: loopback\n"
                    "  upstream_target: dns:///authz.auth.svc.cluster.local:9000\n"),
              HasSubstr("ext_authz.mode: loopback needs an Istio Gateway"));
  EXPECT_THAT(error("routes:\n  default_destination: {host: api.partner.com, port: 443}\n"),
              HasSubstr("destination host \"api.partner.com\" is not a Kubernetes Service"));
}

TEST(RenderGatewayApiTest, SectionNameNeedsGatewayApi) {
  absl::StatusOr<RenderedEdge> edge =
      RenderFiles({{"edge.yaml", "gateway: {section_name: https}\ngzip: {}\n"}});
  ASSERT_FALSE(edge.ok());
  EXPECT_THAT(edge.status().message(),
              HasSubstr("gateway.section_name: names a listener of a Gateway API Gateway"));
}

// A regex ranks below every prefix on Gateway API (Istio's sortHTTPRoutes), so a regex
// route inside a prefix route's paths, which edgekit's VirtualService puts first, would
// lose its requests: refused, naming both.
TEST(RenderGatewayApiTest, PrecedenceThatWouldShadowARouteIsRefused) {
  absl::StatusOr<RenderedEdge> edge = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, R"(
routes:
  http:
    - name: orders
      match: {prefix: /v1/orders/}
      destination: {host: orders.istio-ingress.svc.cluster.local, port: 8080}
    - name: invoice
      match: {regex: "/v1/orders/[0-9]+/invoice"}
      destination: {host: invoices.istio-ingress.svc.cluster.local, port: 8080}
)")}});
  ASSERT_FALSE(edge.ok());
  EXPECT_THAT(edge.status().message(),
              HasSubstr("routes.http[0] (orders) would take requests of routes.http[1] "
                        "(invoice) on Gateway API, which ranks prefix /v1/orders/ above a "
                        "regular expression (/v1/orders/[0-9]+/invoice)"));
  // The same routes with an exact path for the narrower one render.
  absl::StatusOr<RenderedEdge> fixed = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, R"(
routes:
  http:
    - name: orders
      match: {prefix: /v1/orders/}
      destination: {host: orders.istio-ingress.svc.cluster.local, port: 8080}
    - name: invoices
      match: {prefix: /v1/orders/invoices/}
      destination: {host: invoices.istio-ingress.svc.cluster.local, port: 8080}
)")}});
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  ExpectAllValid(*fixed);
}

// Two teams, one HTTPRoute each in its own namespace. Team claims keep teams apart, but a
// team's route can tie with the platform's (same kind and length of path): creation time
// would decide between the two HTTPRoutes, so it is refused, naming both.
TEST(RenderGatewayApiTest, TeamsGetTheirOwnHttpRoutesAndTiesBetweenThemAreRefused) {
  const std::string platform = absl::StrCat(kGateway, R"(
routes:
  default_destination: {host: web.frontend.svc.cluster.local, port: 8080}
teams:
  - name: orders
    config: orders.yaml
    hosts: [api.example.com]
    path_prefixes: [/v1/orders/]
    destination_namespaces: [orders, billing]
  - name: shop
    config: shop.yaml
    hosts: [shop.example.com]
)");
  const std::string orders = R"(routes:
  http:
    - name: read
      match: {prefix: /v1/orders/, methods: [GET]}
      destination: {host: orders.orders.svc.cluster.local, port: 8080}
    - name: invoices
      match: {prefix: /v1/orders/invoices/}
      destination: {host: invoices.billing.svc.cluster.local, port: 8080}
)";
  const std::string shop = R"(routes:
  http:
    - name: cart
      match: {prefix: /cart/}
      destination: {host: cart.shop.svc.cluster.local, port: 8080}
)";
  absl::StatusOr<RenderedEdge> edge =
      RenderFiles({{"edge.yaml", platform}, {"orders.yaml", orders}, {"shop.yaml", shop}});
  ASSERT_TRUE(edge.ok()) << edge.status();
  ExpectAllValid(*edge);
  std::vector<std::string> objects;
  for (const YAML::Node& o : Objects(*edge, "routes.yaml")) {
    objects.push_back(absl::StrCat(o["kind"].as<std::string>(), " ",
                                   o["metadata"]["namespace"].as<std::string>(), "/",
                                   o["metadata"]["name"].as<std::string>()));
    if (o["metadata"]["name"].as<std::string>() == "edgekit-routes") {
      // The default serves every gateway host; *.example.com also lists shop.example.com,
      // which a team names: Istio's virtual host for shop.example.com, the most specific,
      // must hold the default route too.
      EXPECT_THAT(o["spec"]["hostnames"].as<std::vector<std::string>>(),
                  ElementsAre("*.example.com", "api.example.com", "shop.example.com"));
    }
  }
  EXPECT_THAT(objects, ElementsAre("HTTPRoute orders/orders", "HTTPRoute shop/shop",
                                   "HTTPRoute istio-ingress/edgekit-routes",
                                   "ReferenceGrant billing/edgekit-edge-from-orders",
                                   "ReferenceGrant frontend/edgekit-edge-from-istio-ingress"));
  // The note on allowedRoutes names every namespace with routes.
  for (const RenderedFile& f : edge->files) {
    if (f.name == "routes.yaml") {
      EXPECT_THAT(f.documents[0],
                  HasSubstr("from the namespaces\n#   istio-ingress, orders, shop\n"));
    }
  }

  const std::string tie = R"(routes:
  http:
    - name: everything
      match: {prefix: /}
      destination: {host: all.shop.svc.cluster.local, port: 8080}
)";
  absl::StatusOr<RenderedEdge> tied =
      RenderFiles({{"edge.yaml", platform}, {"orders.yaml", orders}, {"shop.yaml", tie}});
  ASSERT_FALSE(tied.ok());
  EXPECT_THAT(tied.status().message(), HasSubstr("tie on Gateway API"));
  EXPECT_THAT(tied.status().message(), HasSubstr("team shop"));
  EXPECT_THAT(tied.status().message(), HasSubstr("routes.default_destination"));
}

// Istio deploys a Gateway API gateway itself: what edgekit needs of its pods (the trusted
// proxies' annotation here) is a strategic merge patch in the ConfigMap the Gateway's
// spec.infrastructure.parametersRef names, never istio/gateway Helm values.
TEST(RenderGatewayApiTest, PodSettingsGoToTheParametersConfigMap) {
  absl::StatusOr<RenderedEdge> edge = RenderFiles({{"edge.yaml", R"(gateway:
  api: gateway-api
  name: edge
  namespace: istio-ingress
  num_trusted_proxies: 2
gzip: {}
)"}});
  ASSERT_TRUE(edge.ok()) << edge.status();
  std::vector<std::string> names;
  for (const RenderedFile& f : edge->files) names.push_back(f.name);
  EXPECT_THAT(names, ElementsAre("gzip.yaml", "gateway-parameters.yaml"));
  const std::vector<YAML::Node> config_maps = Objects(*edge, "gateway-parameters.yaml");
  ASSERT_EQ(config_maps.size(), 1u);
  EXPECT_EQ(config_maps[0]["kind"].as<std::string>(), "ConfigMap");
  EXPECT_EQ(config_maps[0]["metadata"]["name"].as<std::string>(), "edge-edgekit");
  EXPECT_EQ(config_maps[0]["metadata"]["namespace"].as<std::string>(), "istio-ingress");
  // Only keys istiod takes (any other makes it refuse the whole ConfigMap).
  ASSERT_EQ(config_maps[0]["data"].size(), 1u);
  const YAML::Node overlay = YAML::Load(config_maps[0]["data"]["deployment"].as<std::string>());
  EXPECT_EQ(overlay["spec"]["template"]["metadata"]["annotations"]["proxy.istio.io/config"]
                .as<std::string>(),
            "{\"gatewayTopology\": {\"numTrustedProxies\": 2}}");
}

// The CRD's limits and the hostnames' virtual hosts, on a platform with many hosts:
// a route serving more than 16 hostnames is split over several HTTPRoutes (each hostname
// in one of them), more than 128 matches (methods multiply them) continue in another
// object, and everything validates.
TEST(RenderGatewayApiTest, LargeGatewaysStayWithinTheCrdLimits) {
  std::string edge = R"(gateway:
  api: gateway-api
  name: edge
  namespace: istio-ingress
  hosts: ["*.example.com"]
routes:
  default_destination: {host: web.istio-ingress.svc.cluster.local, port: 8080}
  http:
)";
  for (int i = 0; i < 20; ++i) {
    absl::StrAppend(&edge, "    - {name: r", i, ", hosts: [h", i,
                    ".example.com], match: {prefix: /r", i,
                    "/, methods: [GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, CONNECT, TRACE]}, "
                    "destination: {host: r",
                    i, ".istio-ingress.svc.cluster.local, port: 80}}\n");
  }
  absl::StatusOr<RenderedEdge> rendered = RenderFiles({{"edge.yaml", edge}});
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  ExpectAllValid(*rendered);
  size_t default_copies = 0;
  std::set<std::string> default_hostnames;
  for (const YAML::Node& o : Objects(*rendered, "routes.yaml")) {
    size_t matches = 0;
    for (const auto& rule : o["spec"]["rules"]) matches += rule["matches"].size();
    EXPECT_LE(matches, 128u) << o["metadata"]["name"];
    EXPECT_LE(o["spec"]["hostnames"].size(), 16u) << o["metadata"]["name"];
    if (o["spec"]["rules"][0]["name"].as<std::string>() == "default") {
      ++default_copies;
      for (const auto& h : o["spec"]["hostnames"]) default_hostnames.insert(h.as<std::string>());
    }
  }
  // *.example.com and the 20 named hosts: 21 hostnames, in two copies of the default.
  EXPECT_EQ(default_copies, 2u);
  EXPECT_EQ(default_hostnames.size(), 21u);
}

TEST(RenderGatewayApiTest, PrefixesThatGatewayApiReadsAsOneAreRefused) {
  absl::StatusOr<RenderedEdge> edge = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, R"(
routes:
  http:
    - {name: tree, match: {prefix: /api/}, destination: {host: a.istio-ingress.svc.cluster.local, port: 80}}
    - {name: bare, match: {prefix: /api}, destination: {host: b.istio-ingress.svc.cluster.local, port: 80}}
)")}});
  ASSERT_FALSE(edge.ok());
  EXPECT_THAT(edge.status().message(),
              HasSubstr("routes.http[0] (tree) (prefix /api/) and routes.http[1] (bare) (prefix "
                        "/api) are the same PathPrefix on Gateway API"));
}

// A regex whose paths no prefix route takes renders: the overlap test reads its literal
// start. A path the HTTPRoute CRD refuses is refused at render.
TEST(RenderGatewayApiTest, RegexRoutesApartFromPrefixesRenderAndBadPathsAreRefused) {
  absl::StatusOr<RenderedEdge> edge = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, R"(
routes:
  http:
    - {name: orders, match: {regex: "/orders/[0-9]+"}, destination: {host: a.istio-ingress.svc.cluster.local, port: 80}}
    - {name: static, match: {prefix: /static/}, destination: {host: b.istio-ingress.svc.cluster.local, port: 80}}
)")}});
  ASSERT_TRUE(edge.ok()) << edge.status();
  ExpectAllValid(*edge);
  absl::StatusOr<RenderedEdge> bad = RenderFiles({{"edge.yaml", absl::StrCat(kGateway, R"(
routes:
  http:
    - {name: odd, match: {prefix: "/a%2Fb/"}, destination: {host: a.istio-ingress.svc.cluster.local, port: 80}}
)")}});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("routes.http[0] (odd): path /a%2Fb/ contains \"%2F\", which the "
                        "HTTPRoute CRD refuses"));
}

}  // namespace
}  // namespace edgekit::cli
