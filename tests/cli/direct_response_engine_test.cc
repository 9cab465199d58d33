// `edgekit render` choosing who answers direct-response rules (direct_responses.engine):
// auto keeps routes for rules routes can express and moves the rest to the broker when
// ext_authz goes through it; broker writes the rules into broker.yaml (which the broker
// itself accepts), rules-only without an auth service; the checks that keep a rule from
// being hidden by an ext_authz exclusion; gateway.num_trusted_proxies.
#include <string>
#include <vector>

#include "cli/validate/crd_validator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "tests/cli/istio_test_util.h"
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
using ::testing::HasSubstr;
using ::testing::Not;

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

constexpr char kExtAuthz[] =
    "ext_authz: {upstream_target: 'dns:///authz.auth.svc.cluster.local:8080'}\n";
constexpr char kRoutes[] =
    "routes: {default_destination: {host: shop.default.svc.cluster.local, port: 8080}}\n";

struct Rendered {
  int exit_code = -1;
  std::string err;
  std::string dir;
  std::vector<std::string> files;
  std::string File(const std::string& name) const { return ReadFileToString(dir + "/" + name); }
};

Rendered Render(const std::string& edge_yaml) {
  Rendered r;
  const std::string tmp = MakeTempDir();
  WriteStringToFile(tmp + "/edge.yaml", edge_yaml);
  r.dir = tmp + "/out";
  auto result = RunEdgekit({"render", "-f", tmp + "/edge.yaml", "-o", r.dir});
  r.exit_code = result.exit_code;
  r.err = result.err;
  if (FileExists(r.dir)) r.files = ListDir(r.dir);
  return r;
}

std::string Rules(const std::string& engine, const std::string& rules) {
  return "gateway: {hosts: [shop.example.com]}\ndirect_responses:\n" +
         (engine.empty() ? "" : "  engine: " + engine + "\n") + "  rules:\n" + rules;
}

constexpr char kHeaderRule[] =
    "    - {name: need-key, when: {header: {name: x-api-key, absent: true}}, respond: {status: "
    "401}}\n";
constexpr char kTenantRule[] =
    "    - {name: tenant, when: {not: {headers_equal: [x-tenant, x-token-tenant]}}, respond: "
    "{status: 403, body: wrong tenant}}\n";
constexpr char kBlocklistRule[] =
    "    - {name: blocklist, when: {client_ip: {cidrs: [203.0.113.0/24]}}, respond: {status: "
    "403}}\n";

TEST(DirectResponseEngineTest, AutoKeepsRoutesWhenEveryRuleFitsOne) {
  const Rendered r = Render(Rules("", kHeaderRule) + kExtAuthz + kRoutes);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.File("routes.yaml"), HasSubstr("name: direct-need-key"));
  EXPECT_THAT(r.File("broker.yaml"), Not(HasSubstr("direct_responses")));
}

TEST(DirectResponseEngineTest, AutoMovesEveryRuleToTheBrokerWhenOneNeedsIt) {
  const Rendered r = Render(Rules("auto", std::string(kHeaderRule) + kTenantRule + kBlocklistRule) +
                            kExtAuthz + kRoutes);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // No direct route left: one evaluation order, in the broker.
  EXPECT_THAT(r.File("routes.yaml"), Not(HasSubstr("direct-")));
  const YAML::Node broker = YAML::Load(r.File("broker.yaml"));
  ASSERT_TRUE(broker["direct_responses"]) << r.File("broker.yaml");
  const YAML::Node rules = broker["direct_responses"]["rules"];
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["name"].as<std::string>(), "need-key");
  EXPECT_EQ(rules[1]["name"].as<std::string>(), "tenant");
  EXPECT_EQ(rules[2]["name"].as<std::string>(), "blocklist");
  EXPECT_EQ(broker["direct_responses"]["hosts"][0].as<std::string>(), "shop.example.com");
  EXPECT_EQ(broker["upstream"]["target"].as<std::string>(),
            "dns:///authz.auth.svc.cluster.local:8080");
  // The client_ip rule without num_trusted_proxies is warned about.
  EXPECT_THAT(r.err, HasSubstr("gateway.num_trusted_proxies is not set"));
  // What render wrote, the broker accepts.
  auto check =
      RunCommand({EDGEKIT_BROKER_BINARY, "--config", r.dir + "/broker.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, HasSubstr("direct_responses=3 rules (1 CIDRs)"));
}

TEST(DirectResponseEngineTest, AutoWithoutBrokerOrWasmIsAnErrorNamingTheRuleAndTheWays) {
  const Rendered r = Render(Rules("", kTenantRule) + kRoutes);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.rules[0].when.not.headers_equal"));
  EXPECT_THAT(r.err, HasSubstr("rule \"tenant\" cannot be a VirtualService route"));
  EXPECT_THAT(r.err, HasSubstr("direct_responses.engine: broker"));
  EXPECT_TRUE(r.files.empty());
}

TEST(DirectResponseEngineTest, AutoWithWasmImageKeepsTodaysWasmPlugin) {
  const Rendered r =
      Render(Rules("", kTenantRule) +
             "  wasm: {image: 'oci://ghcr.io/acme/direct-response:1.0'}\n" + kExtAuthz + kRoutes);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.files, ::testing::Contains("direct-response-wasm.yaml"));
  EXPECT_THAT(r.File("broker.yaml"), Not(HasSubstr("direct_responses")));
}

