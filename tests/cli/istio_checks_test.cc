// Tests of the semantic checks `edgekit validate` runs after the CRD schemas
// (cli/validate/istio_checks.h): each check fires on the mistake it is for, with the key path,
// and stays quiet on the valid form; plus one end-to-end run of `edgekit validate`.
#include "cli/validate/istio_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

ValidationResult Check(const std::string& yaml) {
  ValidationResult result;
  CheckIstioSemantics(YAML::Load(yaml), 0, &result);
  return result;
}

std::string VirtualService(const std::string& http) {
  return absl::StrCat(
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
      "metadata: {name: vs}\nspec:\n  hosts: [a.example.com]\n  http:\n",
      http);
}

// "path: message" of every finding, errors and warnings alike.
std::vector<std::string> Messages(const ValidationResult& result) {
  std::vector<std::string> out;
  for (const Finding& f : result.findings) {
    out.push_back(absl::StrCat(f.severity == Finding::Severity::kError ? "error " : "warning ",
                               f.path, ": ", f.message));
  }
  return out;
}

bool HasFinding(const ValidationResult& result, const std::string& text) {
  for (const std::string& m : Messages(result)) {
    if (m.find(text) != std::string::npos) return true;
  }
  return false;
}

const char kGoodRoutes[] =
    "  - match:\n"
    "      - headers: {x-foo: {exact: \"1\"}}\n"
    "        uri: {regex: \"/v[0-9]+/.*\"}\n"
    "    directResponse: {status: 400, body: {string: nope}}\n"
    "  - route: [{destination: {host: web}}]\n";

TEST(IstioChecksTest, ValidVirtualServiceHasNoFindings) {
  EXPECT_TRUE(Check(VirtualService(kGoodRoutes)).findings.empty())
      << ::testing::PrintToString(Messages(Check(VirtualService(kGoodRoutes))));
}

TEST(IstioChecksTest, UppercaseHeaderNameNeverMatches) {
  auto result =
      Check(VirtualService("  - match: [{headers: {X-Foo: {exact: \"1\"}}}]\n"
                           "    route: [{destination: {host: web}}]\n"));
  // Istio's webhook takes it, so a warning: the route is applied and never matches.
  EXPECT_TRUE(HasFinding(result,
                         "warning spec.http[0].match[0].headers.X-Foo: header names must "
                         "be lowercase"))
      << ::testing::PrintToString(Messages(result));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].line, 7);  // points at the header name
  EXPECT_EQ(result.findings[0].column, 24);
}

TEST(IstioChecksTest, InvalidHeaderNameAndBadRegex) {
  auto result = Check(
      VirtualService("  - match: [{withoutHeaders: {\"x foo\": {}}, method: {regex: \"(GET\"}}]\n"
                     "    route: [{destination: {host: web}}]\n"));
  EXPECT_TRUE(HasFinding(result,
                         "spec.http[0].match[0].withoutHeaders[\"x foo\"]: \"x foo\" is "
                         "not a valid header name"));
  EXPECT_TRUE(HasFinding(result,
                         "spec.http[0].match[0].method.regex: \"(GET\" is not an RE2 "
                         "regular expression: missing )"))
      << ::testing::PrintToString(Messages(result));
}

TEST(IstioChecksTest, RegexThatOnlyPcreTakesIsRejected) {
  // Lookahead is PCRE, not RE2: Envoy would refuse the route at run time.
  auto result =
      Check(VirtualService("  - match: [{uri: {regex: \"/(?!admin).*\"}}]\n"
                           "    route: [{destination: {host: web}}]\n"));
  EXPECT_TRUE(HasFinding(result, "spec.http[0].match[0].uri.regex"))
      << ::testing::PrintToString(Messages(result));
}

