// Tests of many backends in one edge.yaml: routes.http (edgekit's route order whatever
// the file's, hosts as authority matches, routes one another covers refused, every
// validation message), transcoding.backends (one transcoder, each service to its own
// destination, the merged descriptor, and the conflicts refused), and the defects found
// on the way (a null `when:`, a path regex without "/", a routes-only file, a tab in the
// indentation, the engine `auto` chose). Run through the built `edgekit` binary; the
// rendered VirtualService is checked request by request with the shared route evaluator
// and against Istio 1.30's CRD schema.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cli/validate/crd_validator.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::testing::RouteRequest;
using ::edgekit::testing::RouteTaken;

constexpr char kGateway[] = R"(gateway:
  namespace: edge
  hosts: [shop.example.com, api.example.com, "*.internal.example.com"]
)";

// Five routes in an order that would shadow three of them if file order counted.
constexpr char kRoutes[] = R"(routes:
  default_destination: {host: web.web.svc.cluster.local, port: 8080}
  http:
    - name: catalog
      match: {prefix: /catalog}
      destination: {host: catalog.catalog.svc.cluster.local, port: 8080}
    - name: catalog-item
      match: {regex: "/catalog/[0-9]+"}
      destination: {host: items.catalog.svc.cluster.local, port: 8080}
    - name: orders-read
      hosts: [api.example.com]
      match: {prefix: /orders}
      destination: {host: orders-read.orders.svc.cluster.local, port: 8080}
    - name: orders-write
      hosts: [api.example.com]
      match: {exact: /orders, methods: [POST, PUT]}
      destination: {host: orders-write.orders.svc.cluster.local, port: 8080}
    - name: admin
      hosts: ["*.internal.example.com"]
      match:
        prefix: /
        headers: {x-admin-token: {present: true}}
      destination: {host: admin.ops.svc.cluster.local, port: 9090}
)";

struct Rendered {
  testing::CommandResult result;
  std::string routes;  // routes.yaml, when rendered
  std::string dir;
};

Rendered RenderText(const std::string& edge_yaml) {
  Rendered r;
  const std::string dir = testing::MakeTempDir();
  testing::WriteStringToFile(dir + "/edge.yaml", edge_yaml);
  r.dir = dir + "/out";
  r.result = testing::RunEdgekit({"render", "-f", dir + "/edge.yaml", "-o", r.dir});
  if (r.result.exit_code == 0 && testing::FileExists(r.dir + "/routes.yaml")) {
    r.routes = testing::ReadFileToString(r.dir + "/routes.yaml");
  }
  return r;
}

// The error `render` prints for `edge_yaml` (exit 1, nothing written).
std::string RenderError(const std::string& edge_yaml) {
  Rendered r = RenderText(edge_yaml);
  EXPECT_EQ(r.result.exit_code, 1) << r.result.err;
  EXPECT_FALSE(testing::FileExists(r.dir)) << "nothing is written on an error";
  return r.result.err;
}

std::vector<std::string> RouteNames(const YAML::Node& vs) {
  std::vector<std::string> names;
  for (const auto& route : vs["spec"]["http"]) names.push_back(route["name"].as<std::string>());
  return names;
}

std::string Destination(const YAML::Node& vs, const std::string& route_name) {
  for (const auto& route : vs["spec"]["http"]) {
    if (route["name"].as<std::string>() == route_name) {
      return route["route"][0]["destination"]["host"].as<std::string>();
    }
  }
  return "";
}

TEST(HttpRoutesTest, OrderIsEdgekitsNotTheFiles) {
  Rendered r = RenderText(absl::StrCat(kGateway, kRoutes));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(r.result.err, "");
  YAML::Node vs = YAML::Load(r.routes);
  // Exact first; then by literal prefix: "/catalog/" (the regex's) before "/catalog" and
  // "/orders", a regex before a prefix; "/" last; the catch-all after everything.
  EXPECT_EQ(RouteNames(vs), (std::vector<std::string>{"orders-write", "catalog-item", "catalog",
                                                      "orders-read", "admin", "default"}));
}