TEST(DirectResponseEngineTest, RoutesEngineRefusesWhatRoutesCannotExpress) {
  const Rendered r = Render(Rules("routes", kBlocklistRule) + kExtAuthz + kRoutes);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.rules[0].when.client_ip"));
  EXPECT_THAT(r.err, HasSubstr("cannot match the client address"));
}

TEST(DirectResponseEngineTest, RulesOnlyBrokerIsWiredWithoutAnAuthService) {
  const Rendered ok = Render(
      "gateway: {hosts: [shop.example.com], num_trusted_proxies: 2}\n"
      "direct_responses:\n  engine: broker\n  rules:\n" +
      std::string(kTenantRule) + kBlocklistRule);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.files, (std::vector<std::string>{"broker.yaml", "ext-authz-istio-operator.yaml",
                                                "ext-authz-istiod-values.yaml", "ext-authz.yaml",
                                                "gateway-values.yaml"}));
  const YAML::Node broker = YAML::Load(ok.File("broker.yaml"));
  EXPECT_FALSE(broker["upstream"]);
  EXPECT_TRUE(broker["direct_responses"]["rules_only"].as<bool>());
  EXPECT_EQ(broker["direct_responses"]["num_trusted_proxies"].as<int>(), 2);
  EXPECT_THAT(ok.err, Not(HasSubstr("num_trusted_proxies is not set")));
  auto check =
      RunCommand({EDGEKIT_BROKER_BINARY, "--config", ok.dir + "/broker.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, HasSubstr("upstream=none"));
  EXPECT_THAT(check.out, HasSubstr("rules_only"));
  // The gateway topology, where Istio reads it.
  const YAML::Node values = YAML::Load(ok.File("gateway-values.yaml"));
  const YAML::Node config =
      YAML::Load(values["podAnnotations"]["proxy.istio.io/config"].as<std::string>());
  EXPECT_EQ(config["gatewayTopology"]["numTrustedProxies"].as<int>(), 2);
  // The wiring passes Istio's CRD schemas.
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(testing::ExpectValidIstioObjects(*registry, ok.File("ext-authz.yaml"), "render"),
            (std::vector<std::string>{"ServiceEntry", "AuthorizationPolicy"}));
}

TEST(DirectResponseEngineTest, BrokerEngineRefusesLoopbackModeAndWasm) {
  Rendered r = Render(Rules("broker", kTenantRule) +
                      "ext_authz: {mode: loopback, upstream_target: 'authz.auth:8080'}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.engine: the broker answers the rules, but "
                               "ext_authz.mode is loopback"));
  r = Render(Rules("broker", kTenantRule) + "  wasm: {image: 'oci://x/y:1'}\n" + kExtAuthz);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.wasm: only for engine routes"));
}

TEST(DirectResponseEngineTest, BrokerRulesAreCheckedWithTheBrokersRules) {
  const Rendered r = Render(Rules("broker",
                                  "    - {name: a, when: {client_ip: {cidrs: [10.1.0.0/8]}}, "
                                  "respond: {status: 403}}\n") +
                            kExtAuthz);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.rules[0].when.client_ip.cidrs[0]: \"10.1.0.0/8\" "
                               "has bits set after the /8 prefix"));
  EXPECT_TRUE(r.files.empty());
}

