// Tests of `edgekit render ext-authz` beyond the basics in render_command_test.cc: the
// broker's hedging settings (written to broker.yaml and accepted by the real broker's
// --check-config; refused with the broker's own message when it would refuse them), and
// the "loopback" mode (golden, CRD-valid, no recursion through the CUSTOM policy).
#include <string>
#include <vector>

#include "cli/validate/crd_validator.h"
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

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

const std::vector<std::string> kLoopback = {"render",
                                            "ext-authz",
                                            "--upstream",
                                            "dns:///authz.auth.svc.cluster.local:8080",
                                            "--mode",
                                            "loopback",
                                            "--exclude-path",
                                            "/healthz",
                                            "--per-try-timeout",
                                            "40ms"};

YAML::Node FindKind(const std::vector<YAML::Node>& docs, const std::string& kind) {
  for (const YAML::Node& doc : docs) {
    if (doc["kind"] && doc["kind"].as<std::string>() == kind) return doc;
  }
  return YAML::Node();
}

TEST(RenderExtAuthzTest, LoopbackMatchesGolden) {
  auto result = RunEdgekit(kLoopback);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  testing::ExpectMatchesGolden(result.out, "render/ext_authz_loopback.golden.yaml");
}

TEST(RenderExtAuthzTest, LoopbackWiresProviderToItsOwnHedgingListener) {
  auto result = RunEdgekit(kLoopback);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<YAML::Node> docs = YAML::LoadAll(result.out);

  const YAML::Node entry = FindKind(docs, "ServiceEntry");
  const YAML::Node gateway = FindKind(docs, "Gateway");
  const YAML::Node route = FindKind(docs, "VirtualService");
  const YAML::Node filter = FindKind(docs, "EnvoyFilter");
  const YAML::Node policy = FindKind(docs, "AuthorizationPolicy");
  ASSERT_TRUE(entry && gateway && route && filter && policy) << result.out;

  // provider -> ServiceEntry host:port -> Gateway server on that port -> route to authz.
  const std::string host = entry["spec"]["hosts"][0].as<std::string>();
  const int port = entry["spec"]["ports"][0]["number"].as<int>();
  EXPECT_EQ(entry["spec"]["endpoints"][0]["address"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(gateway["spec"]["servers"][0]["port"]["number"].as<int>(), port);
  EXPECT_EQ(gateway["spec"]["servers"][0]["hosts"][0].as<std::string>(), host);
  EXPECT_EQ(route["spec"]["hosts"][0].as<std::string>(), host);
  EXPECT_EQ(route["spec"]["gateways"][0].as<std::string>(),
            gateway["metadata"]["name"].as<std::string>());
  const YAML::Node http = route["spec"]["http"][0];
  EXPECT_EQ(http["route"][0]["destination"]["host"].as<std::string>(),
            "authz.auth.svc.cluster.local");
  EXPECT_EQ(http["route"][0]["destination"]["port"]["number"].as<int>(), 8080);
  EXPECT_EQ(http["retries"]["perTryTimeout"].as<std::string>(), "40ms");
  EXPECT_EQ(http["retries"]["attempts"].as<int>(), 1);  // 2 attempts in all by default

  // Hedging is on for exactly that virtual host.
  const YAML::Node patch = filter["spec"]["configPatches"][0];
  EXPECT_EQ(patch["applyTo"].as<std::string>(), "VIRTUAL_HOST");
  EXPECT_EQ(patch["match"]["routeConfiguration"]["portNumber"].as<int>(), port);
  EXPECT_EQ(patch["match"]["routeConfiguration"]["vhost"]["name"].as<std::string>(),
            host + ":" + std::to_string(port));
  EXPECT_TRUE(patch["patch"]["value"]["hedge_policy"]["hedge_on_per_try_timeout"].as<bool>());

  // The CUSTOM policy must not send the loopback listener's own Check calls to
  // ext_authz again: its port is excluded, next to the configured paths.
  const YAML::Node operation = policy["spec"]["rules"][0]["to"][0]["operation"];
  EXPECT_EQ(operation["notPorts"][0].as<std::string>(), std::to_string(port));
  EXPECT_EQ(operation["notPaths"][0].as<std::string>(), "/healthz");

  // The provider names the loopback host and port (in the mesh config files, which the
  // stream of cluster objects leaves out).
  std::vector<std::string> mesh_args = kLoopback;
  mesh_args.insert(mesh_args.end(), {"--only", "ext-authz-istiod-values.yaml", "--only",
                                     "ext-authz-istio-operator.yaml"});
  auto mesh = RunEdgekit(mesh_args);
  ASSERT_EQ(mesh.exit_code, 0) << mesh.err;
  bool provider_found = false;
  for (const YAML::Node& doc : YAML::LoadAll(mesh.out)) {
    if (!doc["meshConfig"]) continue;
    const YAML::Node grpc = doc["meshConfig"]["extensionProviders"][0]["envoyExtAuthzGrpc"];
    EXPECT_EQ(grpc["service"].as<std::string>(), host);
    EXPECT_EQ(grpc["port"].as<int>(), port);
    provider_found = true;
  }
  EXPECT_TRUE(provider_found);
}

TEST(RenderExtAuthzTest, LoopbackObjectsPassCrdsAndSemanticChecks) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  auto result = RunEdgekit(kLoopback);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(testing::ExpectValidIstioObjects(*registry, result.out, "render"),
            (std::vector<std::string>{"ServiceEntry", "AuthorizationPolicy", "Gateway",
                                      "VirtualService", "EnvoyFilter"}));
}

TEST(RenderExtAuthzTest, LoopbackWritesNoBrokerConfig) {
  const std::string dir = MakeTempDir() + "/out";
  std::vector<std::string> args = kLoopback;
  args.insert(args.end(), {"-o", dir});
  auto result = RunEdgekit(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ListDir(dir),
            (std::vector<std::string>{"ext-authz-istio-operator.yaml",
                                      "ext-authz-istiod-values.yaml", "ext-authz.yaml"}));
}

TEST(RenderExtAuthzTest, HedgingSettingsReachBrokerYamlAndTheBrokerAcceptsThem) {
  const std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/edge.yaml",
                    "ext_authz:\n"
                    "  upstream_target: dns:///authz.auth.svc.cluster.local:8080\n"
                    "  port: 9292\n"
                    "  hedging:\n"
                    "    max_attempts: 3\n"
                    "    quantile: 0.9\n"
                    "    delay_min: 2ms\n"
                    "    budget: 0.05\n"
                    "    throttling:\n"
                    "      max_tokens: 20\n");
  auto result = RunEdgekit({"render", "-f", dir + "/edge.yaml", "-o", dir + "/out"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string broker_yaml = ReadFileToString(dir + "/out/broker.yaml");
  const YAML::Node broker = YAML::Load(broker_yaml);
  EXPECT_EQ(broker["listen"].as<std::string>(), "127.0.0.1:9292");
  EXPECT_EQ(broker["hedging"]["max_attempts"].as<int>(), 3);
  EXPECT_EQ(broker["hedging"]["quantile"].as<std::string>(), "0.9");
  EXPECT_EQ(broker["hedging"]["budget"].as<std::string>(), "0.05");
  EXPECT_EQ(broker["hedging"]["throttling"]["max_tokens"].as<int>(), 20);

  // The real broker reads the file and agrees with what was asked for.
  auto check =
      RunCommand({EDGEKIT_BROKER_BINARY, "--config", dir + "/out/broker.yaml", "--check-config"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  const std::string summary = check.out + check.err;
  EXPECT_NE(summary.find("127.0.0.1:9292"), std::string::npos) << summary;
  EXPECT_NE(summary.find("0.9"), std::string::npos) << summary;
}

// A target the broker could not start with (no port) used to render, pass the broker's
// --check-config and stop the broker at startup: render refuses it now, naming it.
TEST(RenderExtAuthzTest, AnUpstreamTargetTheBrokerCannotStartWithIsRefused) {
  for (const std::string target :
       {"authz.auth.svc.cluster.local", "dns:///authz.auth.svc.cluster.local"}) {
    const std::string dir = MakeTempDir() + "/out";
    auto result = RunEdgekit({"render", "ext-authz", "--upstream", target, "-o", dir});
    EXPECT_EQ(result.exit_code, 1) << target;
    EXPECT_NE(result.err.find("upstream.target: expected HOST:PORT, dns:///HOST:PORT"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("got \"" + target + "\""), std::string::npos) << result.err;
    EXPECT_FALSE(FileExists(dir));
  }
}

TEST(RenderExtAuthzTest, BadSettingsAreRefusedWithKeyPath) {
  struct Case {
    std::vector<std::string> extra;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--max-attempts", "9"},
       "ext_authz: the broker config would be rejected by the broker: "
       "hedging.max_attempts: must be in [1, 5], got 9"},
      {{"--hedge-budget", "1.5"}, "hedging.budget"},
      {{"--mode", "sidecar"}, "ext_authz.mode: \"sidecar\" is not \"broker\" or \"loopback\""},
      {{"--mode", "loopback", "--attempts", "9"},
       "ext_authz.loopback.attempts: must be in [2, 5], got 9"},
      {{"--mode", "loopback", "--per-try-timeout", "2s"},
       "ext_authz.loopback.per_try_timeout: 2s is not below ext_authz.timeout (1s)"},
      {{"--mode", "loopback", "--max-attempts", "3"},
       "ext_authz.hedging: broker hedging settings do not apply to mode \"loopback\""},
      {{"--per-try-timeout", "30ms"}, "ext_authz.loopback: only for mode \"loopback\""},
      // Istio takes whole milliseconds only; absl alone would pass both.
      {{"--timeout", "inf"}, "ext_authz.timeout: \"inf\" is not a duration Istio accepts"},
      {{"--mode", "loopback", "--per-try-timeout", "1.5ms"},
       "ext_authz.loopback.per_try_timeout: \"1.5ms\" is not a duration Istio accepts: whole "
       "milliseconds, at least 1ms"},
      {{"--selector", "istio=ingressgateway", "--timeout", "0ms"},
       "ext_authz.timeout: \"0ms\" is not a duration Istio accepts"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"render", "ext-authz", "--upstream", "dns:///authz:8080"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const std::string dir = MakeTempDir() + "/out";
    args.insert(args.end(), {"-o", dir});
    auto result = RunEdgekit(args);
    EXPECT_EQ(result.exit_code, 1) << c.message;
    EXPECT_NE(result.err.find(c.message), std::string::npos) << result.err;
    EXPECT_FALSE(FileExists(dir)) << "nothing is written for " << c.message;
  }
  // A loopback upstream must be an Istio destination (host:port), not any gRPC target.
  auto result = RunEdgekit(
      {"render", "ext-authz", "--upstream", "ipv4:10.0.0.1:80,10.0.0.2:80", "--mode", "loopback"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("ext_authz.upstream_target: \"ipv4:10.0.0.1:80,10.0.0.2:80\" is "
                            "not HOST:PORT or dns:///HOST:PORT"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace edgekit::cli
