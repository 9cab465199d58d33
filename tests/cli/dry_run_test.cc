// Dry-run direct-response rules (rules.v1.Rule.dry_run, direct_responses.dry_run) outside
// the broker's runtime: `edgekit render` writes them through to broker.yaml, lets only the
// broker engine run them (auto picks it, routes refuses them, each error naming the key),
// treats a dry-run rule as answering nothing when judging the rules after it, and keeps a
// team's dry_run through composition; `edgekit explain` shows a dry-run match as counted,
// not answered, and goes on to the later rules, auth and routes; `edgekit test` never
// takes a dry-run match for an answer, and checks expect.dry_run (the rules that must
// match in dry run), saying when a rule named does not exist or is not in dry run.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::CommandResult;
using ::edgekit::cli::testing::ExpectMatchesGolden;
using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::ReadFileToString;
using ::edgekit::cli::testing::RunCommand;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kExtAuthz[] =
    "ext_authz: {upstream_target: 'dns:///authz.auth.svc.cluster.local:8080'}\n";
constexpr char kRoutes[] =
    "routes: {default_destination: {host: shop.default.svc.cluster.local, port: 8080}}\n";

// Three rules routes could express; the second in dry run when `dry` is set on it.
std::string Edge(const std::string& section, const std::string& second_rule_extra,
                 const std::string& rest) {
  return "gateway: {hosts: [shop.example.com]}\ndirect_responses:\n" + section +
         "  rules:\n"
         "    - {name: need-key, when: {header: {name: x-api-key, absent: true}}, respond: "
         "{status: 401}}\n"
         "    - {name: no-bots, " +
         second_rule_extra +
         "when: {header: {name: user-agent, prefix: bot}}, respond: {status: 403, body: no "
         "bots}}\n"
         "    - {name: admin, when: {header: {name: x-admin, present: true}}, respond: {status: "
         "404}}\n" +
         rest;
}

struct Rendered {
  int exit_code = -1;
  std::string err;
  std::string dir;
  std::string File(const std::string& name) const { return ReadFileToString(dir + "/" + name); }
};

// Renders `edge_yaml` (written as <tmp>/edge.yaml) into <tmp>/out.
Rendered Render(const std::string& edge_yaml, std::string* path = nullptr) {
  Rendered r;
  const std::string tmp = MakeTempDir();
  WriteStringToFile(tmp + "/edge.yaml", edge_yaml);
  if (path != nullptr) *path = tmp + "/edge.yaml";
  r.dir = tmp + "/out";
  const CommandResult result = RunEdgekit({"render", "-f", tmp + "/edge.yaml", "-o", r.dir});
  r.exit_code = result.exit_code;
  r.err = result.err;
  return r;
}

// ---- render ----