TEST(DirectResponseEngineTest, ARuleAnExclusionWouldHideIsAnErrorNamingBoth) {
  const std::string excluded_path =
      "ext_authz: {upstream_target: 'authz:8080', excluded_paths: [/healthz, /public/*]}\n";
  Rendered r = Render(Rules("broker", kTenantRule) + excluded_path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.rules[0]: rule \"tenant\" can match requests to "
                               "\"/healthz\" (ext_authz.excluded_paths[0])"));
  // A rule whose own path test leaves the excluded paths out is fine.
  r = Render(Rules("broker",
                   "    - {name: api-tenant, when: {all: [{path: {prefix: /api/}}, {not: "
                   "{headers_equal: [x-tenant, x-token-tenant]}}]}, respond: {status: 403}}\n") +
             excluded_path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Client exclusions: a blocklist overlapping an excluded network is hidden.
  const std::string excluded_cidr =
      "ext_authz: {upstream_target: 'authz:8080', excluded_cidrs: [203.0.113.128/25]}\n";
  r = Render(Rules("broker", kBlocklistRule) + excluded_cidr);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("rule \"blocklist\" can match clients in \"203.0.113.128/25\" "
                               "(ext_authz.excluded_cidrs[0])"));
  r = Render(Rules("broker",
                   "    - {name: other-net, when: {client_ip: {cidrs: [198.51.100.0/24]}}, "
                   "respond: {status: 403}}\n") +
             excluded_cidr);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Behind trusted proxies the exclusion tests the TCP peer and the rule the client from
  // x-forwarded-for: no client test keeps the rule clear, so a blocked client behind a
  // proxy in the excluded network would pass. Refused, saying why.
  r = Render(Rules("broker",
                   "    - {name: other-net, when: {client_ip: {cidrs: [198.51.100.0/24]}}, "
                   "respond: {status: 403}}\n") +
             excluded_cidr);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string trusted =
      Rules("broker",
            "    - {name: other-net, when: {client_ip: {cidrs: [198.51.100.0/24]}}, "
            "respond: {status: 403}}\n") +
      excluded_cidr;
  trusted.replace(trusted.find("gateway: {"), 10, "gateway: {num_trusted_proxies: 1, ");
  r = Render(trusted);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("rule \"other-net\": requests whose TCP peer is in "
                               "\"203.0.113.128/25\" (ext_authz.excluded_cidrs[0]) never reach "
                               "the broker, whatever client x-forwarded-for names"));
  // Path tests are judged through nested all / any: every alternative of an `any` leaves
  // the excluded path out, and one item of a nested `all` does.
  r = Render(Rules("broker",
                   "    - {name: scoped, when: {all: [{any: [{path: {prefix: /api/}}, {path: "
                   "{exact: /cart}}]}, {all: [{path: {prefix: /a}}, {header: {name: x-a, "
                   "present: true}}]}]}, respond: {status: 403}}\n") +
             excluded_path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Render(Rules("broker",
                   "    - {name: leaky, when: {any: [{path: {prefix: /api/}}, {header: {name: "
                   "x-a, present: true}}]}, respond: {status: 403}}\n") +
             excluded_path);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("rule \"leaky\" can match requests to \"/healthz\""));
  // A test without case matches other spellings; a prefix with '?' sees the query, which
  // notPaths do not: neither keeps a rule clear of /healthz.
  for (const std::string when :
       {"{path: {exact: /HEALTHZ, ignore_case: true}}", "{path: {prefix: '/healthz?probe'}}"}) {
    r = Render(Rules("broker", "    - {name: sly, when: " + when + ", respond: {status: 403}}\n") +
               excluded_path);
    EXPECT_EQ(r.exit_code, 1) << when;
    EXPECT_THAT(r.err, HasSubstr("rule \"sly\" can match requests to \"/healthz\""));
  }
  // A cidrs_file is the broker's to read: its networks may include the excluded one.
  r = Render(Rules("broker",
                   "    - {name: listed, when: {client_ip: {cidrs_file: blocklist.txt}}, "
                   "respond: {status: 403}}\n") +
             excluded_cidr);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("rule \"listed\" can match clients in \"203.0.113.128/25\""));
}

TEST(DirectResponseEngineTest, NumTrustedProxiesOutOfRangeIsRefused) {
  const Rendered r = Render("gateway: {num_trusted_proxies: 65}\ndirect_responses:\n  rules:\n" +
                            std::string(kHeaderRule) + kRoutes);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("gateway.num_trusted_proxies: must be in [0, 64], got 65"));
}

}  // namespace
}  // namespace edgekit::cli