TEST(IstioChecksTest, DirectResponseStatusBodyAndExclusiveActions) {
  auto result =
      Check(VirtualService("  - match: [{uri: {prefix: /a}}]\n"
                           "    directResponse: {status: 99}\n"
                           "    route: [{destination: {host: web}}]\n"));
  EXPECT_TRUE(HasFinding(result,
                         "spec.http[0].directResponse.status: status must be in "
                         "[200, 599], got 99"));
  EXPECT_TRUE(HasFinding(result,
                         "spec.http[0].route: a route with directResponse cannot also "
                         "have route, redirect, rewrite or delegate"))
      << ::testing::PrintToString(Messages(result));

  const std::string big(150 * 1024, 'x');
  auto warned = Check(VirtualService(
      absl::StrCat("  - directResponse: {status: 200, body: {string: ", big, "}}\n")));
  EXPECT_TRUE(HasFinding(warned,
                         "warning spec.http[0].directResponse.body.string: body is 153600 "
                         "bytes"))
      << ::testing::PrintToString(Messages(warned));
  EXPECT_EQ(warned.error_count(), 0);

  const std::string huge(1024 * 1024 + 1, 'x');
  auto refused = Check(VirtualService(
      absl::StrCat("  - directResponse: {status: 200, body: {string: ", huge, "}}\n")));
  EXPECT_TRUE(HasFinding(refused,
                         "error spec.http[0].directResponse.body.string: body is "
                         "1048577 bytes; Istio refuses"));
}

TEST(IstioChecksTest, RoutesThatCanNeverMatch) {
  // After a route without match (or matching prefix "/") nothing else is reached.
  auto after_catch_all =
      Check(VirtualService("  - match: [{uri: {prefix: /}}]\n"
                           "    route: [{destination: {host: web}}]\n"
                           "  - match: [{uri: {prefix: /api}}]\n"
                           "    route: [{destination: {host: api}}]\n"));
  EXPECT_TRUE(HasFinding(after_catch_all,
                         "warning spec.http[1]: can never match: spec.http[0] "
                         "before it matches every request"))
      << ::testing::PrintToString(Messages(after_catch_all));

  // The same conditions written in another order (and named differently) are the same.
  auto repeated = Check(
      VirtualService("  - name: first\n"
                     "    match: [{name: a, uri: {prefix: /api}, headers: {x-a: {exact: \"1\"}}}]\n"
                     "    route: [{destination: {host: api}}]\n"
                     "  - name: second\n"
                     "    match: [{headers: {x-a: {exact: \"1\"}}, uri: {prefix: /api}, name: b}]\n"
                     "    directResponse: {status: 404}\n"));
  EXPECT_TRUE(HasFinding(repeated,
                         "warning spec.http[1]: can never match: every match block "
                         "repeats an earlier route's (spec.http[1].match[0] repeats "
                         "spec.http[0].match[0])"))
      << ::testing::PrintToString(Messages(repeated));

  // Only one of two blocks repeated: the route still matches something; a warning.
  auto partly =
      Check(VirtualService("  - match: [{uri: {prefix: /api}}]\n"
                           "    route: [{destination: {host: api}}]\n"
                           "  - match: [{uri: {prefix: /api}}, {uri: {prefix: /web}}]\n"
                           "    route: [{destination: {host: web}}]\n"));
  EXPECT_EQ(partly.error_count(), 0);
  EXPECT_TRUE(HasFinding(partly, "warning spec.http[1]: a match block never matches here"));
}

TEST(IstioChecksTest, AliasCyclesAndAliasBombsDoNotHang) {
  // An alias to an enclosing node makes the document a cycle; a chain of aliases makes
  // it exponentially large. Both must end quickly, without a crash.
  auto cycle =
      Check(VirtualService("  - match: &m [{headers: {x: {exact: \"1\"}}, queryParams: *m}]\n"
                           "    route: [{destination: {host: web}}]\n"
                           "  - match: [{headers: {x: {exact: \"1\"}}, queryParams: *m}]\n"
                           "    route: [{destination: {host: web}}]\n"));
  EXPECT_EQ(cycle.error_count(), 0) << ::testing::PrintToString(Messages(cycle));
  std::string bomb = "  - match:\n      - headers:\n          a0: &a0 {exact: \"1\"}\n";
  std::string chain = "*a0";
  for (int i = 1; i < 30; ++i) {
    absl::StrAppend(&bomb, "          a", i, ": &a", i, " [", chain, ", ", chain, "]\n");
    chain = absl::StrCat("*a", i);
  }
  absl::StrAppend(&bomb, "    route: [{destination: {host: web}}]\n");
  auto large = Check(VirtualService(bomb));
  EXPECT_EQ(large.error_count(), 0) << "no crash, no made-up findings";
}