TEST(HttpRoutesTest, EachRequestReachesItsRouteOnItsHosts) {
  Rendered r = RenderText(absl::StrCat(kGateway, kRoutes));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  YAML::Node vs = YAML::Load(r.routes);
  struct Case {
    std::string method, host, path;
    std::map<std::string, std::string> headers;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"GET", "shop.example.com", "/catalog/42", {}, "catalog-item"},
      {"GET", "shop.example.com", "/catalog/42/reviews", {}, "catalog"},
      {"GET", "shop.example.com", "/catalog", {}, "catalog"},
      {"POST", "api.example.com", "/orders", {}, "orders-write"},
      {"PUT", "API.Example.com:443", "/orders", {}, "orders-write"},  // any case, any port
      {"GET", "api.example.com", "/orders", {}, "orders-read"},
      {"GET", "api.example.com", "/orders/7", {}, "orders-read"},
      // orders-* serve api.example.com only: on the shop host /orders is the catch-all's.
      {"POST", "shop.example.com", "/orders", {}, "default"},
      {"GET", "shop.example.com", "/orders/7", {}, "default"},
      {"GET", "ops.internal.example.com", "/x", {{"x-admin-token", "t"}}, "admin"},
      {"GET", "a.b.internal.example.com:8443", "/", {{"x-admin-token", ""}}, "admin"},
      {"GET", "ops.internal.example.com", "/x", {}, "default"},
      // The wildcard does not reach the bare parent domain or a lookalike.
      {"GET", "internal.example.com", "/x", {{"x-admin-token", "t"}}, "default"},
      {"GET", "evil-internal.example.com", "/x", {{"x-admin-token", "t"}}, "default"},
      {"GET", "shop.example.com", "/", {{"x-admin-token", "t"}}, "default"},
  };
  for (const Case& c : cases) {
    RouteRequest req;
    req.method = c.method;
    req.host = c.host;
    req.path = c.path;
    req.headers = c.headers;
    EXPECT_EQ(RouteTaken(vs, req), c.want) << c.method << " " << c.host << c.path;
  }
  EXPECT_EQ(Destination(vs, "catalog-item"), "items.catalog.svc.cluster.local");
  EXPECT_EQ(Destination(vs, "orders-write"), "orders-write.orders.svc.cluster.local");
  EXPECT_EQ(Destination(vs, "default"), "web.web.svc.cluster.local");
}

TEST(HttpRoutesTest, FileOrderDoesNotChangeAByte) {
  // The same routes listed in reverse.
  const std::string reversed = absl::StrCat(kGateway, R"(routes:
  default_destination: {host: web.web.svc.cluster.local, port: 8080}
  http:
    - name: admin
      hosts: ["*.internal.example.com"]
      match:
        prefix: /
        headers: {x-admin-token: {present: true}}
      destination: {host: admin.ops.svc.cluster.local, port: 9090}
    - name: orders-write
      hosts: [api.example.com]
      match: {exact: /orders, methods: [PUT, POST]}
      destination: {host: orders-write.orders.svc.cluster.local, port: 8080}
    - name: orders-read
      hosts: [api.example.com]
      match: {prefix: /orders}
      destination: {host: orders-read.orders.svc.cluster.local, port: 8080}
    - name: catalog-item
      match: {regex: "/catalog/[0-9]+"}
      destination: {host: items.catalog.svc.cluster.local, port: 8080}
    - name: catalog
      match: {prefix: /catalog}
      destination: {host: catalog.catalog.svc.cluster.local, port: 8080}
)");
  Rendered a = RenderText(absl::StrCat(kGateway, kRoutes));
  Rendered b = RenderText(reversed);
  ASSERT_EQ(a.result.exit_code, 0) << a.result.err;
  ASSERT_EQ(b.result.exit_code, 0) << b.result.err;
  EXPECT_EQ(a.routes, b.routes);
}