TEST(DryRunRenderTest, ARulesDryRunIsWrittenToBrokerYamlAndAutoPicksTheBroker) {
  const Rendered r = Render(Edge("", "dry_run: true, ", kExtAuthz + std::string(kRoutes)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Without dry_run these rules are routes (direct_response_engine_test); the dry run
  // moves every rule to the broker, in one order, and the note says why.
  EXPECT_THAT(r.err, HasSubstr("edge.yaml: direct_responses.engine: auto chose broker (rule "
                               "\"no-bots\" is in dry run: only the broker counts a rule's "
                               "matches without answering)"));
  EXPECT_THAT(r.File("routes.yaml"), Not(HasSubstr("direct-")));
  const YAML::Node direct = YAML::Load(r.File("broker.yaml"))["direct_responses"];
  ASSERT_TRUE(direct) << r.File("broker.yaml");
  ASSERT_EQ(direct["rules"].size(), 3u);
  EXPECT_FALSE(direct["rules"][0]["dry_run"]);
  EXPECT_EQ(direct["rules"][1]["name"].as<std::string>(), "no-bots");
  EXPECT_TRUE(direct["rules"][1]["dry_run"].as<bool>());
  EXPECT_FALSE(direct["rules"][2]["dry_run"]);
  EXPECT_FALSE(direct["dry_run"]) << "only the rule is in dry run";
  auto check =
      RunCommand({EDGEKIT_BROKER_BINARY, "--config", r.dir + "/broker.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(DryRunRenderTest, TheSectionsDryRunIsWrittenOnceForEveryRule) {
  const Rendered r = Render(Edge("  dry_run: true\n", "", kExtAuthz + std::string(kRoutes)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("auto chose broker (direct_responses.dry_run is set: only the "
                               "broker counts"));
  const YAML::Node direct = YAML::Load(r.File("broker.yaml"))["direct_responses"];
  ASSERT_TRUE(direct) << r.File("broker.yaml");
  EXPECT_TRUE(direct["dry_run"].as<bool>());
  for (const auto& rule : direct["rules"]) EXPECT_FALSE(rule["dry_run"]);
  EXPECT_EQ(direct["rules"].size(), 3u);
}

TEST(DryRunRenderTest, EngineRoutesRefusesADryRunNamingItsKey) {
  Rendered r = Render(Edge("  engine: routes\n", "dry_run: true, ", kRoutes));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("edge.yaml: direct_responses.rules[1].dry_run: dry run needs "
                               "engine: broker (VirtualService routes and Wasm always answer)"));
  EXPECT_FALSE(FileExists(r.dir));
  r = Render(Edge("  engine: routes\n  dry_run: true\n", "", kRoutes));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("edge.yaml: direct_responses.dry_run: dry run needs engine: "
                               "broker (VirtualService routes and Wasm always answer)"));
  // `dry_run: false` is no dry run.
  r = Render(Edge("  engine: routes\n", "dry_run: false, ", kRoutes));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.File("routes.yaml"), HasSubstr("name: direct-no-bots"));
}

TEST(DryRunRenderTest, AutoWithoutTheBrokerSaysWhatTheDryRunNeeds) {
  Rendered r = Render(Edge("", "dry_run: true, ", kRoutes));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("edge.yaml: direct_responses.rules[1].dry_run: dry run needs the "
                               "broker engine, which engine auto picks only with an ext_authz "
                               "section through the broker: add one (mode broker), or set "
                               "direct_responses.engine: broker for a rules-only broker"));
  r = Render(Edge("  dry_run: true\n", "",
                  kRoutes + std::string("ext_authz: {mode: loopback, "
                                        "upstream_target: 'authz.auth:8080'}\n")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("edge.yaml: direct_responses.dry_run: dry run needs the broker "
                               "engine, and ext_authz.mode is loopback (no broker): use ext_authz "
                               "mode broker"));
  // engine: broker without ext_authz is a rules-only broker, dry run included.
  r = Render(Edge("  engine: broker\n", "dry_run: true, ", kRoutes));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const YAML::Node broker = YAML::Load(r.File("broker.yaml"));
  EXPECT_TRUE(broker["direct_responses"]["rules_only"].as<bool>());
  EXPECT_TRUE(broker["direct_responses"]["rules"][1]["dry_run"].as<bool>());
}

// A rule without `when` answers every request, so a rule after it is refused; in dry run
// it answers nothing, and the rules after it stay reachable.
TEST(DryRunRenderTest, ADryRunCatchAllAnswersNothingSoLaterRulesStayReachable) {
  const std::string rules =
      "    - {name: everything, respond: {status: 503}}\n"
      "    - {name: admin, when: {header: {name: x-admin, present: true}}, respond: {status: "
      "404}}\n";
  auto edge = [&](const std::string& section, const std::string& catch_all_extra) {
    return "gateway: {hosts: [shop.example.com]}\ndirect_responses:\n" + section + "  rules:\n" +
           absl::StrReplaceAll(rules,
                               {{"{name: everything, ", "{name: everything, " + catch_all_extra}}) +
           kExtAuthz + kRoutes;
  };
  Rendered r = Render(edge("  engine: broker\n", ""));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("direct_responses.rules[1]: can never answer"));
  r = Render(edge("", "dry_run: true, "));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("warning"))) << "the routes are not unreachable either";
  // The default route is still rendered behind the rules.
  EXPECT_THAT(r.File("routes.yaml"), HasSubstr("shop.default.svc.cluster.local"));
  r = Render(edge("  dry_run: true\n", ""));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// ---- teams ----

class DryRunTeamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_EQ(
        std::system(absl::StrCat("mkdir -p ", dir_, "/teams/web ", dir_, "/teams/ops").c_str()), 0);
    Write("platform.yaml", Platform(""));
    Write("teams/web/edge.yaml",
          "routes:\n  http:\n    - name: catalog\n      match: {prefix: /catalog/}\n"
          "      destination: {host: catalog.web.svc.cluster.local, port: 8080}\n"
          "direct_responses:\n  rules:\n"
          "    - name: no-bots\n      dry_run: true\n"
          "      when: {header: {name: user-agent, prefix: bot}}\n"
          "      respond: {status: 403, body: no bots}\n");
    Write("teams/ops/edge.yaml",
          "direct_responses:\n  rules:\n"
          "    - name: staff-only\n      when: {not: {header: {name: x-staff, exact: \"yes\"}}}\n"
          "      respond: {status: 403, body: staff only}\n");
  }
  static std::string Platform(const std::string& direct_responses) {
    return "gateway:\n  hosts: [shop.example.com, \"*.internal.example.com\"]\n" +
           direct_responses + kExtAuthz + kRoutes +
           "teams:\n"
           "  - {name: web, config: teams/web/edge.yaml, hosts: [shop.example.com]}\n"
           "  - {name: ops, config: teams/ops/edge.yaml, hosts: [\"*.internal.example.com\"]}\n";
  }
  void Write(const std::string& name, const std::string& text) {
    WriteStringToFile(dir_ + "/" + name, text);
  }
  CommandResult Render() {
    return RunCommand({EDGEKIT_CLI_BINARY, "render", "-f", "platform.yaml", "-o", "out"},
                      "/dev/null", dir_);
  }
  YAML::Node BrokerRules() {
    return YAML::Load(ReadFileToString(dir_ + "/out/broker.yaml"))["direct_responses"]["rules"];
  }
  std::string dir_;
};

TEST_F(DryRunTeamsTest, ATeamsDryRunSurvivesCompositionUnderItsTeamName) {
  const CommandResult r = Render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("auto chose broker (rule \"web.no-bots\" is in dry run"));
  const YAML::Node rules = BrokerRules();
  ASSERT_EQ(rules.size(), 2u);
  // Teams merge in name order: ops, then web.
  EXPECT_EQ(rules[0]["name"].as<std::string>(), "ops.staff-only");
  EXPECT_FALSE(rules[0]["dry_run"]);
  EXPECT_EQ(rules[1]["name"].as<std::string>(), "web.no-bots");
  EXPECT_TRUE(rules[1]["dry_run"].as<bool>());
  EXPECT_EQ(rules[1]["hosts"][0].as<std::string>(), "shop.example.com") << "scoped as ever";
}

TEST_F(DryRunTeamsTest, ATeamsSectionDryRunPutsEachOfItsRulesInDryRunAndNoOneElses) {
  Write("teams/ops/edge.yaml",
        "direct_responses:\n  dry_run: true\n  rules:\n"
        "    - name: staff-only\n      when: {not: {header: {name: x-staff, exact: \"yes\"}}}\n"
        "      respond: {status: 403}\n"
        "    - name: no-debug\n      when: {header: {name: x-debug, present: true}}\n"
        "      respond: {status: 400}\n");
  Write("teams/web/edge.yaml",
        "direct_responses:\n  rules:\n"
        "    - {name: no-bots, when: {header: {name: user-agent, prefix: bot}}, respond: "
        "{status: 403}}\n");
  const CommandResult r = Render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const YAML::Node rules = BrokerRules();
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["name"].as<std::string>(), "ops.staff-only");
  EXPECT_TRUE(rules[0]["dry_run"].as<bool>());
  EXPECT_EQ(rules[1]["name"].as<std::string>(), "ops.no-debug");
  EXPECT_TRUE(rules[1]["dry_run"].as<bool>());
  EXPECT_EQ(rules[2]["name"].as<std::string>(), "web.no-bots");
  EXPECT_FALSE(rules[2]["dry_run"]) << "another team's rule is enforced";
  EXPECT_FALSE(
      YAML::Load(ReadFileToString(dir_ + "/out/broker.yaml"))["direct_responses"]["dry_run"])
      << "the team's section is not the platform's";
}

TEST_F(DryRunTeamsTest, EngineRoutesRefusesATeamsDryRunInTheTeamsFile) {
  Write("platform.yaml", Platform("direct_responses: {engine: routes}\n"));
  const CommandResult r = Render();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("teams/web/edge.yaml:8:7: direct_responses.rules[0].dry_run: dry "
                               "run needs engine: broker (VirtualService routes and Wasm always "
                               "answer) (team web)"));
}