TEST(IstioChecksTest, CustomAuthorizationPolicyFields) {
  const std::string header =
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
      "metadata: {name: p}\nspec:\n";
  auto ok = Check(header +
                  "  action: CUSTOM\n  provider: {name: edgekit-broker}\n"
                  "  rules: [{to: [{operation: {notPaths: [/healthz]}}], "
                  "from: [{source: {notIpBlocks: [10.0.0.0/8]}}]}]\n");
  EXPECT_TRUE(ok.findings.empty()) << ::testing::PrintToString(Messages(ok));

  auto bad = Check(header +
                   "  action: CUSTOM\n"
                   "  rules:\n"
                   "    - from: [{source: {principals: [\"cluster.local/ns/a/sa/b\"]}}]\n"
                   "      when: [{key: source.namespace, values: [a]}]\n");
  EXPECT_TRUE(HasFinding(bad, "error spec.provider.name: action CUSTOM needs provider.name"));
  EXPECT_TRUE(HasFinding(bad,
                         "error spec.rules[0].from[0].source.principals: principals cannot "
                         "be used in a CUSTOM rule"));
  EXPECT_TRUE(HasFinding(bad,
                         "error spec.rules[0].when[0].key: \"source.namespace\" cannot be "
                         "used in a CUSTOM rule"))
      << ::testing::PrintToString(Messages(bad));

  auto allow_with_provider = Check(header + "  action: ALLOW\n  provider: {name: x}\n");
  EXPECT_TRUE(HasFinding(allow_with_provider,
                         "error spec.provider: a provider is only used with action CUSTOM"));
  // ALLOW rules may use principals.
  auto allow = Check(header + "  rules: [{from: [{source: {principals: [a]}}]}]\n");
  EXPECT_TRUE(allow.findings.empty());
}

// Every node path in `node` ("" = the root), as keys and indices.
void CollectPaths(const YAML::Node& node, std::vector<std::vector<std::string>>* out,
                  std::vector<std::string>* path) {
  out->push_back(*path);
  if (node.IsMap()) {
    for (const auto& entry : node) {
      path->push_back(entry.first.Scalar());
      CollectPaths(entry.second, out, path);
      path->pop_back();
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      path->push_back(absl::StrCat("#", i));
      CollectPaths(node[i], out, path);
      path->pop_back();
    }
  }
}

// A copy of `root` with the node at `path` replaced by `replacement`.
YAML::Node Replaced(const YAML::Node& root, const std::vector<std::string>& path,
                    const YAML::Node& replacement) {
  if (path.empty()) return YAML::Clone(replacement);
  YAML::Node copy = YAML::Clone(root);
  YAML::Node at = copy;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    at.reset(path[i][0] == '#' ? at[std::stoul(path[i].substr(1))] : at[path[i]]);
  }
  const std::string& last = path.back();
  if (last[0] == '#') {
    at[std::stoul(last.substr(1))] = YAML::Clone(replacement);
  } else {
    at[last] = YAML::Clone(replacement);
  }
  return copy;
}