TEST(HttpRoutesTest, RenderedVirtualServiceIsValidForIstio) {
  const std::string crds = EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml";
  // As every CRD test here: the schemas live next to the repository (../shared/schemas),
  // where CI has them; a clone elsewhere skips.
  if (!testing::FileExists(crds)) FAIL() << crds << " not found";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(crds);
  ASSERT_TRUE(registry.ok()) << registry.status();
  Rendered r = RenderText(absl::StrCat(kGateway, kRoutes));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ValidationResult validation;
  registry->ValidateObject(YAML::Load(r.routes), 0, ValidateOptions{}, &validation);
  EXPECT_EQ(validation.objects_validated, 1);
  for (const Finding& f : validation.findings) ADD_FAILURE() << FormatFinding("routes", f);
  // And `edgekit validate` (schema and Istio semantics such as "can never match").
  auto v = testing::RunEdgekit({"validate", "--crds", crds, r.dir + "/routes.yaml"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST(HttpRoutesTest, RoutesAloneAreAFeature) {
  Rendered r = RenderText(R"(gateway: {hosts: [shop.example.com]}
routes:
  http:
    - name: shop
      match: {prefix: /}
      destination: {host: shop.shop.svc.cluster.local, port: 80}
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(RouteNames(YAML::Load(r.routes)), std::vector<std::string>{"shop"});
  // Only the VirtualService: no EnvoyFilter, broker or policy.
  EXPECT_EQ(testing::ListDir(r.dir), std::vector<std::string>{"routes.yaml"});
}

TEST(HttpRoutesTest, ErrorsNameTheRouteAndWhatIsWrong) {
  const std::string route = R"(routes:
  http:
    - name: shop
      match: {prefix: /}
      destination: {host: shop.shop.svc.cluster.local, port: 80}
)";
  struct Case {
    std::string from, to, want;
  };
  const std::vector<Case> cases = {
      {"- name: shop\n", "- name: Shop\n",
       "routes.http[0].name: \"Shop\" is not a Kubernetes name"},
      {"- name: shop\n", "- name: shop\n      hosts: [admin.example.com]\n",
       "routes.http[0].hosts[0]: \"admin.example.com\" is not one of gateway.hosts "
       "(shop.example.com, *.internal.example.com) nor under one of its wildcards"},
      {"- name: shop\n", "- name: shop\n      hosts: [internal.example.com]\n",
       "routes.http[0].hosts[0]: \"internal.example.com\" is not one of gateway.hosts"},
      {"{prefix: /}", "{prefix: v1}",
       "routes.http[0].match.prefix: \"v1\" never matches: a request path starts with \"/\""},
      {"{prefix: /}", "{regex: \"v1/.*\"}",
       "routes.http[0].match.regex: \"v1/.*\" never matches: a request path starts with \"/\""},
      {"{prefix: /}", "{regex: \"/(\"}",
       "routes.http[0].match.regex: \"/(\" is not a valid RE2 regular expression"},
      {"{prefix: /}", "{prefix: /, exact: /}",
       "routes.http[0].match: set exactly one of exact, prefix, regex"},
      {"{prefix: /}", "{prefix: /, methods: [get]}",
       "routes.http[0].match.methods[0]: \"get\" is not an HTTP method"},
      {"{prefix: /}", "{prefix: /, headers: {X-A: {exact: b}}}",
       "routes.http[0].match.headers[\"X-A\"]"},
      {"{prefix: /}", "{prefix: /, headers: {x-a: {}}}",
       "routes.http[0].match.headers[\"x-a\"]: set exactly one of exact, prefix, regex, "
       "present: true"},
      {"      match: {prefix: /}\n", "",
       "routes.http[0].match: required: {exact | prefix | regex}"},
      {"      destination: {host: shop.shop.svc.cluster.local, port: 80}\n", "",
       "routes.http[0].destination: required"},
      {"port: 80", "port: 0", "routes.http[0].destination.port: must be in [1, 65535], got 0"},
  };
  const std::string gateway = "gateway: {hosts: [shop.example.com, \"*.internal.example.com\"]}\n";
  for (const Case& c : cases) {
    const std::string text = absl::StrCat(gateway, absl::StrReplaceAll(route, {{c.from, c.to}}));
    const std::string err = RenderError(text);
    EXPECT_TRUE(absl::StrContains(err, c.want)) << "want: " << c.want << "\ngot: " << err;
  }
}

TEST(HttpRoutesTest, ARouteAnotherCoversIsRefusedNamingBoth) {
  const std::string gateway = "gateway: {hosts: [shop.example.com, api.example.com]}\n";
  auto two = [&](const std::string& a, const std::string& b) {
    return absl::StrCat(gateway, "routes:\n  http:\n", "    - name: first\n", a,
                        "      destination: {host: a.a.svc.cluster.local, port: 80}\n",
                        "    - name: second\n", b,
                        "      destination: {host: b.b.svc.cluster.local, port: 80}\n");
  };
  // The same match twice: both named, whichever sorts first.
  EXPECT_TRUE(absl::StrContains(
      RenderError(two("      match: {prefix: /api}\n", "      match: {prefix: /api}\n")),
      "routes: routes.http[1] (second) can never match: routes.http[0] (first) has the same "
      "hosts and match (prefix /api, every host); give each request to one route"));
  // A prefix on every host covers the same prefix on one host (the host-scoped route
  // sorts first, so it is the all-hosts one that matches only what remains: allowed).
  Rendered ok = RenderText(two("      match: {prefix: /api}\n",
                               "      hosts: [api.example.com]\n      match: {prefix: /api}\n"));
  EXPECT_EQ(ok.result.exit_code, 0) << ok.result.err;
  // x-a present covers x-a: 1 (same rank by the sort key; "first" sorts first by name):
  // the narrower route moves before it, and both stay reachable.
  Rendered headers = RenderText(two("      match: {prefix: /a, headers: {x-a: {present: true}}}\n",
                                    "      match: {prefix: /a, headers: {x-a: {exact: \"1\"}}}\n"));
  ASSERT_EQ(headers.result.exit_code, 0) << headers.result.err;
  YAML::Node vs = YAML::Load(headers.routes);
  EXPECT_EQ(RouteNames(vs), (std::vector<std::string>{"second", "first"}));
  RouteRequest one;
  one.host = "shop.example.com";
  one.path = "/a";
  one.headers = {{"x-a", "1"}};
  EXPECT_EQ(RouteTaken(vs, one), "second");
  one.headers = {{"x-a", "2"}};
  EXPECT_EQ(RouteTaken(vs, one), "first");
  // A wildcard host covers a named one, whatever the names say.
  Rendered wildcard = RenderText(absl::StrCat(
      "gateway: {hosts: [\"*.example.com\"]}\nroutes:\n  http:\n",
      "    - name: aa-all\n      hosts: [\"*.example.com\"]\n      match: {prefix: /x}\n",
      "      destination: {host: a.a.svc.cluster.local, port: 80}\n",
      "    - name: zz-billing\n      hosts: [billing.example.com]\n      match: {prefix: /x}\n",
      "      destination: {host: b.b.svc.cluster.local, port: 80}\n"));
  ASSERT_EQ(wildcard.result.exit_code, 0) << wildcard.result.err;
  EXPECT_EQ(RouteNames(YAML::Load(wildcard.routes)),
            (std::vector<std::string>{"zz-billing", "aa-all"}));
  // Fewer methods sort first: GET alone before GET and POST, both reachable.
  Rendered methods = RenderText(two("      match: {prefix: /a, methods: [GET, POST]}\n",
                                    "      match: {prefix: /a, methods: [GET]}\n"));
  ASSERT_EQ(methods.result.exit_code, 0) << methods.result.err;
  EXPECT_EQ(RouteNames(YAML::Load(methods.routes)), (std::vector<std::string>{"second", "first"}));
}

TEST(HttpRoutesTest, DefaultIsTheCatchAllsName) {
  const std::string err = RenderError(R"(routes:
  default_destination: {host: web.web.svc.cluster.local, port: 80}
  http:
    - name: default
      match: {prefix: /x}
      destination: {host: x.x.svc.cluster.local, port: 80}
)");
  EXPECT_TRUE(absl::StrContains(err,
                                "routes.http[0] (default): \"default\" is the name of the "
                                "route to routes.default_destination: rename it"))
      << err;
}

// ---- Defects found on the way ----

TEST(HttpRoutesTest, AnEmptyWhenIsAnErrorNotEveryRequest) {
  const std::string err = RenderError(R"(direct_responses:
  rules:
    - name: block
      when:
      respond: {status: 403}
routes:
  default_destination: {host: web.web.svc.cluster.local, port: 80}
)");
  EXPECT_TRUE(absl::StrContains(err, "direct_responses.rules[0].when: an empty condition")) << err;
}

TEST(HttpRoutesTest, ARulePathRegexThatCannotMatchIsRefusedInBothEngines) {
  for (const std::string engine : {"routes", "broker"}) {
    const std::string err = RenderError(absl::StrCat(R"(direct_responses:
  engine: )",
                                                     engine, R"(
  rules:
    - name: admin
      when: {path: {regex: "admin/.*"}}
      respond: {status: 403}
routes:
  default_destination: {host: web.web.svc.cluster.local, port: 80}
ext_authz: {upstream_target: "authz.auth.svc.cluster.local:9000"}
)"));
    EXPECT_TRUE(absl::StrContains(err,
                                  "when.path.regex: \"admin/.*\" never matches: a request "
                                  "path starts with \"/\""))
        << engine << ": " << err;
  }
}

TEST(HttpRoutesTest, ATabInTheIndentationIsNamed) {
  const std::string err = RenderError("routes:\n\tdefault_destination: {host: a, port: 1}\n");
  EXPECT_TRUE(absl::StrContains(err,
                                "(line 2 is indented with a tab: YAML indents with spaces "
                                "only)"))
      << err;
}

TEST(HttpRoutesTest, RenderSaysWhichEngineAutoChose) {
  Rendered routes = RenderText(R"(direct_responses:
  rules:
    - name: healthz
      when: {path: {exact: /healthz}}
      respond: {status: 200}
)");
  ASSERT_EQ(routes.result.exit_code, 0) << routes.result.err;
  EXPECT_TRUE(absl::StrContains(routes.result.err,
                                "direct_responses.engine: auto chose routes: every rule fits a "
                                "VirtualService route"))
      << routes.result.err;
  Rendered broker = RenderText(R"(direct_responses:
  rules:
    - name: blocked
      when: {client_ip: {cidrs: [192.0.2.0/24]}}
      respond: {status: 403}
ext_authz: {upstream_target: "authz.auth.svc.cluster.local:9000"}
)");
  ASSERT_EQ(broker.result.exit_code, 0) << broker.result.err;
  EXPECT_TRUE(absl::StrContains(broker.result.err,
                                "direct_responses.engine: auto chose broker (routes cannot "
                                "express rule \"blocked\""))
      << broker.result.err;
}

}  // namespace
}  // namespace edgekit::cli

namespace edgekit::cli {
namespace {

// Path rules can be walked around with //admin (slashes not merged by Istio's default
// normalization) and /Admin (Envoy never changes case): render says so, renders the
// normalization into the mesh config, and offers case-insensitive path tests.
constexpr char kAdminRule[] = R"(gateway: {hosts: [api.example.com]}
direct_responses:
  engine: ENGINE
  rules:
    - name: admin
      when: {path: {prefix: /admin, ignore_case: true}}
      respond: {status: 403}
routes:
  default_destination: {host: web.web.svc.cluster.local, port: 80}
ext_authz: {upstream_target: "authz.auth.svc.cluster.local:9000"}
)";

TEST(PathNormalizationTest, ARuleOnThePathIsWarnedAboutUntilSlashesAreMerged) {
  Rendered plain = RenderText(absl::StrReplaceAll(kAdminRule, {{"ENGINE", "routes"}}));
  ASSERT_EQ(plain.result.exit_code, 0) << plain.result.err;
  EXPECT_TRUE(absl::StrContains(
      plain.result.err,
      "edge.yaml: gateway.path_normalization: warning: rule \"admin\" tests the path, and Envoy "
      "does not merge slashes with Istio's default normalization (BASE)"))
      << plain.result.err;
  Rendered merged = RenderText(absl::StrReplaceAll(
      kAdminRule, {{"ENGINE", "routes"},
                   {"gateway: {hosts: [api.example.com]}",
                    "gateway: {hosts: [api.example.com], path_normalization: merge_slashes}"}}));
  ASSERT_EQ(merged.result.exit_code, 0) << merged.result.err;
  EXPECT_FALSE(absl::StrContains(merged.result.err, "warning")) << merged.result.err;
  for (const char* file : {"/ext-authz-istiod-values.yaml", "/ext-authz-istio-operator.yaml"}) {
    const std::string text = testing::ReadFileToString(merged.dir + file);
    EXPECT_TRUE(absl::StrContains(text, "pathNormalization:\n")) << file << "\n" << text;
    EXPECT_TRUE(absl::StrContains(text, "normalization: MERGE_SLASHES")) << file << "\n" << text;
  }
  EXPECT_TRUE(absl::StrContains(
      RenderError("gateway: {path_normalization: PATH_NORMALIZATION_UNSPECIFIED}\n"
                  "routes: {default_destination: {host: a.b.svc.cluster.local, port: 1}}\n"),
      "gateway.path_normalization: must be NONE, BASE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES"));
}

TEST(PathNormalizationTest, IgnoreCaseHoldsInTheRoutesEngine) {
  Rendered r = RenderText(absl::StrReplaceAll(kAdminRule, {{"ENGINE", "routes"}}));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  YAML::Node vs = YAML::Load(r.routes);
  for (const char* path : {"/admin", "/Admin/users", "/ADMIN?x=1"}) {
    RouteRequest req;
    req.host = "api.example.com";
    req.path = absl::StrContains(path, "?") ? std::string(path).substr(0, 6) : path;
    EXPECT_EQ(RouteTaken(vs, req), "direct-admin") << path;
  }
  RouteRequest other;
  other.host = "api.example.com";
  other.path = "/public";
  EXPECT_EQ(RouteTaken(vs, other), "default");
}

}  // namespace
}  // namespace edgekit::cli
