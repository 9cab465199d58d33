// Tests of the direct-response rule compiler (cli/render/direct_response/direct_response.h) and
// `edgekit render` with direct_responses: goldens, the seed's example checked by a small
// evaluator of Istio/Envoy VirtualService match semantics (under both behaviours of
// withoutHeaders for a missing header), a randomized comparison of compiled routes with
// the rules' own conditions (whose routes `edgekit validate`'s semantic checks also
// accept), CRD validation, the WasmPlugin's host / port scope, the warning about path and
// method tests under transcoding, and every bad-input check (message naming file and key
// path, exit code 1, nothing written).
#include "cli/render/direct_response/direct_response.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cli/edge/edge_config.h"
#include "cli/validate/crd_validator.h"
#include "cli/validate/istio_checks.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "tests/cli/cli_test_util.h"
#include "tests/cli/istio_test_util.h"
#include "tests/testing/simple_route_evaluator.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::ListDir;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::TestDataDir;
using ::edgekit::cli::testing::WriteStringToFile;

std::string Data(const std::string& name) { return TestDataDir() + "/direct_response/" + name; }
std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

const std::vector<std::string> kSeedFlags = {
    "render",          "direct-response",
    "--unless-header", "x-foo=1",
    "--unless-header", "x-bar=1",
    "--status",        "400",
    "--body",          "This is direct response!",
    "--destination",   "web.default.svc.cluster.local:8080",
    "--host",          "api.example.com"};

// `edgekit validate`'s semantic findings (cli/validate/istio_checks.h) on every document.
std::vector<std::string> SemanticFindings(const std::string& stream) {
  ValidationResult result;
  std::vector<YAML::Node> docs = YAML::LoadAll(stream);
  for (size_t i = 0; i < docs.size(); ++i) {
    CheckIstioSemantics(docs[i], static_cast<int>(i), &result);
  }
  std::vector<std::string> out;
  for (const Finding& f : result.findings) out.push_back(FormatFinding("render", f));
  return out;
}

// One entry of `direct_responses.rules` in an edge.yaml.
std::string Rule(const std::string& when, const std::string& respond = "{status: 400}",
                 const std::string& name = "r1") {
  return "    - name: " + name + "\n" + (when.empty() ? "" : "      when: " + when + "\n") +
         "      respond: " + respond + "\n";
}

using ::edgekit::testing::MissingHeader;
using Request = ::edgekit::testing::RouteRequest;

std::string Evaluate(const YAML::Node& vs, const Request& r, MissingHeader missing) {
  return ::edgekit::testing::EvaluateRoutes(vs, r, missing);
}

TEST(DirectResponseTest, SeedFlagsMatchGolden) {
  auto result = RunEdgekit(kSeedFlags);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // `render` says which engine `auto` chose, and nothing else.
  EXPECT_EQ(result.err,
            "command line: direct_responses.engine: auto chose routes: every rule fits a "
            "VirtualService route\n");
  testing::ExpectMatchesGolden(result.out, "render/direct_response_seed.golden.yaml");
}

TEST(DirectResponseTest, SeedEdgeYamlRendersTheSameRoutes) {
  auto yaml = RunEdgekit({"render", "-f", Data("seed.yaml")});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  YAML::Node from_yaml = YAML::Load(yaml.out);
  YAML::Node from_flags = YAML::Load(RunEdgekit(kSeedFlags).out);
  EXPECT_EQ(YAML::Dump(from_yaml["spec"]["http"][0]["match"]),
            YAML::Dump(from_flags["spec"]["http"][0]["match"]));
}