TEST(IstioChecksTest, AnyShapeAnywhereIsCheckedWithoutThrowing) {
  // The class of the `rules: [x]` abort (an uncaught YAML::BadSubscript): the checks
  // subscript nodes the CRD schema says are maps, but a document may have any shape.
  // Each node of a VirtualService and a CUSTOM AuthorizationPolicy that exercise every
  // check is replaced in turn by a scalar, a sequence, a map and a null.
  const std::vector<std::string> documents = {
      VirtualService("  - match: [{headers: {x-a: {regex: \"a.*\"}}, uri: {prefix: /},\n"
                     "             withoutHeaders: {x-b: {}}, queryParams: {q: {exact: v}}}]\n"
                     "    directResponse: {status: 403, body: {string: no}}\n"
                     "  - route: [{destination: {host: web}}]\n"),
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p}\n"
      "spec:\n  action: CUSTOM\n  provider: {name: edgekit-broker}\n"
      "  rules: [{from: [{source: {principals: [a], notIpBlocks: [10.0.0.0/8]}}],\n"
      "           to: [{operation: {notPaths: [/healthz]}}],\n"
      "           when: [{key: source.namespace, values: [a]}]}]\n"};
  const std::vector<YAML::Node> shapes = {YAML::Load("x"), YAML::Load("[x, [y]]"),
                                          YAML::Load("{x: y}"), YAML::Node()};
  int checked = 0;
  for (const std::string& text : documents) {
    const YAML::Node root = YAML::Load(text);
    std::vector<std::vector<std::string>> paths;
    std::vector<std::string> path;
    CollectPaths(root, &paths, &path);
    for (const auto& p : paths) {
      for (const YAML::Node& shape : shapes) {
        ValidationResult result;
        EXPECT_NO_THROW(CheckIstioSemantics(Replaced(root, p, shape), 0, &result))
            << absl::StrJoin(p, ".");
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 150);  // the documents above have ~50 nodes each
}

TEST(IstioChecksTest, ValidateReportsPlainValuesInCustomRulesInsteadOfAborting) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  for (const char* rules : {"[x]", "[{from: [x]}]", "[{when: [x]}]"}) {
    WriteStringToFile(dir + "/ap.yaml",
                      absl::StrCat("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
                                   "metadata: {name: x}\n"
                                   "spec: {action: CUSTOM, provider: {name: edgekit-broker}, "
                                   "rules: ",
                                   rules, "}\n"));
    auto result = RunEdgekit({"validate", "--crds", CrdFile(), dir + "/ap.yaml"});
    // A schema error (an object expected), exit 1: not SIGABRT.
    EXPECT_EQ(result.exit_code, 1) << rules << "\n" << result.err;
    EXPECT_NE(result.err.find("error: spec.rules[0]"), std::string::npos) << result.err;
  }
}