TEST_F(DryRunTeamsTest, APlatformRuleInDryRunDoesNotHideTheTeamsRulesAfterIt) {
  // Enforced, a maintenance rule answering everything hides ops' rule (an error naming
  // it, teams_test.cc); in dry run it is only counted.
  Write("platform.yaml",
        Platform("direct_responses:\n  rules:\n"
                 "    - {name: maintenance, dry_run: true, respond: {status: 503}}\n"));
  const CommandResult r = Render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const YAML::Node rules = BrokerRules();
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0]["name"].as<std::string>(), "maintenance");
  EXPECT_TRUE(rules[0]["dry_run"].as<bool>());
  // explain: counted, then ops' rule answers.
  const CommandResult e = RunCommand({EDGEKIT_CLI_BINARY, "explain", "-f", "platform.yaml",
                                      "--host", "grafana.internal.example.com", "--path", "/"},
                                     "/dev/null", dir_);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_THAT(e.out, HasSubstr("3. broker: rule \"maintenance\" matches (dry run: counted, not "
                               "answered)\n"));
  EXPECT_THAT(e.out, HasSubstr("4. broker: rule \"ops.staff-only\" answers 403 \"staff only\"\n"));
  EXPECT_THAT(e.out,
              HasSubstr("=> answered 403 by the broker (rule ops.staff-only); dry run "
                        "matched \"maintenance\" (counted, not answered); ext_authz called"));
}

TEST_F(DryRunTeamsTest, ExplainJsonNamesTheDryRunRuleAndItsTeam) {
  const CommandResult r = RunCommand(
      {EDGEKIT_CLI_BINARY, "explain", "-f", "platform.yaml", "--host", "shop.example.com", "--path",
       "/catalog/x", "-H", "user-agent: botnet/1.0", "-o", "json"},
      "/dev/null", dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &json).ok()) << r.out;
  const auto& outcome = json.fields().at("outcome").struct_value().fields();
  EXPECT_TRUE(outcome.at("direct").has_null_value()) << "counted, not answered";
  EXPECT_EQ(outcome.at("route").struct_value().fields().at("name").string_value(), "web.catalog");
  const auto& dry_run = outcome.at("dry_run").list_value();
  ASSERT_EQ(dry_run.values_size(), 1);
  const auto& match = dry_run.values(0).struct_value().fields();
  EXPECT_EQ(match.at("engine").string_value(), "broker");
  EXPECT_EQ(match.at("rule").string_value(), "web.no-bots");
  EXPECT_EQ(match.at("team").string_value(), "web");
  // A request no dry-run rule matches has an empty list, not a missing key.
  const CommandResult plain =
      RunCommand({EDGEKIT_CLI_BINARY, "explain", "-f", "platform.yaml", "--host",
                  "shop.example.com", "--path", "/catalog/x", "-o", "json"},
                 "/dev/null", dir_);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(plain.out, &json).ok()) << plain.out;
  EXPECT_EQ(
      json.fields().at("outcome").struct_value().fields().at("dry_run").list_value().values_size(),
      0);
}

TEST_F(DryRunTeamsTest, ExpectDryRunNamesATeamsRuleAsExplainDoes) {
  Write("cases.yaml",
        "- name: a bot is counted by web's rule\n"
        "  request: {host: shop.example.com, path: /catalog/x, headers: {user-agent: bot/1}}\n"
        "  expect: {dry_run: [web.no-bots], route: {destination: catalog.web.svc.cluster.local}}\n"
        "- name: without the team's prefix\n"
        "  request: {host: shop.example.com, path: /catalog/x, headers: {user-agent: bot/1}}\n"
        "  expect: {dry_run: [no-bots]}\n");
  const CommandResult t = RunCommand(
      {EDGEKIT_CLI_BINARY, "test", "-f", "platform.yaml", "cases.yaml"}, "/dev/null", dir_);
  EXPECT_EQ(t.exit_code, 1) << t.out << t.err;
  EXPECT_THAT(t.out, HasSubstr("PASS  cases.yaml:1: a bot is counted by web's rule"));
  EXPECT_THAT(t.out, HasSubstr("FAIL  cases.yaml:4: without the team's prefix\n"
                               "      dry_run: expected dry run match \"no-bots\", got dry-run "
                               "matches: \"web.no-bots\" (the broker has no rule \"no-bots\"; "
                               "rules in dry run: \"web.no-bots\")\n"));
}

// ---- explain and test on one edge.yaml ----