TEST(DirectResponseTest, SeedSemantics) {
  auto result = RunEdgekit({"render", "-f", Data("seed.yaml")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  YAML::Node vs = YAML::Load(result.out);
  ASSERT_EQ(vs["spec"]["http"].size(), 2u);
  EXPECT_EQ(vs["spec"]["http"][0]["match"].size(), 4u);
  EXPECT_EQ(vs["spec"]["http"][0]["directResponse"]["status"].as<int>(), 400);
  EXPECT_EQ(vs["spec"]["http"][0]["directResponse"]["body"]["string"].as<std::string>(),
            "This is direct response!");
  const std::string kDirect = "direct-require-foo-and-bar", kProxied = "default";
  struct Case {
    std::map<std::string, std::string> headers;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{{"x-foo", "1"}, {"x-bar", "1"}}, kProxied},
      {{{"x-foo", "1"}}, kDirect},
      {{}, kDirect},
      {{{"x-foo", "2"}, {"x-bar", "1"}}, kDirect},
      {{{"x-foo", "1"}, {"x-bar", "1"}, {"x-baz", "9"}}, kProxied},
      {{{"x-bar", "1"}}, kDirect},
      {{{"x-foo", ""}, {"x-bar", "1"}}, kDirect},
  };
  for (MissingHeader missing : {MissingHeader::kNoMatch, MissingHeader::kAsEmpty}) {
    for (const Case& c : cases) {
      Request r;
      r.headers = c.headers;
      EXPECT_EQ(Evaluate(vs, r, missing), c.want)
          << "headers " << c.headers.size() << " missing-mode " << static_cast<int>(missing);
    }
  }
}

TEST(DirectResponseTest, ManyRulesMatchGoldenAndSemantics) {
  auto result = RunEdgekit({"render", "-f", Data("many.yaml")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  testing::ExpectMatchesGolden(result.out, "render/direct_response_many.golden.yaml");
  YAML::Node vs = YAML::Load(result.out);
  EXPECT_EQ(vs["spec"]["http"][2]["directResponse"]["body"]["string"].as<std::string>(),
            "Upgrade required.\nSee https://example.com/upgrade\n");
  for (MissingHeader missing : {MissingHeader::kNoMatch, MissingHeader::kAsEmpty}) {
    Request r;
    r.path = "/healthz";
    EXPECT_EQ(Evaluate(vs, r, missing), "direct-healthz");
    r.path = "/api/x";
    r.method = "DELETE";
    EXPECT_EQ(Evaluate(vs, r, missing), "direct-no-delete");
    r.method = "GET";
    EXPECT_EQ(Evaluate(vs, r, missing), "direct-need-key");
    r.headers["x-api-key"] = "k";
    EXPECT_EQ(Evaluate(vs, r, missing), "default");
    r.headers["user-agent"] = "legacy/2.1";
    EXPECT_EQ(Evaluate(vs, r, missing), "direct-old-clients");
  }
}

TEST(DirectResponseTest, WasmForInexpressibleRule) {
  auto result = RunEdgekit({"render", "-f", Data("wasm.yaml")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  testing::ExpectMatchesGolden(result.out, "render/direct_response_wasm.golden.yaml");
  std::vector<YAML::Node> docs = YAML::LoadAll(result.out);
  ASSERT_EQ(docs.size(), 2u);
  // The rule before the inexpressible one moves to the plugin too (it runs first).
  EXPECT_EQ(docs[1]["spec"]["pluginConfig"]["rules"].size(), 2u);
  EXPECT_EQ(docs[0]["spec"]["http"].size(), 2u);
  std::string dir = MakeTempDir();
  auto written = RunEdgekit({"render", "-f", Data("wasm.yaml"), "-o", dir});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(ListDir(dir), (std::vector<std::string>{"direct-response-wasm.yaml", "routes.yaml"}));
}

TEST(DirectResponseTest, RenderedObjectsMatchIstioCrds) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  size_t validated = 0;
  for (const auto& args : {kSeedFlags, std::vector<std::string>{"render", "-f", Data("many.yaml")},
                           std::vector<std::string>{"render", "-f", Data("wasm.yaml")}}) {
    auto result = RunEdgekit(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    validated += testing::ExpectValidIstioObjects(*registry, result.out, "render").size();
  }
  EXPECT_EQ(validated, 4u);
}

// ---- Randomized: compiled routes == the rules' own conditions ----

const char* const kHeaders[] = {"x-a", "x-b", "x-c"};
const char* const kValues[] = {"1", "2", "12"};

rules::v1::Condition RandomCondition(std::mt19937& rng, int depth) {
  rules::v1::Condition c;
  const int kind = depth >= 3 ? rng() % 3 : rng() % 7;
  if (kind <= 1) {
    rules::v1::HeaderCondition* h = c.mutable_header();
    h->set_name(kHeaders[rng() % 3]);
    switch (rng() % 5) {
      case 0:
        h->set_exact(kValues[rng() % 3]);
        break;
      case 1:
        h->set_prefix(kValues[rng() % 2]);
        break;
      case 2:
        h->set_regex(rng() % 2 ? "1|2" : "[0-9]2");
        break;
      case 3:
        h->set_present(true);
        break;
      default:
        h->set_absent(true);
        break;
    }
  } else if (kind == 2) {
    if (rng() % 2) {
      c.mutable_path()->set_prefix(rng() % 2 ? "/a" : "/a/b");
    } else {
      c.set_method(rng() % 2 ? "GET" : "POST");
    }
  } else if (kind == 3 || kind == 4) {
    const int n = 1 + rng() % 3;
    for (int i = 0; i < n; ++i) {
      *(kind == 3 ? c.add_all() : c.add_any()) = RandomCondition(rng, depth + 1);
    }
  } else {
    // Negations only over headers and their combinations (negated path/method need Wasm).
    rules::v1::Condition inner;
    do {
      inner = RandomCondition(rng, depth + 1);
    } while (inner.has_path() || inner.has_method());
    *c.mutable_not_() = inner;
  }
  return c;
}

bool HasPathOrMethodUnderNot(const rules::v1::Condition& c, bool negated) {
  if (c.has_path() || c.has_method()) return negated;
  if (c.has_not_()) return HasPathOrMethodUnderNot(c.not_(), !negated);
  for (const auto& x : c.all())
    if (HasPathOrMethodUnderNot(x, negated)) return true;
  for (const auto& x : c.any())
    if (HasPathOrMethodUnderNot(x, negated)) return true;
  return false;
}

bool Holds(const rules::v1::Condition& c, const Request& r) {
  if (c.has_header()) {
    const auto& h = c.header();
    auto it = r.headers.find(h.name());
    const bool present = it != r.headers.end();
    if (h.has_present()) return present == h.present();
    if (h.has_absent()) return present != h.absent();
    if (!present) return false;
    if (h.has_exact()) return it->second == h.exact();
    if (h.has_prefix()) return it->second.rfind(h.prefix(), 0) == 0;
    return RE2::FullMatch(it->second, RE2(h.regex()));
  }
  if (c.has_path()) return r.path.rfind(c.path().prefix(), 0) == 0;
  if (c.has_method()) return r.method == c.method();
  if (c.has_not_()) return !Holds(c.not_(), r);
  if (c.all_size() > 0) {
    for (const auto& x : c.all())
      if (!Holds(x, r)) return false;
    return true;
  }
  for (const auto& x : c.any())
    if (Holds(x, r)) return true;
  return false;
}

TEST(DirectResponseTest, RandomRulesCompileToEquivalentRoutes) {
  std::mt19937 rng(20240601);  // fixed seed: deterministic
  int compiled_configs = 0;
  for (int iteration = 0; iteration < 400; ++iteration) {
    edge::v1::EdgeConfig config;
    config.mutable_gateway()->set_namespace_("istio-system");
    const int rules = 1 + rng() % 3;
    for (int i = 0; i < rules; ++i) {
      auto* rule = config.mutable_direct_responses()->add_rules();
      rule->set_name("r" + std::to_string(i));
      rule->mutable_respond()->set_status(400 + i);
      do {
        *rule->mutable_when() = RandomCondition(rng, 0);
      } while (HasPathOrMethodUnderNot(rule->when(), false));
    }
    absl::StatusOr<CompiledDirectResponses> compiled =
        CompileDirectResponses(config, "random", nullptr);
    if (!compiled.ok()) continue;  // never-matching / shadowed / too big: refused
    ++compiled_configs;
    ASSERT_TRUE(compiled->wasm_rules.empty());
    Doc d;
    d.Map().KV("apiVersion", "networking.istio.io/v1").KV("kind", "VirtualService");
    d.Key("spec").Map().Key("http").Seq();
    for (const auto& route : compiled->routes) {
      d.Map().KV("name", route.name);
      if (!route.matches.empty()) {
        d.Key("match").Seq();
        for (const auto& m : route.matches) EmitHttpMatch(d, m);
        d.EndSeq();
      }
      d.Key("directResponse").Map().KV("status", route.status).EndMap();
      d.EndMap();
    }
    d.EndSeq().EndMap().EndMap();
    YAML::Node vs = YAML::Load(d.Text());
    // No match block an earlier route repeats, no unreachable route: what `edgekit
    // validate` checks (blocks earlier rules cover are left out).
    EXPECT_EQ(SemanticFindings(d.Text()), std::vector<std::string>{})
        << "iteration " << iteration << "\n"
        << config.DebugString() << d.Text();
    // Every request over the small universe: 4^3 header combinations x paths x methods.
    for (int mask = 0; mask < 64; ++mask) {
      for (const char* path : {"/", "/a", "/a/b"}) {
        for (const char* method : {"GET", "POST"}) {
          Request r;
          r.path = path;
          r.method = method;
          for (int h = 0; h < 3; ++h) {
            const int v = (mask >> (2 * h)) & 3;
            if (v > 0) r.headers[kHeaders[h]] = kValues[v - 1];
          }
          std::string want;
          for (int i = 0; i < rules && want.empty(); ++i) {
            if (Holds(config.direct_responses().rules(i).when(), r))
              want = "direct-r" + std::to_string(i);
          }
          for (MissingHeader missing : {MissingHeader::kNoMatch, MissingHeader::kAsEmpty}) {
            ASSERT_EQ(Evaluate(vs, r, missing), want) << "iteration " << iteration << "\n"
                                                      << config.DebugString() << d.Text();
          }
        }
      }
    }
  }
  EXPECT_GT(compiled_configs, 100);
}

// ---- Blocks earlier rules cover ----

absl::StatusOr<CompiledDirectResponses> CompileRules(
    const std::vector<std::pair<std::string, std::string>>& rules,
    std::vector<std::string>* warnings = nullptr, bool transcoding = false) {
  // Each rule: name and its `when` as YAML, loaded through a whole edge.yaml.
  std::string yaml = "direct_responses:\n  rules:\n";
  for (const auto& [name, when] : rules) {
    yaml += "    - name: " + name + "\n" + (when.empty() ? "" : "      when: " + when + "\n") +
            "      respond: {status: 403}\n";
  }
  std::string file = MakeTempDir() + "/edge.yaml";
  WriteStringToFile(file, yaml);
  absl::StatusOr<edge::v1::EdgeConfig> config = LoadEdgeConfig(file);
  if (!config.ok()) return config.status();
  if (transcoding) config->mutable_transcoding();
  return CompileDirectResponses(*config, "edge.yaml", warnings);
}

TEST(DirectResponseTest, BlocksAnEarlierRuleCoversAreLeftOut) {
  absl::StatusOr<CompiledDirectResponses> compiled = CompileRules({
      {"a", "{any: [{header: {name: x-1, exact: \"1\"}}, {header: {name: x-2, exact: \"1\"}}]}"},
      {"b", "{any: [{header: {name: x-1, exact: \"1\"}}, {header: {name: x-3, exact: \"1\"}}]}"},
      {"c", "{not: {header: {name: x-9, exact: \"1\"}}}"},
      // Present and not 2 or 3: "1" is new; absent is c's.
      {"d", "{not: {header: {name: x-9, regex: \"2|3\"}}}"},
  });
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  ASSERT_EQ(compiled->routes.size(), 4u);
  const std::vector<HttpMatch>& b = compiled->routes[1].matches;
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].headers.count("x-3"), 1u);
  EXPECT_EQ(b[0].headers.count("x-1"), 0u);
  EXPECT_EQ(compiled->routes[2].matches.size(), 2u);  // c: present and not 1, or absent
  const std::vector<HttpMatch>& d = compiled->routes[3].matches;
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].headers.count("x-9"), 1u);  // present ...
  ASSERT_EQ(d[0].without_headers.count("x-9"), 1u);
  EXPECT_EQ(d[0].without_headers.at("x-9")->value, "2|3");  // ... and not 2 or 3

  // Every request `not x-9 regex 1|2` takes, `not x-9 exact 1` took first.
  absl::StatusOr<CompiledDirectResponses> shadowed = CompileRules({
      {"c", "{not: {header: {name: x-9, exact: \"1\"}}}"},
      {"d", "{not: {header: {name: x-9, regex: \"1|2\"}}}"},
  });
  EXPECT_EQ(shadowed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(shadowed.status().message())
                .find("edge.yaml: direct_responses.rules[1]: rule \"d\" can never answer: "
                      "every request it matches is answered first by earlier rule \"c\""),
            std::string::npos)
      << shadowed.status();
}

TEST(DirectResponseTest, RenderedRoutesPassValidateSemanticChecks) {
  std::string dir = MakeTempDir();
  std::string file = dir + "/edge.yaml";
  WriteStringToFile(
      file,
      "routes:\n  default_destination: {host: web.default, port: 80}\n"
      "direct_responses:\n  rules:\n" +
          Rule("{any: [{header: {name: x-1, exact: \"1\"}}, {header: {name: x-2, exact: \"1\"}}]}",
               "{status: 400}", "a") +
          Rule("{any: [{header: {name: x-1, exact: \"1\"}}, {header: {name: x-3, exact: \"1\"}}]}",
               "{status: 401}", "b") +
          Rule("{not: {header: {name: x-9, exact: \"1\"}}}", "{status: 402}", "c") +
          Rule("{not: {header: {name: x-9, regex: \"2|3\"}}}", "{status: 403}", "d"));
  auto result = RunEdgekit({"render", "-f", file});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(SemanticFindings(result.out), std::vector<std::string>{}) << result.out;
}

// ---- Transcoding: routes see the gRPC path and POST of transcoded requests ----

TEST(DirectResponseTest, PathOrMethodRuleIsWarnedAboutWithTranscoding) {
  std::vector<std::string> warnings;
  absl::StatusOr<CompiledDirectResponses> compiled =
      CompileRules({{"internal", "{path: {prefix: /v1/internal}}"},
                    {"key", "{header: {name: x-api-key, absent: true}}"},
                    {"post", "{all: [{method: POST}, {header: {name: x-a, present: true}}]}"}},
                   &warnings, /*transcoding=*/true);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].rfind("edge.yaml: direct_responses.rules[0].when: warning: rule "
                              "\"internal\" tests the path or method: with transcoding on, "
                              "transcoded requests are matched again on "
                              "/<package>.<Service>/<Method>",
                              0),
            0u)
      << warnings[0];
  EXPECT_NE(warnings[0].find("this rule sees that path/method for them, not the REST one"),
            std::string::npos);
  EXPECT_NE(warnings[0].find("Wasm"), std::string::npos);
  EXPECT_EQ(warnings[1].rfind("edge.yaml: direct_responses.rules[2].when: warning:", 0), 0u)
      << warnings[1];

  warnings.clear();
  compiled = CompileRules({{"internal", "{path: {prefix: /v1/internal}}"}}, &warnings,
                          /*transcoding=*/false);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ(warnings, std::vector<std::string>{});
}