TEST(IstioChecksTest, ValidateCommandReportsSemanticFindings) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/vs.yaml",
                    VirtualService("  - match: [{headers: {X-Foo: {exact: \"1\"}}}]\n"
                                   "    directResponse: {status: 400}\n"));
  // Istio accepts the capitals (a warning: the match never fires); --strict refuses them.
  auto lenient = RunEdgekit({"validate", "--crds", CrdFile(), dir + "/vs.yaml"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find(dir + "/vs.yaml:7:24: document 1: warning: "
                                   "spec.http[0].match[0].headers.X-Foo: header names must be "
                                   "lowercase"),
            std::string::npos)
      << lenient.err;
  EXPECT_NE(lenient.err.find("[EK0502]\n"), std::string::npos) << lenient.err;
  auto bad = RunEdgekit({"validate", "--strict", "--crds", CrdFile(), dir + "/vs.yaml"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("document 1: error: spec.http[0].match[0].headers.X-Foo: header names "),
            std::string::npos)
      << bad.err;

  WriteStringToFile(dir + "/good.yaml", VirtualService(kGoodRoutes));
  auto good = RunEdgekit({"validate", "--crds", CrdFile(), dir + "/good.yaml"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
}

TEST(IstioChecksTest, JwtClaimRoutesAndIstiosPseudoHeadersAreNotHeaderNames) {
  // Istio routes on a validated token's claims with `@request.auth.claims.<name>` (or
  // `[a][b]` for nested claims), prefix in any case; its webhook takes them as they are.
  auto claims = Check(
      VirtualService("  - match:\n"
                     "    - headers: {\"@request.auth.claims.groups\": {exact: admin}}\n"
                     "    - headers: {\"@request.auth.claims[nested][Key]\": {exact: x}}\n"
                     "    - headers: {\"@Request.Auth.Claims.Sub\": {prefix: svc-}}\n"
                     "      withoutHeaders: {\"@request.auth.claims.banned\": {regex: \"*\"}}\n"
                     "    route: [{destination: {host: web}}]\n"));
  EXPECT_THAT(Messages(claims), IsEmpty());
  // Not claim routes: a missing claim name, an unclosed bracket.
  auto not_claims =
      Check(VirtualService("  - match:\n"
                           "    - headers: {\"@request.auth.claims\": {exact: a}}\n"
                           "    - headers: {\"@request.auth.claims[a\": {exact: a}}\n"
                           "    route: [{destination: {host: web}}]\n"));
  EXPECT_THAT(Messages(not_claims),
              ElementsAre(HasSubstr("\"@request.auth.claims\" is not a valid header name"),
                          HasSubstr("\"@request.auth.claims[a\" is not a valid header name")));
  // The five HTTP/2 pseudo-headers, and no others.
  auto pseudo = Check(VirtualService(
      "  - match:\n"
      "    - headers: {\":authority\": {exact: a}, \":method\": {exact: GET}, \":path\": "
      "{prefix: /}, \":scheme\": {exact: https}, \":status\": {exact: \"200\"}}\n"
      "    - headers: {\":protocol\": {exact: websocket}}\n"
      "    route: [{destination: {host: web}}]\n"));
  EXPECT_THAT(Messages(pseudo), ElementsAre("error spec.http[0].match[1].headers[\":protocol\"]: "
                                            "\":protocol\" is not a valid header name"));
}

TEST(IstioChecksTest, CustomPoliciesRefuseEveryIdentityFieldIstioRefuses) {
  auto policy = [](const std::string& spec) {
    return Check(absl::StrCat(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p}\n"
        "spec:\n",
        spec));
  };
  EXPECT_THAT(Messages(policy("  action: CUSTOM\n  provider: {name: broker}\n  rules:\n"
                              "  - from: [{source: {requestPrincipals: [\"*\"]}}]\n"
                              "    when: [{key: \"request.auth.claims[iss]\", values: [x]}]\n")),
              ElementsAre(HasSubstr("spec.rules[0].from[0].source.requestPrincipals: "
                                    "requestPrincipals cannot be used in a CUSTOM rule"),
                          HasSubstr("spec.rules[0].when[0].key: \"request.auth.claims[iss]\" "
                                    "cannot be used in a CUSTOM rule")));
  EXPECT_THAT(Messages(policy("  action: CUSTOM\n  provider: {name: broker}\n")),
              ElementsAre(HasSubstr("a CUSTOM policy without rules is never triggered")));
  EXPECT_THAT(Messages(policy("  action: DENY\n")),
              ElementsAre(HasSubstr("a DENY policy without rules never matches")));
  EXPECT_THAT(Messages(policy("  action: ALLOW\n")), IsEmpty());
}

TEST(IstioChecksTest, AKindNameInAnotherGroupIsNoSchemaOfThisGroup) {
  // Gateway is networking.istio.io's and gateway.networking.k8s.io's: with only Istio's
  // CRDs, a Gateway API Gateway is an object of an unknown group, not a bad Istio Gateway.
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/gw.yaml",
                    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
                    "metadata: {name: edge}\nspec:\n  gatewayClassName: istio\n"
                    "  listeners: [{name: http, port: 80, protocol: HTTP}]\n");
  auto lenient =
      RunEdgekit({"validate", "--allow-unknown-groups", "--crds", CrdFile(), dir + "/gw.yaml"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("warning: not validated: no CRD schema for "
                             "gateway.networking.k8s.io/v1 Gateway [EK0102]"),
            std::string::npos)
      << lenient.err;
  auto strict = RunEdgekit({"validate", "--crds", CrdFile(), dir + "/gw.yaml"});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_NE(strict.err.find("error: no CRD schema for gateway.networking.k8s.io/v1 Gateway"),
            std::string::npos)
      << strict.err;
  EXPECT_EQ(strict.err.find("known versions of Gateway"), std::string::npos) << strict.err;
}

TEST(IstioChecksTest, AllowUnknownGroupsTurnsCoreObjectsIntoWarnings) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  WriteStringToFile(
      dir + "/mixed.yaml",
      "apiVersion: v1\nkind: Service\nmetadata: {name: c}\n---\n" + VirtualService(kGoodRoutes));
  auto strict = RunEdgekit({"validate", "--crds", CrdFile(), dir + "/mixed.yaml"});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  auto lenient =
      RunEdgekit({"validate", "--allow-unknown-groups", "--crds", CrdFile(), dir + "/mixed.yaml"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("1 warning"), std::string::npos) << lenient.err;
}

}  // namespace
}  // namespace edgekit::cli
