// Tests of a gateway composed from team files (`teams:` in platform.yaml,
// cli/render/team_composition.h): the composed gateway checked request by request
// through the rendered VirtualService (the shared route evaluator), the transcoder's
// services and the broker's rules (the rules/ library the broker runs); the team-file
// order changing no byte; and every guardrail's exact message, naming the team(s) and
// file:line.
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "gtest/gtest.h"
#include "rules/rule_set.h"
#include "tests/cli/cli_test_util.h"
#include "tests/testing/fake_request.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::testing::RouteRequest;
using ::edgekit::testing::RouteTaken;

constexpr char kPlatform[] = R"(gateway:
  namespace: edge
  hosts: [shop.example.com, api.example.com, "*.internal.example.com"]
routes:
  default_destination: {host: web.web.svc.cluster.local, port: 8080}
teams:
  - name: web
    config: teams/web/edge.yaml
    hosts: [shop.example.com]
  - name: payments
    config: teams/payments/edge.yaml
    hosts: [api.example.com]
    path_prefixes: [/v1/payments/]
    grpc_packages: [payments.v1]
  - name: orders
    config: teams/orders/edge.yaml
    hosts: [api.example.com]
    path_prefixes: [/v1/orders/]
    destination_namespaces: [orders, orders-legacy]
  - name: ops
    config: teams/ops/edge.yaml
    hosts: ["*.internal.example.com"]
)";

constexpr char kWeb[] = R"(routes:
  http:
    - name: catalog
      match: {prefix: /catalog/}
      destination: {host: catalog.web.svc.cluster.local, port: 8080}
    - name: cart
      match: {exact: /cart, methods: [GET, POST]}
      destination: {host: cart.web.svc.cluster.local, port: 8080}
)";

constexpr char kPaymentsProto[] = R"(syntax = "proto3";
package payments.v1;
import "google/api/annotations.proto";
service Payments {
  rpc GetPayment(GetPaymentRequest) returns (Payment) {
    option (google.api.http) = {get: "/v1/payments/{id}"};
  }
}
message GetPaymentRequest { string id = 1; }
message Payment { string id = 1; int64 cents = 2; }
)";

constexpr char kPayments[] = R"(transcoding:
  proto_files: [protos/payments.proto]
  include_paths: [protos]
  destination: {host: payments-grpc.payments.svc.cluster.local, port: 9000}
direct_responses:
  rules:
    - name: frozen
      when: {header: {name: x-frozen, present: true}}
      respond: {status: 423, body: "payments are frozen"}
)";

constexpr char kOrders[] = R"(routes:
  http:
    - name: read
      match: {prefix: /v1/orders/, methods: [GET]}
      destination: {host: orders.orders.svc.cluster.local, port: 8080}
    - name: legacy
      match: {regex: "/v1/orders/legacy/[0-9]+"}
      destination: {host: old.orders-legacy.svc.cluster.local, port: 8080}
)";

constexpr char kOps[] = R"(routes:
  http:
    - name: grafana
      match: {prefix: /grafana/}
      destination: {host: grafana.ops.svc.cluster.local, port: 3000}
direct_responses:
  rules:
    - name: staff-only
      when: {not: {header: {name: x-staff, exact: "yes"}}}
      respond: {status: 403}
)";

class TeamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    for (const char* sub : {"teams/web", "teams/payments/protos", "teams/orders", "teams/ops"}) {
      ASSERT_EQ(std::system(absl::StrCat("mkdir -p ", dir_, "/", sub).c_str()), 0);
    }
    Write("platform.yaml", kPlatform);
    Write("teams/web/edge.yaml", kWeb);
    Write("teams/payments/edge.yaml", kPayments);
    Write("teams/payments/protos/payments.proto", kPaymentsProto);
    Write("teams/orders/edge.yaml", kOrders);
    Write("teams/ops/edge.yaml", kOps);
  }
  void Write(const std::string& name, const std::string& text) {
    testing::WriteStringToFile(dir_ + "/" + name, text);
  }
  // Renders platform.yaml from the temporary directory (relative paths in messages).
  testing::CommandResult Render(const std::string& out = "out") {
    return testing::RunCommand({EDGEKIT_CLI_BINARY, "render", "-f", "platform.yaml", "-o", out},
                               "/dev/null", dir_);
  }
  // The error of a render that must fail, with nothing written.
  std::string Error() {
    auto result = Render();
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_FALSE(testing::FileExists(dir_ + "/out"));
    return result.err;
  }
  std::string Read(const std::string& name) { return testing::ReadFileToString(dir_ + "/" + name); }

  std::string dir_;
};

