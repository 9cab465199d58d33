// The CRDs' CEL rules (x-kubernetes-validations) as `edgekit validate` runs them, against
// the real Istio 1.30.3 and Gateway API v1.5.1 CRDs: every rule compiles, and one test per
// family of rule shows a violating object refused with the rule's own message and a
// conforming one accepted. The evaluator itself is tested in cel_test.cc.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/validate/crd_validator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgekit::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const char kIstioCrds[] = EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml";
const char kGatewayApiCrds[] = EDGEKIT_SHARED_SCHEMAS "/gateway-api-crds.v1.5.1-standard.yaml";

class CelRulesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new CrdRegistry();
    for (const char* file : {kIstioCrds, kGatewayApiCrds}) {
      const absl::Status added = registry_->AddFile(file);
      ASSERT_TRUE(added.ok()) << added << " (the CRDs live in ../shared/schemas)";
    }
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  static ValidationResult Validate(const std::string& yaml) {
    absl::StatusOr<ValidationResult> result = registry_->ValidateYaml(yaml, "test.yaml");
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ValidationResult{};
  }
  // "path: message [code]" of every finding, errors and warnings alike.
  static std::vector<std::string> Findings(const std::string& yaml) {
    std::vector<std::string> out;
    for (const Finding& f : Validate(yaml).findings) {
      out.push_back(absl::StrCat(f.severity == Finding::Severity::kError ? "error " : "warning ",
                                 f.path, ": ", f.message, " [", InfoOf(f.code).id, "]"));
    }
    return out;
  }

  static CrdRegistry* registry_;
};

CrdRegistry* CelRulesTest::registry_ = nullptr;

TEST(CelRuleInventoryTest, EveryRuleInBothCrdFilesRuns) {
  for (const char* file : {kIstioCrds, kGatewayApiCrds}) {
    absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(file);
    ASSERT_TRUE(registry.ok()) << registry.status() << " (the CRDs live in ../shared/schemas)";
    const CelRuleInventory inventory = registry->CelRules();
    std::printf(
        "%s: %d CEL rules in served versions, %d run, %d of them transition rules "
        "(skipped on create), %zu cannot run\n",
        file, inventory.rules, inventory.runnable, inventory.transition,
        inventory.not_runnable.size());
    EXPECT_GT(inventory.rules, 0) << file;
    EXPECT_EQ(inventory.runnable, inventory.rules) << file;
    EXPECT_THAT(inventory.not_runnable, IsEmpty()) << file;
  }
}

// --- Duration bounds: `duration(self) >= duration('1ms')` (160 of Istio's rules).

std::string VirtualServiceWithTimeout(const std::string& timeout) {
  return absl::StrCat(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: edge}
spec:
  hosts: [api.example.com]
  http:
  - route:
    - destination: {host: backend}
    timeout: )",
                      timeout, "\n");
}

TEST_F(CelRulesTest, DurationBelowTheMinimumIsRefused) {
  EXPECT_THAT(Findings(VirtualServiceWithTimeout("0.5ms")),
              ElementsAre("error spec.http[0].timeout: must be a valid duration greater than "
                          "1ms [EK0401]"));
  EXPECT_THAT(Findings(VirtualServiceWithTimeout("1ms")), IsEmpty());
  EXPECT_THAT(Findings(VirtualServiceWithTimeout("1.5s")), IsEmpty());
}

TEST_F(CelRulesTest, ADurationThatDoesNotParseIsAnEvaluationError) {
  const std::vector<std::string> findings = Findings(VirtualServiceWithTimeout("soon"));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_THAT(findings[0], ::testing::StartsWith("error spec.http[0].timeout: "));
  EXPECT_THAT(findings[0], ::testing::HasSubstr("evaluating rule: duration(self) >= "
                                                "duration('1ms') [EK0402]"));
}

TEST_F(CelRulesTest, ATypeErrorStopsTheRulesAsTheApiServerDoes) {
  const std::vector<std::string> findings = Findings(VirtualServiceWithTimeout("[1]"));
  EXPECT_THAT(findings,
              ElementsAre("error spec.http[0].timeout: expected string, got array [EK0302]",
                          "warning : CEL rules not checked: the object has type or enum errors; "
                          "correct them to complete validation (the API server skips them too) "
                          "[EK0403]"));
}

// --- Port ranges: `0 < self && self <= 65535`.

std::string ServiceEntryWithPorts(const std::string& ports) {
  return absl::StrCat(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: auth, namespace: edge}
spec:
  hosts: [auth.internal]
  resolution: DNS
  ports:
)",
                      ports);
}

TEST_F(CelRulesTest, PortOutsideOneTo65535IsRefused) {
  EXPECT_THAT(Findings(ServiceEntryWithPorts("  - {number: 0, name: grpc, protocol: GRPC}\n")),
              ElementsAre("error spec.ports[0].number: port must be between 1-65535 [EK0401]"));
  EXPECT_THAT(Findings(ServiceEntryWithPorts("  - {number: 65536, name: grpc, protocol: GRPC}\n")),
              ElementsAre("error spec.ports[0].number: port must be between 1-65535 [EK0401]"));
  EXPECT_THAT(Findings(ServiceEntryWithPorts("  - {number: 9000, name: grpc, protocol: GRPC}\n")),
              IsEmpty());
}