TEST(DryRunExplainTest, ADryRunMatchIsCountedAndTheWalkGoesOn) {
  std::string path;
  const Rendered r = Render(Edge("", "dry_run: true, ", kExtAuthz + std::string(kRoutes)), &path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The dry-run rule holds, then the third rule answers.
  CommandResult e =
      RunEdgekit({"explain", "-f", path, "--host", "shop.example.com", "-H", "x-api-key: k", "-H",
                  "user-agent: bot/2", "-H", "x-admin: 1", "--client-ip", "192.0.2.1"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  ExpectMatchesGolden(e.out, "direct_response/dry_run_explain.golden.txt");
  // The dry-run rule holds and no other: auth, then the routes.
  e = RunEdgekit({"explain", "-f", path, "--host", "shop.example.com", "-H", "x-api-key: k", "-H",
                  "user-agent: bot/2"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_THAT(e.out, HasSubstr("broker: rule \"no-bots\" matches (dry run: counted, not "
                               "answered)\n     edgekit_broker_direct_responses_total{rule="
                               "\"no-bots\", mode=\"dry_run\"} counts it; the rules after it "
                               "are tried\n"));
  EXPECT_THAT(e.out, HasSubstr("broker: no other rule holds; forwarded to the auth service"));
  EXPECT_THAT(e.out, HasSubstr("route: route \"default\" -> shop.default.svc.cluster.local:8080"));
  EXPECT_THAT(e.out, Not(HasSubstr("answered 403")));
  // Enforced rules before it still answer first: no dry-run step then.
  e = RunEdgekit({"explain", "-f", path, "--host", "shop.example.com", "-H", "user-agent: bot/2"});
  EXPECT_THAT(e.out, HasSubstr("broker: rule \"need-key\" answers 401"));
  EXPECT_THAT(e.out, Not(HasSubstr("dry run")));
}

TEST(DryRunExplainTest, WithTheSectionInDryRunNothingIsAnsweredAndEveryMatchIsListed) {
  std::string path;
  const Rendered r = Render(Edge("  dry_run: true\n", "", kExtAuthz + std::string(kRoutes)), &path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const CommandResult e = RunEdgekit({"explain", "-f", path, "--host", "shop.example.com", "-H",
                                      "user-agent: bot/2", "-H", "x-admin: 1"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_THAT(e.out, HasSubstr("3. broker: rule \"need-key\" matches (dry run"));
  EXPECT_THAT(e.out, HasSubstr("4. broker: rule \"no-bots\" matches (dry run"));
  EXPECT_THAT(e.out, HasSubstr("5. broker: rule \"admin\" matches (dry run"));
  EXPECT_THAT(e.out, HasSubstr("=> routed to shop.default.svc.cluster.local:8080 by default; dry "
                               "run matched \"need-key\", \"no-bots\", \"admin\" (counted, not "
                               "answered); ext_authz called"));
}

TEST(DryRunExplainTest, TestNeverTakesADryRunMatchForAnAnswer) {
  std::string path;
  const Rendered r = Render(Edge("", "dry_run: true, ", kExtAuthz + std::string(kRoutes)), &path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cases = MakeTempDir() + "/cases.yaml";
  WriteStringToFile(cases,
                    "- name: a bot is only counted\n"
                    "  request: {host: shop.example.com, headers: {x-api-key: k, user-agent: "
                    "bot/2}}\n"
                    "  expect: {route: {destination: shop.default.svc.cluster.local:8080}}\n"
                    "- name: wrongly expects the dry-run rule to answer\n"
                    "  request: {host: shop.example.com, headers: {x-api-key: k, user-agent: "
                    "bot/2}}\n"
                    "  expect: {direct: {status: 403}}\n");
  const CommandResult t = RunEdgekit({"test", "-f", path, cases});
  EXPECT_EQ(t.exit_code, 1) << t.out << t.err;
  EXPECT_THAT(t.out, HasSubstr("PASS  " + cases + ":1: a bot is only counted"));
  EXPECT_THAT(t.out,
              HasSubstr("FAIL  " + cases + ":4: wrongly expects the dry-run rule to answer"));
  EXPECT_THAT(t.out, HasSubstr("direct: expected status 403, got routed to "
                               "shop.default.svc.cluster.local by \"default\"; rule \"no-bots\" "
                               "matched in dry run (counted, not answered)"));
  EXPECT_THAT(t.out, HasSubstr("2 cases, 1 failed"));
}

TEST(DryRunExplainTest, ExpectDryRunPassesOnAMatchAndOtherwiseSaysWhatMatched) {
  std::string path;
  const Rendered r = Render(Edge("", "dry_run: true, ", kExtAuthz + std::string(kRoutes)), &path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cases = MakeTempDir() + "/cases.yaml";
  const std::string bot =
      "  request: {host: shop.example.com, headers: {x-api-key: k, user-agent: "
      "bot/2}}\n";
  const std::string human = "  request: {host: shop.example.com, headers: {x-api-key: k}}\n";
  WriteStringToFile(cases, "- name: a bot is counted\n" + bot +
                               "  expect: {dry_run: [no-bots]}\n"
                               "- name: counted and then routed\n" +
                               bot +
                               "  expect:\n"
                               "    dry_run: [no-bots]\n"
                               "    route: {destination: shop.default.svc.cluster.local:8080}\n"
                               "- name: a human is not counted\n" +
                               human +
                               "  expect: {dry_run: [no-bots]}\n"
                               "- name: no such rule\n" +
                               bot +
                               "  expect: {dry_run: [no-bot]}\n"
                               "- name: an enforced rule is never a dry-run match\n"
                               "  request: {host: shop.example.com}\n"
                               "  expect: {dry_run: [need-key]}\n");
  const CommandResult t = RunEdgekit({"test", "-f", path, cases});
  EXPECT_EQ(t.exit_code, 1) << t.out << t.err;
  EXPECT_THAT(t.out, HasSubstr("PASS  " + cases + ":1: a bot is counted\n"));
  EXPECT_THAT(t.out, HasSubstr("PASS  " + cases + ":4: counted and then routed\n"));
  EXPECT_THAT(t.out, HasSubstr("FAIL  " + cases +
                               ":9: a human is not counted\n"
                               "      dry_run: expected dry run match \"no-bots\", got dry-run "
                               "matches: none\n"
                               "      explain:\n"));
  EXPECT_THAT(t.out, HasSubstr("FAIL  " + cases +
                               ":12: no such rule\n"
                               "      dry_run: expected dry run match \"no-bot\", got dry-run "
                               "matches: \"no-bots\" (the broker has no rule \"no-bot\"; rules "
                               "in dry run: \"no-bots\")\n"));
  EXPECT_THAT(t.out, HasSubstr("FAIL  " + cases +
                               ":15: an enforced rule is never a dry-run match\n"
                               "      dry_run: expected dry run match \"need-key\", got dry-run "
                               "matches: none (the rule is not in dry run: it answers)\n"));
  EXPECT_THAT(t.out, HasSubstr("5 cases, 3 failed"));

  // Without broker rules at all, the mismatch says so.
  std::string no_rules;
  ASSERT_EQ(
      Render(kExtAuthz + std::string(kRoutes) + "gateway: {hosts: [shop.example.com]}\n", &no_rules)
          .exit_code,
      0);
  const CommandResult none = RunEdgekit({"test", "-f", no_rules, cases});
  EXPECT_THAT(none.out, HasSubstr("dry_run: expected dry run match \"no-bots\", got dry-run "
                                  "matches: none (the rendered config has no broker rules)\n"));
}

TEST(DryRunExplainTest, AnEmptyOrBlankExpectDryRunIsAnInvalidCaseFile) {
  std::string path;
  ASSERT_EQ(Render(Edge("", "dry_run: true, ", kExtAuthz + std::string(kRoutes)), &path).exit_code,
            0);
  const std::string cases = MakeTempDir() + "/cases.yaml";
  WriteStringToFile(cases,
                    "- name: a\n  request: {host: shop.example.com}\n  expect: {dry_run: []}\n");
  CommandResult t = RunEdgekit({"test", "-f", path, cases});
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_THAT(t.err, HasSubstr("[0].expect: give at least one of direct, route, grpc_method, "
                               "auth, gzip, dry_run"));
  WriteStringToFile(cases,
                    "- name: a\n  request: {host: shop.example.com}\n  expect: {dry_run: [no-bots, "
                    "\"\"]}\n");
  t = RunEdgekit({"test", "-f", path, cases});
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_THAT(t.err, HasSubstr(":3:31: [0].expect.dry_run[1]: empty (a rule's name as explain "
                               "gives it, \"<team>.<name>\" for a team's)"));
  EXPECT_THAT(t.out, Not(HasSubstr("PASS")));
}

}  // namespace
}  // namespace edgekit::cli