std::string Destination(const YAML::Node& vs, const std::string& route_name) {
  for (const auto& route : vs["spec"]["http"]) {
    if (route["name"].as<std::string>() != route_name) continue;
    if (route["directResponse"]) {
      return absl::StrCat("direct ", route["directResponse"]["status"].as<int>());
    }
    return route["route"][0]["destination"]["host"].as<std::string>();
  }
  return "404";
}

TEST_F(TeamsTest, EachTeamsPathsReachItsOwnDestinationOnItsOwnHosts) {
  auto result = Render();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  YAML::Node vs = YAML::Load(Read("out/routes.yaml"));
  struct Case {
    std::string method, host, path;
    std::map<std::string, std::string> headers;
    std::string want_route, want_destination;
  };
  const std::vector<Case> cases = {
      {"GET",
       "shop.example.com",
       "/catalog/shoes",
       {},
       "web.catalog",
       "catalog.web.svc.cluster.local"},
      {"POST", "shop.example.com", "/cart", {}, "web.cart", "cart.web.svc.cluster.local"},
      {"DELETE", "shop.example.com", "/cart", {}, "default", "web.web.svc.cluster.local"},
      // web's paths on another team's host are not web's.
      {"GET", "api.example.com", "/catalog/shoes", {}, "default", "web.web.svc.cluster.local"},
      {"GET",
       "api.example.com",
       "/v1/orders/7",
       {},
       "orders.read",
       "orders.orders.svc.cluster.local"},
      {"GET",
       "api.example.com",
       "/v1/orders/legacy/7",
       {},
       "orders.legacy",
       "old.orders-legacy.svc.cluster.local"},
      {"GET", "shop.example.com", "/v1/orders/7", {}, "default", "web.web.svc.cluster.local"},
      // After transcoding, payments' gRPC path goes to payments' backend.
      {"POST",
       "api.example.com",
       "/payments.v1.Payments/GetPayment",
       {},
       "payments.grpc-payments-v1-payments",
       "payments-grpc.payments.svc.cluster.local"},
      // ... on payments' hosts only: elsewhere no team route takes the gRPC path, so
      // neither its backend nor (around its rule) anything of payments' is reached.
      {"POST",
       "shop.example.com",
       "/payments.v1.Payments/GetPayment",
       {},
       "default",
       "web.web.svc.cluster.local"},
      // payments' rule answers on its host and prefixes only (gRPC path included).
      {"GET",
       "api.example.com",
       "/v1/payments/1",
       {{"x-frozen", "1"}},
       "direct-payments.frozen",
       "direct 423"},
      {"POST",
       "api.example.com",
       "/payments.v1.Payments/GetPayment",
       {{"x-frozen", "1"}},
       "direct-payments.frozen",
       "direct 423"},
      {"GET",
       "api.example.com",
       "/v1/orders/7",
       {{"x-frozen", "1"}},
       "orders.read",
       "orders.orders.svc.cluster.local"},
      {"GET",
       "shop.example.com",
       "/v1/payments/1",
       {{"x-frozen", "1"}},
       "default",
       "web.web.svc.cluster.local"},
      // ops' rule (a negation: answers nearly everything) answers on ops' hosts only.
      {"GET",
       "grafana.internal.example.com",
       "/grafana/",
       {},
       "direct-ops.staff-only",
       "direct 403"},
      {"GET",
       "grafana.internal.example.com",
       "/grafana/",
       {{"x-staff", "yes"}},
       "ops.grafana",
       "grafana.ops.svc.cluster.local"},
      {"GET", "shop.example.com", "/catalog/x", {}, "web.catalog", "catalog.web.svc.cluster.local"},
      {"GET",
       "api.example.com",
       "/v1/orders/1",
       {},
       "orders.read",
       "orders.orders.svc.cluster.local"},
  };
  for (const Case& c : cases) {
    RouteRequest req;
    req.method = c.method;
    req.host = c.host;
    req.path = c.path;
    req.headers = c.headers;
    const std::string route = RouteTaken(vs, req);
    EXPECT_EQ(route, c.want_route) << c.method << " " << c.host << c.path;
    EXPECT_EQ(Destination(vs, route), c.want_destination) << c.method << " " << c.host << c.path;
  }
  // One transcoder, with payments' service.
  YAML::Node filter = YAML::Load(Read("out/transcoding.yaml"));
  const YAML::Node services =
      filter["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["services"];
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].as<std::string>(), "payments.v1.Payments");
  // Ownership in the output.
  EXPECT_TRUE(
      absl::StrContains(Read("out/routes.yaml"), "#   payments (teams/payments/edge.yaml)\n"));
}