// --- Uniqueness with exists_one: `self.all(l1, self.exists_one(l2, l1.number == l2.number))`.

TEST_F(CelRulesTest, DuplicatePortNumbersAreRefused) {
  EXPECT_THAT(Findings(ServiceEntryWithPorts("  - {number: 9000, name: a, protocol: GRPC}\n"
                                             "  - {number: 9000, name: b, protocol: HTTP}\n")),
              ElementsAre("error spec.ports: port number cannot be duplicated [EK0401]"));
  EXPECT_THAT(Findings(ServiceEntryWithPorts("  - {number: 9000, name: a, protocol: GRPC}\n"
                                             "  - {number: 9001, name: b, protocol: HTTP}\n")),
              IsEmpty());
}

// --- One-of sums of has(): `(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0)
// + (has(self.targetRefs) ? 1 : 0) <= 1`.

TEST_F(CelRulesTest, SelectorAndTargetRefTogetherAreRefused) {
  const std::string header = R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: istio-ingress}
spec:
  action: CUSTOM
  provider: {name: edgekit-broker}
  rules: [{}]
)";
  const std::string selector = "  selector: {matchLabels: {istio: ingressgateway}}\n";
  const std::string target_ref =
      "  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: edge}\n";
  EXPECT_THAT(Findings(header + selector + target_ref),
              ElementsAre("error spec: only one of targetRefs or selector can be set [EK0401]"));
  EXPECT_THAT(Findings(header + selector), IsEmpty());
  EXPECT_THAT(Findings(header + target_ref), IsEmpty());
}

// --- String predicates (startsWith, contains, endsWith, matches), with defaults applied
// first: an HTTPRoute path match's type defaults to PathPrefix and its value to "/".

std::string HttpRouteWithPath(const std::string& path) {
  return absl::StrCat(R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: orders, namespace: team-a}
spec:
  parentRefs: [{name: edge, namespace: istio-ingress}]
  rules:
  - matches:
    - path: )",
                      path, R"(
    backendRefs: [{name: orders, port: 8080}]
)");
}

TEST_F(CelRulesTest, PathPrefixThatIsNotAnAbsolutePathIsRefused) {
  EXPECT_THAT(Findings(HttpRouteWithPath("{type: PathPrefix, value: api}")),
              ElementsAre("error spec.rules[0].matches[0].path: value must be an absolute path "
                          "and start with '/' when type one of ['Exact', 'PathPrefix'] [EK0401]"));
  // The type is defaulted to PathPrefix before the rule runs.
  EXPECT_THAT(Findings(HttpRouteWithPath("{value: api}")),
              ElementsAre(::testing::HasSubstr("value must be an absolute path")));
  EXPECT_THAT(Findings(HttpRouteWithPath("{type: PathPrefix, value: /a//b}")),
              ElementsAre("error spec.rules[0].matches[0].path: must not contain '//' when type "
                          "one of ['Exact', 'PathPrefix'] [EK0401]"));
  EXPECT_THAT(Findings(HttpRouteWithPath("{type: PathPrefix, value: /api}")), IsEmpty());
  EXPECT_THAT(Findings(HttpRouteWithPath("{type: RegularExpression, value: 'api.*'}")), IsEmpty());
  // No path at all: the match's default path (PathPrefix "/") passes every rule.
  EXPECT_THAT(Findings(HttpRouteWithPath("{}")), IsEmpty());
}

// --- URL schemes: `url(self).getScheme() in ["http", "https"]` and the isURL ternary.

TEST_F(CelRulesTest, JwksUriMustBeHttpOrHttps) {
  const auto request_authentication = [](const std::string& uri) {
    return absl::StrCat(R"(apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-ingress}
spec:
  jwtRules:
  - issuer: https://issuer.example.com
    jwksUri: )",
                        uri, "\n");
  };
  EXPECT_THAT(Findings(request_authentication("ftp://issuer.example.com/keys")),
              ElementsAre("error spec.jwtRules[0].jwksUri: url must have scheme http:// or "
                          "https:// [EK0401]"));
  EXPECT_THAT(Findings(request_authentication("https://issuer.example.com/keys")), IsEmpty());
}

TEST_F(CelRulesTest, WasmPluginUrlSchemes) {
  const auto plugin = [](const std::string& url) {
    return absl::StrCat(R"(apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: filter, namespace: istio-ingress}
spec:
  url: )",
                        url, "\n");
  };
  EXPECT_THAT(Findings(plugin("ftp://registry.example.com/filter.wasm")),
              ElementsAre("error spec.url: url must have schema one of [http, https, file, oci] "
                          "[EK0401]"));
  EXPECT_THAT(Findings(plugin("oci://registry.example.com/filter:1.0")), IsEmpty());
  // Without a scheme the rule retries with "http://" in front.
  EXPECT_THAT(Findings(plugin("registry.example.com/filter:1.0")), IsEmpty());
}

// --- Transition rules read oldSelf: the API server runs them only on update.

TEST_F(CelRulesTest, TransitionRulesAreSkippedAndCounted) {
  const ValidationResult result = Validate(R"(apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: istio}
spec:
  controllerName: istio.io/gateway-controller
)");
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_EQ(result.cel_transition_rules_skipped, 1);
  EXPECT_EQ(result.cel_rules_not_checked, 0);
}

}  // namespace
}  // namespace edgekit::cli
