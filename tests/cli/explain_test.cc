// `edgekit explain` and `edgekit test` from outside (the built binary): every example's
// case file passes and every kind of mutated expectation fails with expected-vs-actual;
// each stage of the walk shows in the trace; bad case files and flags get file:line
// errors and the documented exit codes; a team's cases run from platform.yaml.
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "edgekit/cases/v1/cases.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::testing {
namespace {

const std::string kExamples = EDGEKIT_SOURCE_DIR "/examples";

struct ExampleCases {
  std::string config;
  std::vector<std::string> cases;  // empty: the platform's teams[].cases
};

const std::vector<ExampleCases>& Examples() {
  static const std::vector<ExampleCases> all = {
      {kExamples + "/edge/edge.yaml", {kExamples + "/edge/cases.yaml"}},
      {kExamples + "/helloworld/edge.yaml", {kExamples + "/helloworld/cases.yaml"}},
      {kExamples + "/broker-rules/edge.yaml", {kExamples + "/broker-rules/cases.yaml"}},
      {kExamples + "/multi-team/platform.yaml", {}},
      {kExamples + "/multi-team-gateway-api/platform.yaml", {}},
  };
  return all;
}

std::vector<std::string> TestArgs(const ExampleCases& e, const std::vector<std::string>& cases) {
  std::vector<std::string> args = {"test", "-f", e.config};
  args.insert(args.end(), cases.begin(), cases.end());
  return args;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(ExplainTest, EveryExampleCaseFilePasses) {
  for (const ExampleCases& e : Examples()) {
    CommandResult r = RunEdgekit(TestArgs(e, e.cases));
    EXPECT_EQ(r.exit_code, 0) << e.config << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find(" cases, 0 failed"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  }
}

// The case files of an example: the listed ones, or the teams' from platform.yaml.
std::vector<std::string> CaseFilesOf(const ExampleCases& e) {
  if (!e.cases.empty()) return e.cases;
  std::vector<std::string> out;
  const std::string dir = e.config.substr(0, e.config.rfind('/'));
  for (const auto& team : YAML::LoadFile(e.config)["teams"]) {
    for (const auto& c : team["cases"]) out.push_back(dir + "/" + c.as<std::string>());
  }
  return out;
}

// Each mutation changes one expectation of a case so that it can no longer hold; a case
// without that expectation gets one that contradicts what it expects.
void Mutate(YAML::Node expect, const std::string& kind) {
  if (kind == "direct.status" && expect["direct"]) {
    expect["direct"]["status"] = expect["direct"]["status"].as<int>() + 1;
  } else if (kind == "route.destination" && expect["route"]) {
    expect["route"]["destination"] = "nowhere.invalid:1";
  } else if (kind == "grpc_method" && expect["grpc_method"]) {
    expect["grpc_method"] = "wrong.Service/Method";
  } else if (kind == "auth" && expect["auth"]) {
    expect["auth"] = expect["auth"].as<std::string>() == "called" ? "excluded" : "called";
  } else if (kind == "gzip" && expect["gzip"]) {
    expect["gzip"] = !expect["gzip"].as<bool>();
  } else if (kind == "dry_run" && expect["dry_run"]) {
    expect["dry_run"].push_back("never.in-dry-run");  // the listed ones still match
  } else if (expect["direct"]) {  // the case does not expect `kind`: break what it has
    expect["direct"]["status"] = 599;
  } else if (expect["route"]) {
    expect["route"]["destination"] = "nowhere.invalid:1";
  } else {
    expect["grpc_method"] = "never.Called/Method";
  }
}

TEST(ExplainTest, EveryMutatedExpectationFailsWithExpectedAndActual) {
  const std::string dir = MakeTempDir();
  int file_no = 0;
  for (const ExampleCases& e : Examples()) {
    for (const std::string& file : CaseFilesOf(e)) {
      for (const std::string kind :
           {"direct.status", "route.destination", "grpc_method", "auth", "gzip", "dry_run"}) {
        YAML::Node cases = YAML::LoadFile(file);
        const size_t n = cases.size();
        for (auto c : cases) Mutate(c["expect"], kind);
        YAML::Emitter emitter;
        emitter << cases;
        const std::string mutated = dir + "/mutated" + std::to_string(file_no++) + ".yaml";
        WriteStringToFile(mutated, emitter.c_str());
        CommandResult r = RunEdgekit({"test", "-f", e.config, mutated});
        EXPECT_EQ(r.exit_code, 1) << file << " " << kind << "\n" << r.out << r.err;
        // A platform runs its teams' cases too: only the mutated file's must all fail.
        EXPECT_EQ(Count(r.out, "FAIL  " + mutated), n) << file << " " << kind << "\n" << r.out;
        EXPECT_GE(Count(r.out, ": expected "), n) << r.out;
        EXPECT_GE(Count(r.out, "      explain:\n"), n) << r.out;
      }
    }
  }
}

TEST(ExplainTest, TheTraceShowsEachStageInEnvoysOrder) {
  CommandResult r = RunEdgekit({"explain", "-f", kExamples + "/helloworld/edge.yaml", "--host",
                                "hello.example.com", "-X", "POST", "--path", "/say?name=x", "-H",
                                "x-foo: 1", "-H", "x-bar: 1", "-H", "Accept-Encoding: gzip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> in_order = {
      "1. request: POST /say?name=x (host hello.example.com)",
      "2. ext_authz: called (AuthorizationPolicy edgekit-ext-authz)",
      "3. broker: no rules; forwarded to the auth service",
      "4. transcoder: binding POST /say -> gRPC helloworld.Greeter/SayHello",
      "5. route: route \"grpc-helloworld-greeter\" -> greeter.default.svc.cluster.local:50051 "
      "(POST /helloworld.Greeter/SayHello)",
      "6. gzip: yes, for a response of type application/json, text/plain, text/html of at "
      "least 1024 bytes"};
  size_t at = 0;
  for (const std::string& line : in_order) {
    const size_t found = r.out.find(line, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << line << "\n" << r.out;
    at = found;
  }
}

TEST(ExplainTest, ExclusionsNameTheirSource) {
  const std::string edge = kExamples + "/edge/edge.yaml";
  CommandResult by_path = RunEdgekit({"explain", "-f", edge, "--host", "api.example.com", "--path",
                                      "/public/a?b=c", "--client-ip", "192.0.2.1"});
  EXPECT_NE(by_path.out.find("excluded: the path matches notPaths \"/public/*\" "
                             "(ext_authz.excluded_paths)"),
            std::string::npos)
      << by_path.out;
  CommandResult by_peer = RunEdgekit({"explain", "-f", edge, "--host", "api.example.com", "--path",
                                      "/v1", "--client-ip", "10.9.8.7", "--xff", "198.51.100.1"});
  EXPECT_NE(by_peer.out.find("excluded: the TCP peer 10.9.8.7 is in notIpBlocks \"10.0.0.0/8\""),
            std::string::npos)
      << by_peer.out;
  // x-forwarded-for is not the TCP peer: a client claiming 10.x is still sent to ext_authz.
  CommandResult spoofed = RunEdgekit({"explain", "-f", edge, "--host", "api.example.com", "--path",
                                      "/v1", "--client-ip", "192.0.2.1", "--xff", "10.0.0.1"});
  EXPECT_NE(spoofed.out.find("ext_authz: called"), std::string::npos) << spoofed.out;
}

TEST(ExplainTest, RequestNotesAndTheConnectionManagersRefusals) {
  const std::string edge = kExamples + "/broker-rules/edge.yaml";  // 2 trusted proxies
  auto explain = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"explain",          "-f",          edge,      "--host",
                                     "shop.example.com", "--client-ip", "10.0.0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunEdgekit(args).out;
  };
  const std::string fragment = explain({"--path", "/a#b"});
  EXPECT_NE(fragment.find("1. request: 400: the path has a fragment ('#')"), std::string::npos)
      << fragment;
  EXPECT_NE(fragment.find("=> answered 400 by the gateway itself; ext_authz not reached"),
            std::string::npos)
      << fragment;
  EXPECT_EQ(fragment.find("2. ext_authz"), std::string::npos) << "no filter runs";
  EXPECT_NE(explain({"-X", "get"}).find("method \"get\" is not uppercase"), std::string::npos);
  EXPECT_NE(explain({"--xff", "garbage, 10.0.0.9"})
                .find("x-forwarded-for entry \"garbage\" (2 from the right) is not an IP "
                      "address: the client address is the TCP peer"),
            std::string::npos);
  EXPECT_NE(explain({"--xff", "203.0.113.7"}).find("has 1 entry, fewer than the 2 trusted"),
            std::string::npos);
  EXPECT_NE(explain({}).find("no x-forwarded-for was received"), std::string::npos);
  // Without the TCP peer, the client still comes from x-forwarded-for past the hops.
  const std::string no_peer = RunEdgekit({"explain", "-f", edge, "--host", "shop.example.com",
                                          "--xff", "203.0.113.7, 10.0.0.9"})
                                  .out;
  EXPECT_NE(no_peer.find("TCP peer not given (--client-ip): excluded_cidrs do not hold; client "
                         "address for rules 203.0.113.7 from x-forwarded-for (2 trusted proxies)"),
            std::string::npos)
      << no_peer;
  EXPECT_NE(no_peer.find("rule \"blocklist\" answers 403"), std::string::npos) << no_peer;
  // An edge that renders no routes ends on the routes explain cannot see.
  const std::string unrouted = RunEdgekit({"explain", "-f", kExamples + "/edge/edge.yaml", "--host",
                                           "api.example.com", "--client-ip", "192.0.2.1"})
                                   .out;
  EXPECT_NE(unrouted.find("=> on to routes edgekit did not render (explain cannot see them); "
                          "ext_authz called"),
            std::string::npos)
      << unrouted;
}

TEST(ExplainTest, JsonOutcomeForMachines) {
  CommandResult r = RunEdgekit({"explain", "-f", kExamples + "/multi-team/platform.yaml", "--host",
                                "api.example.com", "--path", "/v1/orders/7", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &json).ok()) << r.out;
  const auto& outcome = json.fields().at("outcome").struct_value().fields();
  EXPECT_EQ(outcome.at("auth").string_value(), "called");
  const auto& route = outcome.at("route").struct_value().fields();
  EXPECT_EQ(route.at("name").string_value(), "orders.read");
  EXPECT_EQ(route.at("team").string_value(), "orders");
  EXPECT_EQ(route.at("host").string_value(), "orders.orders.svc.cluster.local");
  EXPECT_EQ(route.at("port").number_value(), 8080);
  EXPECT_TRUE(outcome.at("direct").has_null_value());
  EXPECT_GE(json.fields().at("steps").list_value().values_size(), 5);
}

TEST(ExplainTest, BadCaseFilesAreRefusedWithFileAndLine) {
  const std::string dir = MakeTempDir();
  const std::string edge = kExamples + "/broker-rules/edge.yaml";
  struct Bad {
    std::string text;
    std::string message;
  };
  const std::vector<Bad> bad = {
      {"- name: a\n  request: {host: x, pth: /}\n  expect: {auth: called}\n",
       ":2:22: [0].request.pth: unknown key"},
      {"- name: a\n  request: {path: /}\n  expect: {auth: called}\n",
       ":2:12: [0].request.host: required"},
      {"- name: a\n  request: {host: x}\n", ":1:3: [0].expect: give at least one of"},
      {"- name: a\n  request: {host: x}\n  expect: {auth: called}\n"
       "- name: a\n  request: {host: x}\n  expect: {auth: called}\n",
       ":4:9: [1].name: \"a\" is used twice"},
      {"- name: a\n  request: {host: x}\n  expect: {auth: maybe}\n",
       ":3:18: [0].expect.auth: unknown value \"maybe\""},
      {"- name: a\n  request: {host: x}\n  expect: {route: {name: r}}\n",
       "[0].expect.route.destination: required"},
      {"- name: a\n  request: {host: x}\n  expect: {direct: {status: 403}, route: "
       "{destination: d}}\n",
       "[0].expect: direct and route exclude each other"},
      {"name: a\n", "a case file is one YAML list"},
      {"- name: a\n  request: {host: x}\n  expect: {auth: called\n", ":4:1: invalid YAML"},
  };
  int i = 0;
  for (const Bad& b : bad) {
    const std::string file = dir + "/bad" + std::to_string(i++) + ".yaml";
    WriteStringToFile(file, b.text);
    CommandResult r = RunEdgekit({"test", "-f", edge, file});
    EXPECT_EQ(r.exit_code, 1) << b.text;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(b.message), std::string::npos) << "want " << b.message << "\n" << r.err;
    EXPECT_EQ(r.out.find("PASS"), std::string::npos) << "no case runs when a file is bad";
  }
}

TEST(ExplainTest, ExitCodesAndUsage) {
  const std::string edge = kExamples + "/broker-rules/edge.yaml";
  EXPECT_EQ(RunEdgekit({"test", "-f", edge}).exit_code, 2);  // no case files
  EXPECT_EQ(RunEdgekit({"test", "-f", edge, "/nonexistent/cases.yaml"}).exit_code, 3);
  EXPECT_EQ(RunEdgekit({"explain", "-f", edge, "--path", "/"}).exit_code, 2);  // no --host
  CommandResult bad_header =
      RunEdgekit({"explain", "-f", edge, "--host", "shop.example.com", "-H", "no-colon"});
  EXPECT_EQ(bad_header.exit_code, 2);
  EXPECT_NE(bad_header.err.find("-H \"no-colon\": expected \"name: value\""), std::string::npos)
      << bad_header.err;
  CommandResult bad_ip =
      RunEdgekit({"explain", "-f", edge, "--host", "shop.example.com", "--client-ip", "1.2.3"});
  EXPECT_EQ(bad_ip.exit_code, 1);
  EXPECT_NE(bad_ip.err.find("client_ip \"1.2.3\" is not an IP address"), std::string::npos)
      << bad_ip.err;
  CommandResult help = RunEdgekit({"test", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("expect:"), std::string::npos) << "--help shows the case schema";
  // The schema in --help is hand-written: it must name every field of cases.proto's
  // Expectation.
  const google::protobuf::Descriptor* expect = cases::v1::Expectation::descriptor();
  for (int i = 0; i < expect->field_count(); ++i) {
    const std::string field = "      " + std::string(expect->field(i)->name()) + ":";
    EXPECT_NE(help.out.find(field), std::string::npos) << field << "\n" << help.out;
  }
}

TEST(ExplainTest, JUnitReportNamesFailuresWithTheirTrace) {
  const std::string dir = MakeTempDir();
  const std::string cases = dir + "/cases.yaml";
  WriteStringToFile(cases,
                    "- name: holds\n  request: {host: shop.example.com, client_ip: 10.0.0.1}\n"
                    "  expect: {auth: called}\n"
                    "- name: \"<broken> & wrong\"\n  request: {host: shop.example.com}\n"
                    "  expect: {direct: {status: 418}}\n");
  const std::string report = dir + "/junit.xml";
  CommandResult r =
      RunEdgekit({"test", "-f", kExamples + "/broker-rules/edge.yaml", cases, "--junit", report});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string xml = ReadFileToString(report);
  EXPECT_NE(xml.find("<testsuites name=\"edgekit test\" tests=\"2\" failures=\"1\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"" + cases + "\" name=\"holds\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"&lt;broken&gt; &amp; wrong\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"direct.status: expected 418, got 400 from the broker"),
            std::string::npos)
      << xml;
}

TEST(ExplainTest, ATeamChangeThatBreaksATeamsCaseFailsThePlatformsRun) {
  const std::string dir = MakeTempDir();
  ASSERT_EQ(
      std::system(("cp -r " + ShellQuote(kExamples + "/multi-team") + " " + ShellQuote(dir + "/mt"))
                      .c_str()),
      0);
  // The orders team points its reads at another service.
  const std::string orders = dir + "/mt/teams/orders/edge.yaml";
  std::string text = ReadFileToString(orders);
  const std::string from = "host: orders.orders.svc.cluster.local";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "host: orders-v2.orders.svc.cluster.local");
  WriteStringToFile(orders, text);
  CommandResult r = RunEdgekit({"test", "-f", dir + "/mt/platform.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAIL  " + dir + "/mt/teams/orders/cases.yaml:3: reads go to the reader"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("route.destination: expected \"orders.orders.svc.cluster.local:8080\", "
                       "got \"orders-v2.orders.svc.cluster.local:8080\""),
            std::string::npos)
      << r.out;
  // A team case file that does not exist stops the run (it is not skipped).
  std::string platform = ReadFileToString(dir + "/mt/platform.yaml");
  platform.replace(platform.find("teams/ops/cases.yaml"), 20, "teams/ops/missing.yaml");
  WriteStringToFile(dir + "/mt/platform.yaml", platform);
  CommandResult missing = RunEdgekit({"test", "-f", dir + "/mt/platform.yaml"});
  EXPECT_EQ(missing.exit_code, 3) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("platform.yaml: teams[name=ops].cases: "), std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("teams/ops/missing.yaml"), std::string::npos) << missing.err;
}

TEST(ExplainTest, TranscoderQueryPolicyGrpcPassThroughAndWasmRules) {
  const std::string dir = MakeTempDir();
  ASSERT_EQ(std::system(("cp " + ShellQuote(kExamples + "/helloworld/greeter.proto") + " " +
                         ShellQuote(dir))
                            .c_str()),
            0);
  auto edge = [&](const std::string& policy) {
    WriteStringToFile(dir + "/edge.yaml",
                      "gateway: {hosts: [hello.example.com]}\n"
                      "transcoding:\n  proto_files: [greeter.proto]\n"
                      "  destination: {host: greeter.default.svc.cluster.local, port: 50051}\n"
                      "  unknown_query_parameters: " +
                          policy + "\n");
    return dir + "/edge.yaml";
  };
  auto explain = [&](const std::string& file, std::vector<std::string> extra) {
    std::vector<std::string> args = {"explain",           "-f", file,  "--host",
                                     "hello.example.com", "-X", "POST"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunEdgekit(args).out;
  };
  // A field of the request binds; another name is refused (REJECT), ignored (IGNORE).
  EXPECT_NE(explain(edge("REJECT"), {"--path", "/say?name=x"}).find("-> gRPC helloworld"),
            std::string::npos);
  const std::string rejected = explain(edge("REJECT"), {"--path", "/say?bogus=1"});
  EXPECT_NE(rejected.find("rejected with 400: query parameter \"bogus\" names no field"),
            std::string::npos)
      << rejected;
  EXPECT_NE(rejected.find("=> answered 400 by the gateway itself"), std::string::npos);
  EXPECT_NE(explain(edge("IGNORE"), {"--path", "/say?bogus=1"}).find("-> gRPC helloworld"),
            std::string::npos);
  // gRPC requests are not transcoded; application/grpc-web is not gRPC to the filter.
  const std::string grpc =
      explain(edge("IGNORE"), {"--path", "/say", "-H", "content-type: application/grpc"});
  EXPECT_NE(grpc.find("passed through: already a gRPC request"), std::string::npos) << grpc;
  EXPECT_NE(grpc.find("404: no route of edgekit-routes matches (POST /say)"), std::string::npos);
  EXPECT_NE(explain(edge("IGNORE"), {"--path", "/say", "-H", "content-type: application/grpc-web"})
                .find("-> gRPC helloworld"),
            std::string::npos);

  // Rules routes cannot express go to the Wasm plugin, which runs before the routes.
  const std::string wasm = EDGEKIT_SOURCE_DIR "/tests/cli/testdata/direct_response/wasm.yaml";
  CommandResult by_wasm =
      RunEdgekit({"explain", "-f", wasm, "--host", "x.example.com", "-H", "x-tenant: a"});
  EXPECT_NE(by_wasm.out.find("wasm: rule \"tenant-mismatch\" answers 403"), std::string::npos)
      << by_wasm.out;
  CommandResult by_route = RunEdgekit({"explain", "-f", wasm, "--host", "x.example.com", "--path",
                                       "/coffee", "-H", "x-tenant: a", "-H", "x-token-tenant: a"});
  EXPECT_NE(by_route.out.find("wasm: no rule holds"), std::string::npos) << by_route.out;
  EXPECT_NE(by_route.out.find("route \"direct-teapot\" answers 418"), std::string::npos);
}

}  // namespace
}  // namespace edgekit::cli::testing