TEST_F(TeamsTest, TeamOrderDoesNotChangeAByte) {
  ASSERT_EQ(Render("first").exit_code, 0);
  // The same teams, listed in reverse.
  std::string reversed = kPlatform;
  const size_t teams = reversed.find("teams:\n");
  std::vector<std::string> entries;
  for (size_t at = reversed.find("  - name:", teams); at != std::string::npos;) {
    const size_t next = reversed.find("  - name:", at + 1);
    entries.push_back(
        reversed.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next;
  }
  ASSERT_EQ(entries.size(), 4u);
  std::string text = reversed.substr(0, teams + 7);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) text += *it;
  Write("platform.yaml", text);
  ASSERT_EQ(Render("second").exit_code, 0);
  const std::vector<std::string> files = testing::ListDir(dir_ + "/first");
  EXPECT_EQ(files, testing::ListDir(dir_ + "/second"));
  for (const std::string& f : files) EXPECT_EQ(Read("first/" + f), Read("second/" + f)) << f;
}

TEST_F(TeamsTest, BrokerRulesAreScopedToTheirTeam) {
  // The platform lets the broker answer; the rules' scope is then the broker's.
  Write("platform.yaml",
        absl::StrReplaceAll(kPlatform,
                            {{"routes:\n", "direct_responses: {engine: broker}\nroutes:\n"}}));
  auto result = Render();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  broker::v1::BrokerConfig config;
  ASSERT_TRUE(YamlFileToProto(dir_ + "/out/broker.yaml", &config).ok());
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> set = rules::RuleSet::Compile(
      config.direct_responses().rules(), config.direct_responses().hosts(), "direct_responses");
  ASSERT_TRUE(set.ok()) << set.status();
  auto answer = [&](const std::string& host, const std::string& path,
                    std::map<std::string, std::string> headers) {
    ::edgekit::testing::FakeRequest req("GET", path, host, std::move(headers), nullptr);
    const int i = (*set)->Match(req);
    return i < 0 ? std::string("-") : (*set)->rules()[i].name;
  };
  EXPECT_EQ(answer("api.example.com", "/v1/payments/1", {{"x-frozen", "1"}}), "payments.frozen");
  EXPECT_EQ(answer("api.example.com:443", "/v1/payments/1", {{"x-frozen", "1"}}),
            "payments.frozen");
  EXPECT_EQ(answer("api.example.com", "/v1/orders/1", {{"x-frozen", "1"}}), "-");
  EXPECT_EQ(answer("shop.example.com", "/v1/payments/1", {{"x-frozen", "1"}}), "-");
  EXPECT_EQ(answer("grafana.internal.example.com", "/", {}), "ops.staff-only");
  EXPECT_EQ(answer("shop.example.com", "/", {}), "-");  // ops' negation stays on ops' hosts
  EXPECT_EQ(answer("api.example.com", "/v1/orders/1", {}), "-");
}

// ---- Guardrails: each an error naming the team(s) and file(s) ----