TEST(DirectResponseTest, RenderWithTranscodingWarnsAboutPathAndMethodRules) {
  const std::string file = Data("transcoding.yaml");
  auto result = RunEdgekit({"render", "-f", file});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find(file + ": direct_responses.rules[0].when: warning: rule "
                                   "\"block-internal\" tests the path or method"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(file + ": direct_responses.rules[1].when: warning: rule "
                                   "\"no-delete\" tests the path or method"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("rules[2]"), std::string::npos) << result.err;
}

// ---- The WasmPlugin's scope: the routes' hosts, never the ext_authz loopback port ----

YAML::Node FindKind(const std::vector<YAML::Node>& docs, const std::string& kind) {
  for (const YAML::Node& doc : docs) {
    if (doc["kind"] && doc["kind"].as<std::string>() == kind) return doc;
  }
  return YAML::Node();
}

TEST(DirectResponseTest, WasmPluginIsScopedToGatewayHostsAndSkipsLoopbackPort) {
  auto result = RunEdgekit({"render", "-f", Data("wasm_loopback.yaml")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<YAML::Node> docs = YAML::LoadAll(result.out);
  YAML::Node plugin = FindKind(docs, "WasmPlugin");
  ASSERT_TRUE(plugin) << result.out;
  const YAML::Node config = plugin["spec"]["pluginConfig"];
  ASSERT_EQ(config["hosts"].size(), 2u);
  EXPECT_EQ(config["hosts"][0].as<std::string>(), "api.example.com");
  EXPECT_EQ(config["hosts"][1].as<std::string>(), "*.shop.example.com");
  // The same hosts as the routes.
  EXPECT_EQ(YAML::Dump(config["hosts"]),
            YAML::Dump(FindKind(docs, "VirtualService")["spec"]["hosts"]));
  ASSERT_EQ(config["excluded_ports"].size(), 1u);
  EXPECT_EQ(config["excluded_ports"][0]["number"].as<int>(), 9292);
  EXPECT_EQ(config["rules"].size(), 1u);
  // The manifest says what the module must do with them.
  const size_t at = result.out.find("# The plugin runs on every host and port");
  ASSERT_NE(at, std::string::npos) << result.out;
  EXPECT_NE(result.out.find("pluginConfig.hosts", at), std::string::npos);
  EXPECT_NE(result.out.find("pluginConfig.excluded_ports (9292: the ext_authz loopback", at),
            std::string::npos);

  if (FileExists(CrdFile())) {
    absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
    ASSERT_TRUE(registry.ok()) << registry.status();
    ValidationResult validation;
    registry->ValidateObject(plugin, 0, ValidateOptions{}, &validation);
    EXPECT_EQ(validation.objects_validated, 1);
    for (const Finding& f : validation.findings) ADD_FAILURE() << FormatFinding("render", f);
  }

  // Without loopback mode (the broker), nothing to exclude; without gateway.hosts, every
  // host, as the routes.
  std::string file = MakeTempDir() + "/edge.yaml";
  WriteStringToFile(file,
                    "direct_responses:\n  wasm: {image: oci://ghcr.io/acme/dr:1}\n  rules:\n" +
                        Rule("{headers_equal: [x-a, x-b]}") +
                        "ext_authz:\n  upstream_target: dns:///authz.auth:8080\n");
  auto broker = RunEdgekit({"render", "-f", file});
  ASSERT_EQ(broker.exit_code, 0) << broker.err;
  plugin = FindKind(YAML::LoadAll(broker.out), "WasmPlugin");
  ASSERT_TRUE(plugin) << broker.out;
  EXPECT_FALSE(plugin["spec"]["pluginConfig"]["excluded_ports"]) << broker.out;
  ASSERT_EQ(plugin["spec"]["pluginConfig"]["hosts"].size(), 1u);
  EXPECT_EQ(plugin["spec"]["pluginConfig"]["hosts"][0].as<std::string>(), "*");
}

// ---- Bad input ----

struct BadCase {
  std::string name;
  std::string rules_yaml;  // the `direct_responses:` body
  std::string want;        // substring of the message (after "<file>: ")
};

TEST(DirectResponseTest, BadInputIsRefusedWithKeyPathAndNothingWritten) {
  const std::string big(1024 * 1024 + 1, 'x');
  const std::vector<BadCase> cases = {
      {"uppercase header", "  rules:\n" + Rule("{header: {name: X-Foo, exact: \"1\"}}"),
       "direct_responses.rules[0].when.header.name: \"X-Foo\" must be lowercase"},
      {"pseudo header", "  rules:\n" + Rule("{header: {name: \":path\", exact: /}}"),
       "direct_responses.rules[0].when.header.name: \":path\": pseudo-headers"},
      {"bad regex", "  rules:\n" + Rule("{all: [{header: {name: x-a, regex: \"(\"}}]}"),
       "direct_responses.rules[0].when.all[0].header.regex: \"(\" is not a valid RE2"},
      {"status 99", "  rules:\n" + Rule("{method: GET}", "{status: 99}"),
       "direct_responses.rules[0].respond.status: must be in [200, 599]"},
      {"status 600", "  rules:\n" + Rule("{method: GET}", "{status: 600}"),
       "direct_responses.rules[0].respond.status: must be in [200, 599]"},
      {"body over 1MB", "  rules:\n" + Rule("{method: GET}", "{status: 400, body: " + big + "}"),
       "direct_responses.rules[0].respond.body: is 1048577 bytes; Istio refuses"},
      {"shadowed",
       "  rules:\n" + Rule("{header: {name: x-a, present: true}}", "{status: 400}", "wide") +
           Rule("{header: {name: x-a, exact: \"1\"}}", "{status: 401}", "narrow"),
       "direct_responses.rules[1]: rule \"narrow\" can never answer: every request it matches "
       "is answered first by earlier rule \"wide\""},
      {"after unconditional",
       "  rules:\n" + Rule("", "{status: 503}", "all") +
           Rule("{method: GET}", "{status: 401}", "later"),
       "direct_responses.rules[1]: rule \"later\" can never answer: rule \"all\" before it "
       "matches every request"},
      {"never matches",
       "  rules:\n" + Rule("{all: [{header: {name: x-a, present: true}}, {header: {name: x-a, "
                           "absent: true}}]}"),
       "direct_responses.rules[0].when: rule \"r1\" can never match"},
      {"two exacts",
       "  rules:\n" + Rule("{all: [{header: {name: x-a, exact: \"1\"}}, {header: "
                           "{name: x-a, exact: \"2\"}}]}"),
       "direct_responses.rules[0].when: rule \"r1\" can never match"},
      {"negated path without wasm", "  rules:\n" + Rule("{not: {path: {prefix: /api}}}"),
       "direct_responses.rules[0].when.not.path: rule \"r1\" cannot be a VirtualService route: "
       "a negated path test"},
      {"headers_equal without wasm", "  rules:\n" + Rule("{headers_equal: [x-a, x-b]}"),
       "direct_responses.rules[0].when.headers_equal: rule \"r1\" cannot be a VirtualService "
       "route: it compares two headers' values"},
      {"bad rule name", "  rules:\n" + Rule("{method: GET}", "{status: 400}", "Bad_Name"),
       "direct_responses.rules[0].name: \"Bad_Name\" is not a valid Kubernetes name"},
      {"duplicate name", "  rules:\n" + Rule("{method: GET}") + Rule("{method: POST}"),
       "direct_responses.rules[1].name: \"r1\" is used by an earlier rule"},
      {"two tests in one condition", "  rules:\n" + Rule("{method: GET, path: {exact: /}}"),
       "direct_responses.rules[0].when: set exactly one of"},
      {"bad response header",
       "  rules:\n" + Rule("{method: GET}", "{status: 400, headers: {X-A: b}}"),
       "direct_responses.rules[0].respond.headers[\"X-A\"]: \"X-A\" must be lowercase"},
      {"no rules", "  rules: []\n", "direct_responses.rules: at least one rule"},
      {"bad wasm image", "  wasm: {image: ghcr.io/x}\n  rules:\n" + Rule("{method: GET}"),
       "direct_responses.wasm.image: \"ghcr.io/x\" must start with oci://"},
      {"empty exact path", "  rules:\n" + Rule("{path: {exact: \"\"}}"),
       "direct_responses.rules[0].when.path.exact: must not be empty"},
      {"empty prefix path", "  rules:\n" + Rule("{not: {not: {path: {prefix: \"\"}}}}"),
       "direct_responses.rules[0].when.not.not.path.prefix: must not be empty"},
      {"exact path without slash", "  rules:\n" + Rule("{path: {exact: healthz}}"),
       "direct_responses.rules[0].when.path.exact: \"healthz\" never matches: a request path "
       "starts with \"/\""},
      {"prefix path without slash",
       "  rules:\n" + Rule("{all: [{method: GET}, {path: {prefix: api/}}]}"),
       "direct_responses.rules[0].when.all[1].path.prefix: \"api/\" never matches"},
      {"LF in header prefix", "  rules:\n" + Rule("{header: {name: x-a, prefix: \"a\\nb\"}}"),
       "direct_responses.rules[0].when.header.prefix: a header value cannot contain CR, LF "
       "or NUL"},
      {"CR in header regex", "  rules:\n" + Rule("{not: {header: {name: x-a, regex: \"a\\r.*\"}}}"),
       "direct_responses.rules[0].when.not.header.regex: a header value cannot contain CR, "
       "LF or NUL"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::string dir = MakeTempDir();
    std::string file = dir + "/edge.yaml";
    WriteStringToFile(file,
                      "routes:\n  default_destination: {host: web.default, port: 80}\n"
                      "direct_responses:\n" +
                          c.rules_yaml);
    std::string out = dir + "/out";
    auto result = RunEdgekit({"render", "-f", file, "-o", out});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find(file + ": " + c.want), std::string::npos)
        << result.err.substr(0, 400);
    EXPECT_FALSE(FileExists(out)) << "output written for bad input";
  }
}

TEST(DirectResponseTest, BadRoutesConfigIsRefused) {
  std::string dir = MakeTempDir();
  std::string file = dir + "/edge.yaml";
  WriteStringToFile(file,
                    "routes:\n  name: Routes\n"
                    "direct_responses:\n  rules:\n" +
                        Rule("{method: GET}"));
  auto result = RunEdgekit({"render", "-f", file});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(file + ": routes.name: \"Routes\" is not a valid Kubernetes name"),
            std::string::npos)
      << result.err;
  WriteStringToFile(file,
                    "routes:\n  default_destination: {host: web}\n"
                    "direct_responses:\n  rules:\n" +
                        Rule("{method: GET}"));
  result = RunEdgekit({"render", "-f", file});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(file + ": routes.default_destination.port: required"),
            std::string::npos)
      << result.err;
}

TEST(DirectResponseTest, LargeBodyIsWarnedButRendered) {
  std::string dir = MakeTempDir();
  std::string file = dir + "/edge.yaml";
  WriteStringToFile(
      file, "direct_responses:\n  rules:\n" +
                Rule("{method: GET}", "{status: 400, body: " + std::string(200 * 1024, 'x') + "}"));
  auto result = RunEdgekit({"render", "-f", file});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find(file + ": direct_responses.rules[0].respond.body: warning: 204800 "
                                   "bytes; bodies over 100 KB"),
            std::string::npos)
      << result.err;
}

TEST(DirectResponseTest, YamlLoadsNestedConditions) {
  // Recursive messages and repeated conditions load from YAML; unknown keys are refused.
  std::string dir = MakeTempDir();
  std::string file = dir + "/edge.yaml";
  WriteStringToFile(file, "direct_responses:\n  rules:\n" +
                              Rule("{any: [{not: {not: {header: {name: x-a, present: true}}}}, "
                                   "{all: [{method: GET}, {path: {regex: \"/v[0-9]+/.*\"}}]}]}"));
  auto ok = RunEdgekit({"render", "-f", file});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  YAML::Node vs = YAML::Load(ok.out);
  EXPECT_EQ(vs["spec"]["http"][0]["match"].size(), 2u);
  WriteStringToFile(file,
                    "direct_responses:\n  rules:\n" + Rule("{header: {name: x-a, equals: b}}"));
  auto bad = RunEdgekit({"render", "-f", file});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("equals: unknown key"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace edgekit::cli