TEST_F(TeamsTest, RouteOutsideTheTeamsHosts) {
  Write("teams/web/edge.yaml",
        absl::StrReplaceAll(
            kWeb, {{"    - name: cart\n", "    - name: cart\n      hosts: [api.example.com]\n"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/web/edge.yaml:7:15: routes.http[1].hosts[0]: \"api.example.com\" is not one of the "
      "hosts of team web (shop.example.com) nor under one of its wildcards"))
      << Error();
}

TEST_F(TeamsTest, RouteOutsideTheTeamsPathPrefixes) {
  Write("teams/orders/edge.yaml",
        absl::StrReplaceAll(kOrders, {{"{prefix: /v1/orders/, ", "{prefix: /v1/, "}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/orders/edge.yaml:4:15: routes.http[0].match.prefix: \"/v1/\" is outside the "
      "path_prefixes of team orders (/v1/orders/) in platform.yaml"))
      << Error();
}

TEST_F(TeamsTest, DestinationOutsideTheTeamsNamespaces) {
  Write("teams/web/edge.yaml", absl::StrReplaceAll(kWeb, {{"cart.web.svc", "cart.payments.svc"}}));
  EXPECT_TRUE(
      absl::StrContains(Error(),
                        "teams/web/edge.yaml:8:21: routes.http[1].destination.host: "
                        "\"cart.payments.svc.cluster.local\" is in namespace payments, outside the "
                        "destination_namespaces of team web (web) in platform.yaml"))
      << Error();
  Write("teams/web/edge.yaml",
        absl::StrReplaceAll(kWeb, {{"cart.web.svc.cluster.local", "cart.example.net"}}));
  EXPECT_TRUE(absl::StrContains(Error(), "\"cart.example.net\" names no namespace")) << Error();
}

TEST_F(TeamsTest, OverlappingClaims) {
  Write(
      "platform.yaml",
      absl::StrReplaceAll(kPlatform, {{"path_prefixes: [/v1/orders/]", "path_prefixes: [/v1/]"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "platform.yaml:15:5: teams[2]: teams payments (teams/payments/edge.yaml) and orders "
      "(teams/orders/edge.yaml) both claim api.example.com/v1/payments/ (payments: "
      "api.example.com/v1/payments/; orders: api.example.com/v1/): give each team its own hosts "
      "or disjoint path_prefixes"))
      << Error();
  // A wildcard overlaps the hosts under it.
  Write("platform.yaml",
        absl::StrReplaceAll(kPlatform, {{"hosts: [shop.example.com]\n",
                                         "hosts: [shop.example.com, a.internal.example.com]\n"}}));
  EXPECT_TRUE(absl::StrContains(Error(),
                                "teams web (teams/web/edge.yaml) and ops "
                                "(teams/ops/edge.yaml) both claim a.internal.example.com/"))
      << Error();
}

TEST_F(TeamsTest, ARouteTheSameAsAnotherOwnersIsRefusedNamingBoth) {
  // The platform's own route and a team's, on the same host and match.
  Write("platform.yaml", absl::StrReplaceAll(kPlatform, {{"routes:\n", R"(routes:
  http:
    - name: cart-v2
      hosts: [shop.example.com]
      match: {exact: /cart, methods: [GET, POST]}
      destination: {host: cart2.web.svc.cluster.local, port: 8080}
)"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "platform.yaml: routes: teams/web/edge.yaml:6:7: routes.http[1] (team web) web.cart can "
      "never match: routes.http[0] (cart-v2) has the same hosts and match (exact /cart)"))
      << Error();
}

TEST_F(TeamsTest, BindingOverlappingAnotherTeamsRoute) {
  // ops routes /v1/payments/ on its hosts: payments' binding would take those requests.
  Write("teams/ops/edge.yaml", absl::StrReplaceAll(kOps, {{"/grafana/", "/v1/"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/payments/edge.yaml:1:1: transcoding: binding GET /v1/payments/{id} of "
      "payments.v1.Payments/GetPayment (team payments) takes paths of "
      "teams/ops/edge.yaml:3:7: routes.http[0] (team ops) ops.grafana (prefix /v1/): the "
      "transcoder matches its bindings on every host, before routing; change the binding or "
      "the route"))
      << Error();
}

TEST_F(TeamsTest, BindingOutsideTheTeamsPathPrefixes) {
  Write("teams/payments/protos/payments.proto",
        absl::StrReplaceAll(kPaymentsProto, {{"/v1/payments/{id}", "/v2/pay/{id}"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/payments/edge.yaml:1:1: transcoding: binding GET /v2/pay/{id} of "
      "payments.v1.Payments/GetPayment is outside the path_prefixes of team payments "
      "(/v1/payments/)"))
      << Error();
}

TEST_F(TeamsTest, GrpcPackagesAreClaimed) {
  Write("teams/payments/protos/payments.proto",
        absl::StrReplaceAll(kPaymentsProto, {{"package payments.v1;", "package billing.v1;"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/payments/edge.yaml:1:1: transcoding.services: service \"billing.v1.Payments\" is in "
      "package \"billing.v1\", outside the grpc_packages of team payments (payments.v1)"))
      << Error();
  // A team without grpc_packages publishes nothing.
  Write("teams/ops/edge.yaml", absl::StrCat(kOps, "transcoding:\n  proto_files: [x.proto]\n"));
  Write("teams/payments/protos/payments.proto", kPaymentsProto);
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/ops/edge.yaml:11:1: transcoding: team ops may publish no gRPC package "
      "through the transcoder"))
      << Error();
}

// Orders publishes gRPC too, binding payments' template or sharing a proto file.
class TeamsGrpcTest : public TeamsTest {
 protected:
  void SetUp() override {
    TeamsTest::SetUp();
    ASSERT_EQ(std::system(absl::StrCat("mkdir -p ", dir_, "/teams/orders/protos").c_str()), 0);
    Write("platform.yaml",
          absl::StrReplaceAll(kPlatform, {{"    destination_namespaces: [orders, orders-legacy]\n",
                                           "    destination_namespaces: [orders, orders-legacy]\n"
                                           "    grpc_packages: [orders.v1]\n"}}));
  }
  void OrdersProto(const std::string& proto) {
    Write("teams/orders/protos/orders.proto", proto);
    Write("teams/orders/edge.yaml", absl::StrCat(kOrders, R"(transcoding:
  proto_files: [protos/orders.proto]
  include_paths: [protos]
  destination: {host: orders-grpc.orders.svc.cluster.local, port: 9000}
)"));
  }
};

TEST_F(TeamsTest, ABindingInAnotherTeamsPathPrefixes) {
  // ops (whole hosts) publishes a service on payments' paths: payments has no route there
  // yet, but the prefix is payments', and the transcoder matches on every host.
  Write("platform.yaml", absl::StrReplaceAll(kPlatform, {{"hosts: [\"*.internal.example.com\"]",
                                                          "hosts: [\"*.internal.example.com\"]\n"
                                                          "    grpc_packages: [ops.v1]"}}));
  Write("teams/ops/ops.proto",
        absl::StrReplaceAll(kPaymentsProto, {{"package payments.v1;", "package ops.v1;"},
                                             {"{id}", "{ref}/refund"},
                                             {"string id = 1; }", "string ref = 1; }"}}));
  Write("teams/ops/edge.yaml",
        absl::StrCat(kOps,
                     "transcoding:\n  proto_files: [ops.proto]\n  destination: {host: "
                     "audit.ops.svc.cluster.local, port: 9000}\n"));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/ops/edge.yaml:11:1: transcoding: binding GET /v1/payments/{ref}/refund of "
      "ops.v1.Payments/GetPayment (team ops) takes paths of the path_prefixes of team "
      "payments (teams/payments/edge.yaml) (prefix /v1/payments/): the transcoder "
      "matches its bindings on every host, before routing; change the binding or the "
      "route"))
      << Error();
}

TEST_F(TeamsTest, BindingsOfTwoTeamsOnTheSamePaths) {
  // Two whole-host teams publish gRPC on one unclaimed path: the same template is refused
  // as such, an overlapping one (a literal against a variable) too.
  Write("platform.yaml",
        absl::StrReplaceAll(kPlatform,
                            {{"hosts: [\"*.internal.example.com\"]",
                              "hosts: [\"*.internal.example.com\"]\n"
                              "    grpc_packages: [ops.v1]"},
                             {"    hosts: [shop.example.com]\n",
                              "    hosts: [shop.example.com]\n    grpc_packages: [web.v1]\n"}}));
  auto publish = [&](const std::string& team, const std::string& package, const std::string& path) {
    Write(absl::StrCat("teams/", team, "/", team, ".proto"),
          absl::StrReplaceAll(kPaymentsProto,
                              {{"package payments.v1;", absl::StrCat("package ", package, ";")},
                               {"/v1/payments/{id}", path}}));
    Write(absl::StrCat("teams/", team, "/edge.yaml"),
          absl::StrCat(team == "ops" ? kOps : kWeb, "transcoding:\n  proto_files: [", team,
                       ".proto]\n  destination: {host: grpc.", team,
                       ".svc.cluster.local, port: 9000}\n"));
  };
  publish("ops", "ops.v1", "/v2/things/{id}");
  publish("web", "web.v1", "/v2/things/{id}");
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/web/edge.yaml:9:1: transcoding: web.v1.Payments/GetPayment binds GET "
      "/v2/things/{id}, as ops.v1.Payments/GetPayment (transcoding of team ops "
      "(teams/ops/edge.yaml:11:1)) already does: two services may not bind the same "
      "verb and path template"))
      << Error();
  publish("web", "web.v1", "/v2/things/special");
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/web/edge.yaml:9:1: transcoding: binding GET /v2/things/special of "
      "web.v1.Payments/GetPayment takes paths of binding GET /v2/things/{id} of "
      "ops.v1.Payments/GetPayment (team ops, teams/ops/edge.yaml:11:1): the transcoder "
      "would send both to one service"))
      << Error();
}

TEST_F(TeamsTest, NestedProtoPackagesOfTwoTeams) {
  Write("platform.yaml", absl::StrReplaceAll(kPlatform, {{"hosts: [\"*.internal.example.com\"]",
                                                          "hosts: [\"*.internal.example.com\"]\n"
                                                          "    grpc_packages: [payments]"}}));
  EXPECT_TRUE(
      absl::StrContains(Error(),
                        "teams[3].grpc_packages: teams payments (teams/payments/edge.yaml) and ops "
                        "(teams/ops/edge.yaml) both claim proto package payments.v1 (payments: "
                        "payments.v1; ops: payments): a package belongs to one team"))
      << Error();
}

TEST_F(TeamsGrpcTest, SameProtoFileDifferentContentIsRefusedIdenticalMerges) {
  // orders ships its own payments.proto (same name, another content).
  Write("teams/orders/protos/payments.proto",
        absl::StrReplaceAll(kPaymentsProto, {{"int64 cents = 2;", "int32 cents = 2;"}}));
  OrdersProto(R"(syntax = "proto3";
package orders.v1;
import "google/api/annotations.proto";
import "payments.proto";
service Orders {
  rpc Pay(payments.v1.GetPaymentRequest) returns (payments.v1.Payment) {
    option (google.api.http) = {post: "/v1/orders/pay" body: "*"};
  }
}
)");
  Write("teams/orders/edge.yaml",
        absl::StrReplaceAll(Read("teams/orders/edge.yaml"),
                            {{"destination: {host: orders-grpc",
                              "services: [orders.v1.Orders]\n  destination: {host: orders-grpc"}}));
  const std::string err = Error();
  // Merged in team-name order: orders' file first, so payments' is the one refused.
  EXPECT_TRUE(absl::StrContains(
      err,
      "teams/payments/edge.yaml:1:1: transcoding.proto_files: payments.proto differs from "
      "the file of the same name in transcoding.proto_files of team orders "
      "(teams/orders/edge.yaml:9:1): the gateway's one transcoder loads one merged "
      "descriptor set, so shared files must be identical"))
      << err;
  // The same file (a shared common proto): merged silently.
  Write("teams/orders/protos/payments.proto", kPaymentsProto);
  auto result = Render();
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(TeamsTest, ATeamsProtoFileIsFoundInItsOwnFolderOnly) {
  // A same-named file next to platform.yaml is not the team's.
  ASSERT_EQ(std::system(absl::StrCat("mkdir -p ", dir_, "/payments/v1").c_str()), 0);
  Write("payments/v1/payments.proto", kPaymentsProto);
  Write("teams/payments/edge.yaml",
        absl::StrReplaceAll(kPayments, {{"proto_files: [protos/payments.proto]",
                                         "proto_files: [payments/v1/payments.proto]"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/payments/edge.yaml:2:3: transcoding.proto_files: "
      "\"payments/v1/payments.proto\" is neither next to teams/payments/edge.yaml nor "
      "under one of its include_paths"))
      << Error();
}

TEST_F(TeamsTest, AnErrorAboutAMergedRulePointsIntoTheTeamsFile) {
  // The platform's maintenance rule answers everything: ops' rule after it never can.
  Write("platform.yaml",
        absl::StrReplaceAll(kPlatform, {{"routes:\n",
                                         "direct_responses:\n  rules:\n"
                                         "    - name: maintenance\n"
                                         "      respond: {status: 503}\nroutes:\n"}}));
  EXPECT_TRUE(absl::StrContains(
      Error(),
      "teams/ops/edge.yaml:8:7: direct_responses.rules[0]: rule \"ops.staff-only\" can "
      "never answer: rule \"maintenance\" before it matches every request (team ops)"))
      << Error();
}

TEST_F(TeamsTest, TeamFilesHoldNothingGatewayWide) {
  struct Case {
    std::string text, want;
  };
  const std::vector<Case> cases = {
      {"gateway: {hosts: [a.example.com]}\n",
       "teams/web/edge.yaml:1:1: gateway: a team file holds routes, transcoding and "
       "direct_responses only; this is the platform's, in platform.yaml"},
      {"gzip: {}\n", "teams/web/edge.yaml:1:1: gzip: a team file holds"},
      {"ext_authz: {upstream_target: \"a:1\"}\n", "teams/web/edge.yaml:1:1: ext_authz:"},
      {"routes:\n  default_destination: {host: a.web.svc.cluster.local, port: 1}\n",
       "teams/web/edge.yaml:2:3: routes.default_destination: a team file holds"},
      {"transcoding:\n  print_options: {add_whitespace: true}\n",
       "teams/web/edge.yaml:2:3: transcoding.print_options: the gateway has one transcoder for "
       "every team: its settings are the platform's, in platform.yaml"},
      {"direct_responses:\n  engine: broker\n  rules: []\n",
       "teams/web/edge.yaml:2:3: direct_responses.engine: who answers the rules is the "
       "platform's choice, in platform.yaml"},
  };
  for (const Case& c : cases) {
    Write("teams/web/edge.yaml", c.text);
    const std::string err = Error();
    EXPECT_TRUE(absl::StrContains(err, c.want)) << "want: " << c.want << "\ngot: " << err;
  }
}

TEST_F(TeamsTest, TeamListErrorsNameTheEntry) {
  struct Case {
    std::string from, to, want;
  };
  const std::vector<Case> cases = {
      {"  - name: web\n", "  - name: Web\n", "platform.yaml:7:5: teams[0].name: \"Web\" is not a"},
      {"    hosts: [shop.example.com]\n", "    hosts: [other.example.org]\n",
       "platform.yaml:9:13: teams[0].hosts[0]: \"other.example.org\" is not one of gateway.hosts"},
      {"    hosts: [shop.example.com]\n", "", "platform.yaml:7:5: teams[0].hosts: required"},
      {"path_prefixes: [/v1/payments/]", "path_prefixes: [v1/payments/]",
       "teams[1].path_prefixes[0]: \"v1/payments/\" does not start with \"/\""},
      {"grpc_packages: [payments.v1]", "grpc_packages: [payments-v1]",
       "teams[1].grpc_packages[0]: \"payments-v1\" is not a proto package name"},
      {"config: teams/web/edge.yaml", "config: teams/web/missing.yaml", "teams/web/missing.yaml"},
  };
  for (const Case& c : cases) {
    Write("platform.yaml", absl::StrReplaceAll(kPlatform, {{c.from, c.to}}));
    auto result = Render();
    EXPECT_NE(result.exit_code, 0);
    EXPECT_TRUE(absl::StrContains(result.err, c.want))
        << "want: " << c.want << "\ngot: " << result.err;
  }
  // A missing file is an I/O error (exit 3) naming the team.
  Write("platform.yaml",
        absl::StrReplaceAll(kPlatform, {{"teams/web/edge.yaml", "teams/web/nope.yaml"}}));
  auto result = Render();
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_TRUE(absl::StrContains(result.err, "(team web, platform.yaml)")) << result.err;
}

TEST_F(TeamsTest, ATeamsRuleErrorPointsIntoItsFile) {
  Write("teams/ops/edge.yaml",
        absl::StrReplaceAll(kOps, {{"{not: {header: {name: x-staff, exact: \"yes\"}}}", "\n"}}));
  EXPECT_TRUE(absl::StrContains(Error(),
                                "teams/ops/edge.yaml:9:7: direct_responses.rules[0].when: "
                                "an empty condition"))
      << Error();
}

}  // namespace
}  // namespace edgekit::cli

namespace edgekit::cli {
namespace {

TEST(PathNormalizationBrokerTest, IgnoreCaseHoldsInTheBrokersRuleLibrary) {
  rules::v1::Rule rule;
  rule.set_name("admin");
  rule.mutable_when()->mutable_path()->set_prefix("/admin");
  rule.mutable_when()->mutable_path()->set_ignore_case(true);
  rule.mutable_respond()->set_status(403);
  google::protobuf::RepeatedPtrField<rules::v1::Rule> list;
  *list.Add() = rule;
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> set =
      rules::RuleSet::Compile(list, {}, "direct_responses");
  ASSERT_TRUE(set.ok()) << set.status();
  for (const char* path : {"/admin", "/Admin/users", "/ADMIN"}) {
    ::edgekit::testing::FakeRequest req("GET", path, "api.example.com", {}, nullptr);
    EXPECT_EQ((*set)->Match(req), 0) << path;
  }
  ::edgekit::testing::FakeRequest other("GET", "/public", "api.example.com", {}, nullptr);
  EXPECT_EQ((*set)->Match(other), -1);
  // Checked as written: a prefix without "/" is still refused.
  rule.mutable_when()->mutable_path()->set_prefix("admin");
  *list.Mutable(0) = rule;
  EXPECT_FALSE(rules::RuleSet::Compile(list, {}, "direct_responses").ok());
}

}  // namespace
}  // namespace edgekit::cli

namespace edgekit::cli {
namespace {

// Review findings, each pinned: a rule's wildcard host is inside the team's hosts only
// when a wildcard of the team's covers it; "*" is every host, never a literal authority;
// a team rule whose own regex stays inside the team's prefixes is not re-scoped (it stays
// a route); a binding's verb is part of its path.
class TeamsReviewTest : public TeamsTest {};

TEST_F(TeamsReviewTest, ARulesWildcardHostMustBeCoveredByTheTeamsHosts) {
  Write("teams/web/edge.yaml", absl::StrCat(kWeb, R"(direct_responses:
  rules:
    - name: everywhere
      hosts: ["*.example.com"]
      when: {header: {name: x-a, present: true}}
      respond: {status: 403}
)"));
  EXPECT_TRUE(absl::StrContains(Error(),
                                "teams/web/edge.yaml:12:15: direct_responses.rules[0]."
                                "hosts[0]: \"*.example.com\" is outside the hosts of "
                                "team web (shop.example.com)"))
      << Error();
}

TEST_F(TeamsReviewTest, AStarHostIsEveryHostNotALiteralAuthority) {
  Write("platform.yaml",
        absl::StrReplaceAll(kPlatform, {{"hosts: [shop.example.com, api.example.com",
                                         "hosts: [\"*\", shop.example.com, api.example.com"}}));
  Write("teams/web/edge.yaml",
        absl::StrReplaceAll(kWeb,
                            {{"    - name: cart\n", "    - name: cart\n      hosts: [\"*\"]\n"}}));
  // web's hosts are [shop.example.com]: "*" is wider, refused.
  EXPECT_TRUE(absl::StrContains(Error(),
                                "routes.http[1].hosts[0]: \"*\" is not one of the hosts "
                                "of team web"))
      << Error();
  // In a single edge.yaml, a route on "*" has no authority match and takes every host.
  Write("single.yaml", R"(gateway: {hosts: ["*"]}
routes:
  http:
    - name: all
      hosts: ["*"]
      match: {prefix: /x}
      destination: {host: a.a.svc.cluster.local, port: 80}
)");
  auto result =
      testing::RunCommand({EDGEKIT_CLI_BINARY, "render", "-f", "single.yaml"}, "/dev/null", dir_);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(absl::StrContains(result.out, "authority")) << result.out;
}

TEST_F(TeamsReviewTest, ARuleWhosePathStaysInsideThePrefixesStaysARoute) {
  Write("teams/orders/edge.yaml", absl::StrCat(kOrders, R"(direct_responses:
  rules:
    - name: old-ids
      when: {path: {regex: "/v1/orders/0[0-9]*"}}
      respond: {status: 410}
)"));
  auto result = Render();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(absl::StrContains(result.err, "auto chose routes")) << result.err;
  YAML::Node vs = YAML::Load(Read("out/routes.yaml"));
  RouteRequest req;
  req.host = "api.example.com";
  req.path = "/v1/orders/007";
  EXPECT_EQ(RouteTaken(vs, req), "direct-orders.old-ids");
  req.host = "shop.example.com";
  EXPECT_EQ(RouteTaken(vs, req), "default");
}

TEST_F(TeamsReviewTest, ABindingsVerbIsPartOfItsPath) {
  // ops routes /v1/payments:search on its hosts; payments binds POST /v1/payments:search.
  Write("platform.yaml", absl::StrReplaceAll(kPlatform, {{"path_prefixes: [/v1/payments/]",
                                                          "path_prefixes: [/v1/payments]"}}));
  Write("teams/payments/protos/payments.proto",
        absl::StrReplaceAll(kPaymentsProto, {{"get: \"/v1/payments/{id}\"",
                                              "post: \"/v1/payments:search\" body: \"*\""}}));
  Write("teams/ops/edge.yaml",
        absl::StrReplaceAll(
            kOps, {{"match: {prefix: /grafana/}", "match: {exact: /v1/payments:search}"}}));
  EXPECT_TRUE(absl::StrContains(Error(),
                                "binding POST /v1/payments:search of "
                                "payments.v1.Payments/GetPayment (team payments) takes "
                                "paths of teams/ops/edge.yaml:3:7"))
      << Error();
}

}  // namespace
}  // namespace edgekit::cli
