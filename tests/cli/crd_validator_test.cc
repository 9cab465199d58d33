// Tests for cli/crd_validator: the manifests edgekit renders, checked against the real
// Istio 1.30.3 CRDs (skipped when ../shared/schemas is absent), each rejection asserting
// the exact path and message; and a small synthetic CRD (testdata/crd) for the OpenAPI
// keywords Istio's schemas do not exercise.
#include "cli/validate/crd_validator.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const char kIstioCrds[] = EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml";
const char kWidgetCrds[] = EDGEKIT_SOURCE_DIR "/tests/cli/testdata/crd/widgets-list.yaml";

// "path: message" of each finding with `severity`: what the tests assert on.
std::vector<std::string> Lines(const ValidationResult& result,
                               Finding::Severity severity = Finding::Severity::kError) {
  std::vector<std::string> lines;
  for (const Finding& f : result.findings) {
    if (f.severity == severity) lines.push_back(absl::StrCat(f.path, ": ", f.message));
  }
  return lines;
}

ValidationResult MustValidate(const CrdRegistry& registry, const std::string& yaml,
                              const ValidateOptions& options = {}) {
  absl::StatusOr<ValidationResult> result = registry.ValidateYaml(yaml, "test.yaml", options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : ValidationResult{};
}

// --- Manifests edgekit renders (DESIGN.md, "Facts for manifests").

constexpr char kVirtualService[] = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: edge-routes
  namespace: istio-ingress
  labels:
    app.kubernetes.io/managed-by: edgekit
spec:
  hosts: ["api.example.com"]
  gateways: ["istio-ingress/edge-gateway"]
  http:
  - name: maintenance
    match:
    - uri:
        prefix: /legacy/
    - headers:
        x-foo:
          exact: bar
    directResponse:
      status: 503
      body:
        string: '{"error":"maintenance"}'
    headers:
      response:
        set:
          content-type: application/json
  - name: default
    route:
    - destination:
        host: backend.default.svc.cluster.local
        port:
          number: 8080
      weight: 100
    timeout: 5s
)";

constexpr char kEnvoyFilter[] = R"(apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: edge-compression
  namespace: istio-ingress
spec:
  workloadSelector:
    labels:
      istio: ingressgateway
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: GATEWAY
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter:
              name: envoy.filters.http.router
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.filters.http.compressor
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor
          response_direction_config:
            common_config:
              min_content_length: 1024
              content_type: [application/json, text/plain]
          compressor_library:
            name: text_optimized
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip
              memory_level: 9
              window_bits: 15
)";

constexpr char kServiceEntry[] = R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: edgekit-broker
  namespace: istio-ingress
spec:
  hosts: ["edgekit-broker.local"]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 9191
    name: grpc-authz
    protocol: GRPC
  endpoints:
  - address: 127.0.0.1
)";

constexpr char kAuthorizationPolicy[] = R"(apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ext-authz
  namespace: istio-ingress
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  action: CUSTOM
  provider:
    name: edgekit-ext-authz
  rules:
  - to:
    - operation:
        notPaths: ["/healthz", "/public/*"]
)";

class IstioCrdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(kIstioCrds, R_OK) != 0) return;
    absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(kIstioCrds);
    load_status_ = new absl::Status(registry.status());
    if (registry.ok()) registry_ = new CrdRegistry(*std::move(registry));
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    delete load_status_;
    load_status_ = nullptr;
  }
  void SetUp() override {
    if (load_status_ == nullptr) {
      FAIL() << kIstioCrds << " is absent (it lives in ../shared/schemas, next to "
             << "the repository); the Istio CRD tests need it";
    }
    ASSERT_TRUE(load_status_->ok()) << *load_status_;
  }

  static ValidationResult Validate(const std::string& yaml, const ValidateOptions& options = {}) {
    return MustValidate(*registry_, yaml, options);
  }
  // Replaces the first occurrence of `from` in `text` (which must be there).
  static std::string Edit(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  static CrdRegistry* registry_;
  static absl::Status* load_status_;
};

CrdRegistry* IstioCrdTest::registry_ = nullptr;
absl::Status* IstioCrdTest::load_status_ = nullptr;

TEST_F(IstioCrdTest, LoadsEveryServedVersion) {
  EXPECT_EQ(registry_->size(), 33u);
  EXPECT_THAT(registry_->ApiVersionsOf("VirtualService"),
              ElementsAre("networking.istio.io/v1", "networking.istio.io/v1alpha3",
                          "networking.istio.io/v1beta1"));
  EXPECT_THAT(registry_->ApiVersionsOf("EnvoyFilter"), ElementsAre("networking.istio.io/v1alpha3"));
  EXPECT_TRUE(registry_->Has("security.istio.io/v1", "AuthorizationPolicy"));
  EXPECT_FALSE(registry_->Has("networking.istio.io/v1", "EnvoyFilter"));
}

TEST_F(IstioCrdTest, AcceptsVirtualServiceWithDirectResponse) {
  const ValidationResult result = Validate(kVirtualService);
  EXPECT_THAT(result.findings, IsEmpty()) << Lines(result)[0];
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.objects_validated, 1);
  // `timeout` carries a CEL rule (duration(self) >= duration('1ms')), which runs.
  EXPECT_EQ(result.cel_rules_run, 1);
  EXPECT_EQ(result.cel_rules_not_checked, 0);
}

TEST_F(IstioCrdTest, AcceptsEnvoyFilterWithCompressorPatch) {
  const ValidationResult result = Validate(kEnvoyFilter);
  EXPECT_THAT(Lines(result), IsEmpty());
  EXPECT_THAT(Lines(result, Finding::Severity::kWarning), IsEmpty());
  EXPECT_EQ(result.objects_validated, 1);
  // spec's "workloadSelector or targetRefs" rule, the match's "waypoint only with
  // context WAYPOINT" rule and the label value's "no *" rule.
  EXPECT_EQ(result.cel_rules_run, 3);
}

TEST_F(IstioCrdTest, AcceptsServiceEntryForTheLoopbackBroker) {
  const ValidationResult result = Validate(kServiceEntry);
  EXPECT_THAT(Lines(result), IsEmpty());
  EXPECT_THAT(Lines(result, Finding::Severity::kWarning), IsEmpty());
  EXPECT_EQ(result.objects_validated, 1);
  EXPECT_GT(result.cel_rules_run, 0);
  EXPECT_EQ(result.cel_rules_not_checked, 0);
}

TEST_F(IstioCrdTest, AcceptsCustomAuthorizationPolicyWithProvider) {
  const ValidationResult result = Validate(kAuthorizationPolicy);
  EXPECT_THAT(Lines(result), IsEmpty());
  EXPECT_EQ(result.objects_validated, 1);
}

TEST_F(IstioCrdTest, AcceptsAllFourInOneStream) {
  const ValidationResult result =
      Validate(absl::StrCat(kVirtualService, "---\n", kEnvoyFilter, "---\n", kServiceEntry, "---\n",
                            kAuthorizationPolicy, "---\n"));
  EXPECT_TRUE(result.ok()) << Lines(result).size();
  EXPECT_EQ(result.objects_validated, 4);
}

TEST_F(IstioCrdTest, RejectsUnknownFieldWithSuggestion) {
  const ValidationResult result =
      Validate(Edit(kVirtualService, "    directResponse:", "    directResponce:"));
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.http[0].directResponce: unknown field \"directResponce\" "
                          "(did you mean \"directResponse\"?)"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].document, 0);
  EXPECT_EQ(result.findings[0].line, 19);
  EXPECT_EQ(result.findings[0].column, 5);
}

TEST_F(IstioCrdTest, RejectsUnknownFieldListingKnownOnes) {
  const ValidationResult result =
      Validate(Edit(kServiceEntry, "  location:", "  bogusField: 1\n  location:"));
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.bogusField: unknown field \"bogusField\"; known fields: "
                          "addresses, endpoints, exportTo, hosts, location, ports, resolution, "
                          "subjectAltNames, workloadSelector"));
}

TEST_F(IstioCrdTest, RejectsWrongType) {
  const ValidationResult result =
      Validate(Edit(kVirtualService, R"(hosts: ["api.example.com"])", "hosts: api.example.com"));
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.hosts: expected array, got string \"api.example.com\""));
}

TEST_F(IstioCrdTest, RejectsUnquotedYamlBooleanInStringMapValue) {
  // YAML 1.1 (kubectl's decoder) reads an unquoted `on` as true.
  const ValidationResult result = Validate(Edit(kVirtualService, "exact: bar", "exact: on"));
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.http[0].match[1].headers.x-foo.exact: expected string, got "
                          "boolean true (quote it to make it a string)"));
  EXPECT_TRUE(Validate(Edit(kVirtualService, "exact: bar", "exact: 'on'")).ok());
}

TEST_F(IstioCrdTest, RejectsEnumViolation) {
  const ValidationResult result =
      Validate(Edit(kServiceEntry, "resolution: STATIC", "resolution: BOGUS"));
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.resolution: unsupported value \"BOGUS\"; supported values: "
                          "\"NONE\", \"STATIC\", \"DNS\", \"DNS_ROUND_ROBIN\", \"DYNAMIC_DNS\""));
}

TEST_F(IstioCrdTest, RejectsMissingRequiredFields) {
  EXPECT_THAT(Lines(Validate(Edit(kServiceEntry, R"(  hosts: ["edgekit-broker.local"])", ""))),
              ElementsAre("spec.hosts: required field is missing"));
  EXPECT_THAT(Lines(Validate(
                  Edit(kVirtualService, "        host: backend.default.svc.cluster.local\n", ""))),
              ElementsAre("spec.http[1].route[0].destination.host: required field is missing"));
  // ServiceEntry requires spec; a null spec is pruned by the API server, hence missing.
  const ValidationResult null_spec = Validate(
      "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: a}\nspec:\n");
  EXPECT_THAT(Lines(null_spec), ElementsAre("spec: required field is missing"));
  EXPECT_THAT(Lines(null_spec, Finding::Severity::kWarning),
              ElementsAre("spec: null value is dropped by the API server (the field is not "
                          "nullable)"));
}

TEST_F(IstioCrdTest, RejectsUnknownApiVersionListingKnownOnes) {
  const ValidationResult result =
      Validate(Edit(kVirtualService, "networking.istio.io/v1\n", "networking.istio.io/v2\n"));
  EXPECT_THAT(Lines(result),
              ElementsAre("apiVersion: no schema for VirtualService in apiVersion "
                          "\"networking.istio.io/v2\"; known versions of VirtualService: "
                          "networking.istio.io/v1, networking.istio.io/v1alpha3, "
                          "networking.istio.io/v1beta1"));
  EXPECT_EQ(result.objects_validated, 0);
  // EnvoyFilter exists only as v1alpha3 (DESIGN.md).
  EXPECT_THAT(Lines(Validate(Edit(kEnvoyFilter, "v1alpha3", "v1"))),
              ElementsAre("apiVersion: no schema for EnvoyFilter in apiVersion "
                          "\"networking.istio.io/v1\"; known versions of EnvoyFilter: "
                          "networking.istio.io/v1alpha3"));
}

TEST_F(IstioCrdTest, RejectsUnknownKinds) {
  EXPECT_THAT(
      Lines(Validate(Edit(kVirtualService, "kind: VirtualService", "kind: virtualservice"))),
      ElementsAre("kind: unknown kind \"virtualservice\" (did you mean "
                  "\"VirtualService\"?)"));
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "kind: VirtualService", "kind: Route"))),
              ElementsAre("kind: unknown kind \"Route\" in group networking.istio.io; known "
                          "kinds: DestinationRule, EnvoyFilter, Gateway, ProxyConfig, "
                          "ServiceEntry, Sidecar, VirtualService, WorkloadEntry, "
                          "WorkloadGroup"));
  const std::string deployment =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gateway}\n";
  EXPECT_THAT(Lines(Validate(deployment)), ElementsAre(": no CRD schema for apps/v1 Deployment"));
  ValidateOptions lenient;
  lenient.allow_unknown_groups = true;
  const ValidationResult result = Validate(deployment, lenient);
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(Lines(result, Finding::Severity::kWarning),
              ElementsAre(": not validated: no CRD schema for apps/v1 Deployment"));
}

TEST_F(IstioCrdTest, RejectsNamesThatAreNotDnsSubdomains) {
  EXPECT_THAT(
      Lines(Validate(Edit(kVirtualService, "name: edge-routes", "name: Upper_Case"))),
      ElementsAre("metadata.name: \"Upper_Case\" is not a valid name: a lowercase RFC 1123 "
                  "subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character"));
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "  name: edge-routes\n", ""))),
              ElementsAre("metadata.name: required field is missing"));
  EXPECT_THAT(Lines(Validate(
                  Edit(kVirtualService, "namespace: istio-ingress", "namespace: istio.ingress"))),
              ElementsAre("metadata.namespace: \"istio.ingress\" is not a valid namespace: a "
                          "lowercase RFC 1123 label must consist of lower case alphanumeric "
                          "characters or '-', start and end with an alphanumeric character, "
                          "and be at most 63 characters"));
  EXPECT_TRUE(Validate(Edit(kVirtualService, "name: edge-routes", "name: edge.routes-1")).ok());
}

TEST_F(IstioCrdTest, ChecksLabelsAndUnknownMetadataFields) {
  const ValidationResult result =
      Validate(Edit(kVirtualService, "    app.kubernetes.io/managed-by: edgekit\n",
                    "    app.kubernetes.io/managed-by: edgekit\n    sidecar.istio.io/inject: true\n"
                    "    bad/key/x: v\n  labelz: {}\n"));
  EXPECT_THAT(Lines(result),
              ElementsAre("metadata.labels[\"sidecar.istio.io/inject\"]: expected string, got "
                          "boolean true (quote it to make it a string)",
                          "metadata.labels[\"bad/key/x\"]: invalid key \"bad/key/x\": must be a "
                          "name with an optional DNS subdomain prefix and '/' (e.g. "
                          "'example.com/my-name')",
                          "metadata.labelz: unknown field \"labelz\" in ObjectMeta"));
}

TEST_F(IstioCrdTest, RejectsInt32Overflow) {
  const ValidationResult result =
      Validate(Edit(kVirtualService, "weight: 100", "weight: 3000000000"));
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.http[1].route[0].weight: 3000000000 is out of range for format "
                          "int32 [-2147483648, 2147483647]"));
  EXPECT_TRUE(Validate(Edit(kVirtualService, "weight: 100", "weight: 2147483647")).ok());
}

TEST_F(IstioCrdTest, RejectsUint32BoundsAndNonIntegers) {
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "status: 503", "status: 4294967296"))),
              ElementsAre("spec.http[0].directResponse.status: must be <= 4294967295, got "
                          "4294967296"));
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "number: 8080", "number: -1"))),
              ElementsAre("spec.http[1].route[0].destination.port.number: must be >= 0, got -1"));
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "number: 8080", "number: 80.5"))),
              ElementsAre("spec.http[1].route[0].destination.port.number: expected integer, got "
                          "number 80.5"));
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "number: 8080", "number: \"8080\""))),
              ElementsAre("spec.http[1].route[0].destination.port.number: expected integer, got "
                          "string \"8080\""));
}

TEST_F(IstioCrdTest, RejectsProtoOneofViolations) {
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "        prefix: /legacy/\n",
                                  "        prefix: /legacy/\n        exact: /legacy\n"))),
              ElementsAre("spec.http[0].match[0].uri: at most one of exact, prefix, regex may "
                          "be set, got exact and prefix"));
  EXPECT_THAT(
      Lines(Validate(Edit(kVirtualService, "        string: '{\"error\":\"maintenance\"}'\n",
                          "        string: a\n        bytes: YQ==\n"))),
      ElementsAre("spec.http[0].directResponse.body: at most one of string, bytes may "
                  "be set, got string and bytes"));
  // DestinationRule nests its oneOfs inside allOf.
  const ValidationResult result = Validate(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: sticky}
spec:
  host: backend
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: x-user
        useSourceIp: true
        ringHash: {minimumRingSize: 1024}
)");
  EXPECT_THAT(Lines(result),
              ElementsAre("spec.trafficPolicy.loadBalancer.consistentHash: at most one of "
                          "httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName may "
                          "be set, got httpHeaderName and useSourceIp"));
}

TEST_F(IstioCrdTest, ChecksFormatsPatternsAndSizes) {
  EXPECT_THAT(Lines(Validate(Edit(kVirtualService, "        string: '{\"error\":\"maintenance\"}'",
                                  "        bytes: not-base64!"))),
              ElementsAre("spec.http[0].directResponse.body.bytes: must be standard base64 with "
                          "padding (format byte)"));
  EXPECT_TRUE(Validate(Edit(kVirtualService, "        string: '{\"error\":\"maintenance\"}'",
                            "        bytes: eyJlcnJvciI6MX0="))
                  .ok());
  std::string targeted =
      Edit(kEnvoyFilter, "  workloadSelector:\n    labels:\n      istio: ingressgateway\n",
           "  targetRefs:\n  - kind: \"Gate way\"\n    name: edge\n");
  EXPECT_THAT(Lines(Validate(targeted)),
              ElementsAre("spec.targetRefs[0].kind: \"Gate way\" does not match the pattern "
                          "\"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$\""));
  EXPECT_THAT(
      Lines(Validate(Edit(kServiceEntry, R"(hosts: ["edgekit-broker.local"])", "hosts: []"))),
      ElementsAre("spec.hosts: must have at least 1 item(s), got 0"));
  // ports is an x-kubernetes-list-type: map keyed by name.
  EXPECT_THAT(Lines(Validate(Edit(kServiceEntry, "  endpoints:",
                                  "  - number: 9192\n    name: grpc-authz\n  endpoints:"))),
              ElementsAre("spec.ports[1]: duplicate entry with name \"grpc-authz\" (same as "
                          "item 0; entries are keyed by name)"));
}

TEST_F(IstioCrdTest, ReportsDuplicateKeys) {
  const ValidationResult result =
      Validate(Edit(kServiceEntry, "  location: MESH_INTERNAL\n",
                    "  location: MESH_INTERNAL\n  location: MESH_EXTERNAL\n"));
  EXPECT_THAT(Lines(result), ElementsAre("spec.location: duplicate field \"location\""));
}

TEST_F(IstioCrdTest, ValidatesListItemsAndNumbersDocuments) {
  const std::string list = R"(apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: ServiceEntry
  metadata: {name: ok}
  spec: {hosts: [a.local]}
- apiVersion: networking.istio.io/v1
  kind: ServiceEntry
  metadata: {name: bad}
  spec: {hosts: [b.local], resolution: BOGUS}
)";
  const ValidationResult result = Validate(absl::StrCat(kServiceEntry, "---\n---\n", list));
  EXPECT_EQ(result.objects_validated, 3);
  ASSERT_EQ(result.error_count(), 1);
  const Finding& finding = result.findings[0];
  EXPECT_EQ(finding.document, 2);  // the empty document between the `---`s counts
  EXPECT_EQ(finding.path, "items[1].spec.resolution");
  EXPECT_EQ(finding.line, 28);
  EXPECT_EQ(finding.column, 40);
  EXPECT_EQ(FormatFinding("out.yaml", finding),
            "out.yaml:28:40: document 3: error: items[1].spec.resolution: unsupported value "
            "\"BOGUS\"; "
            "supported values: \"NONE\", \"STATIC\", \"DNS\", \"DNS_ROUND_ROBIN\", "
            "\"DYNAMIC_DNS\" [EK0304]");
}

TEST_F(IstioCrdTest, ValidatesAParsedNode) {
  ValidationResult result;
  registry_->ValidateObject(YAML::Load(kAuthorizationPolicy), 7, {}, &result);
  EXPECT_TRUE(result.ok());
  registry_->ValidateObject(YAML::Load("[1, 2]"), 8, {}, &result);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].document, 8);
  EXPECT_EQ(result.findings[0].message,
            "expected a Kubernetes object (a mapping with apiVersion and kind), got array");
}

// --- Errors that are statuses, not findings.

TEST(CrdValidatorErrorsTest, YamlSyntaxErrorIsInvalidArgumentWithPosition) {
  CrdRegistry registry;
  ASSERT_TRUE(registry.AddFile(kWidgetCrds).ok());
  absl::StatusOr<ValidationResult> result =
      registry.ValidateYaml("apiVersion: v1\nkind: [unclosed\n", "bad.yaml");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), StartsWith("bad.yaml:3:1: invalid YAML: "));
}

TEST(CrdValidatorErrorsTest, MissingFilesAreNotFound) {
  CrdRegistry registry;
  EXPECT_EQ(registry.AddFile("/nonexistent/crds.yaml").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry.ValidateFile("/nonexistent/vs.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CrdValidatorErrorsTest, RejectsStreamsWithoutCrdsAndMalformedSchemas) {
  CrdRegistry registry;
  absl::Status status = registry.AddYaml("apiVersion: v1\nkind: ConfigMap\n", "cm.yaml");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "cm.yaml: no CustomResourceDefinition found");

  status = registry.AddYaml(R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.dev}
spec:
  group: example.dev
  names: {kind: Thing}
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: string
            pattern: "a(b"
)",
                            "things.yaml");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("things.yaml:16:22: CustomResourceDefinition things.example.dev: "
                         "spec.versions[0].schema.openAPIV3Schema.properties.spec.pattern: "
                         "invalid regular expression \"a(b\": "));
  EXPECT_EQ(registry.size(), 0u);
}

// --- A synthetic CRD for the keywords Istio does not exercise.

class WidgetCrdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(kWidgetCrds);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
  }
  // A Widget whose spec is `spec_body` (YAML flow or block lines indented by 2).
  ValidationResult ValidateSpec(const std::string& spec_lines) {
    return MustValidate(registry_, absl::StrCat("apiVersion: example.edgekit.dev/v1\n"
                                                "kind: Widget\nmetadata: {name: w}\nspec:\n",
                                                spec_lines));
  }
  std::vector<std::string> ErrorsFor(const std::string& spec_lines) {
    return Lines(ValidateSpec(spec_lines));
  }

  CrdRegistry registry_;
};

TEST_F(WidgetCrdTest, LoadsFromAKubectlList) {
  EXPECT_THAT(registry_.ApiVersionsOf("Widget"),
              ElementsAre("example.edgekit.dev/v1", "example.edgekit.dev/v1beta1"));
  const ValidationResult result = ValidateSpec("  replicas: 2\n");
  EXPECT_THAT(result.findings, IsEmpty());
  EXPECT_EQ(result.cel_rules_run, 2);  // spec's two rules
}

TEST_F(WidgetCrdTest, UnservedAndDeprecatedVersions) {
  EXPECT_THAT(Lines(MustValidate(registry_,
                                 "apiVersion: example.edgekit.dev/v1alpha1\n"
                                 "kind: Widget\nmetadata: {name: w}\n")),
              ElementsAre("apiVersion: example.edgekit.dev/v1alpha1 Widget is defined by "
                          "widgets.example.edgekit.dev but not served"));
  const ValidationResult result =
      MustValidate(registry_,
                   "apiVersion: example.edgekit.dev/v1beta1\nkind: Widget\nmetadata: {name: w}\n"
                   "spec: {whatever: 1}\n");
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(Lines(result, Finding::Severity::kWarning),
              ElementsAre("apiVersion: example.edgekit.dev/v1beta1 Widget is deprecated; use v1"));
}

TEST_F(WidgetCrdTest, CelMessageExpressionAndFieldPath) {
  // The message is the messageExpression's value; the finding sits at fieldPath.
  EXPECT_THAT(ErrorsFor("  label: ab\n  tags: [x, ab]\n"),
              ElementsAre("spec.tags: tag ab repeats the label"));
  EXPECT_THAT(ErrorsFor("  label: ab\n  tags: [x, z]\n"), IsEmpty());
}

TEST_F(WidgetCrdTest, NumbersBoundsAndYamlNumberSyntax) {
  EXPECT_THAT(ErrorsFor("  replicas: 0\n"), ElementsAre("spec.replicas: must be > 0, got 0"));
  EXPECT_THAT(ErrorsFor("  ratio: 1.5\n"), ElementsAre("spec.ratio: must be <= 1, got 1.5"));
  EXPECT_THAT(ErrorsFor("  replicas: 0xA\n  ratio: .5\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  replicas: 1e1\n"), IsEmpty());  // JSON carries it as 10
  // The CEL rule sees the same numbers: 0x10 is 16.
  EXPECT_THAT(ErrorsFor("  replicas: 0x10\n"), ElementsAre("spec: at most 10 replicas"));
  EXPECT_THAT(ErrorsFor("  replicas: 1.5\n"),
              ElementsAre("spec.replicas: expected integer, got number 1.5"));
  EXPECT_THAT(ErrorsFor("  replicas: 99999999999999999999\n"),
              ElementsAre("spec.replicas: expected integer, got number 99999999999999999999 "
                          "(too large for an integer in JSON)"));
  EXPECT_THAT(ErrorsFor("  ratio: .inf\n"),
              ElementsAre("spec.ratio: .inf cannot be represented in JSON"));
}

TEST_F(WidgetCrdTest, IntOrStringAndNullable) {
  EXPECT_THAT(ErrorsFor("  port: 8080\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  port: http\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  port: yes\n"),
              ElementsAre("spec.port: expected integer or string, got boolean true (quote it to "
                          "make it a string)"));
  const ValidationResult result = ValidateSpec("  label: null\n");
  EXPECT_THAT(result.findings, IsEmpty());  // nullable: kept, and valid
}

TEST_F(WidgetCrdTest, Strings) {
  EXPECT_THAT(ErrorsFor("  label: a\n"),
              ElementsAre("spec.label: must be at least 2 characters long, got 1"));
  EXPECT_THAT(ErrorsFor("  label: abcdefghi\n"),
              ElementsAre("spec.label: must be at most 8 characters long, got 9"));
  EXPECT_THAT(ErrorsFor("  label: \"\xc3\xa9t\xc3\xa9\"\n"),  // 3 runes, 5 bytes
              ElementsAre("spec.label: \"\xc3\xa9t\xc3\xa9\" does not match the pattern "
                          "\"^[a-z]+$\""));
  EXPECT_THAT(ErrorsFor("  mode: turbo\n"),
              ElementsAre("spec.mode: unsupported value \"turbo\"; supported values: \"fast\", "
                          "\"slow\""));
  EXPECT_THAT(ErrorsFor("  secret: YWJj\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  secret: YWJ\n"),
              ElementsAre("spec.secret: must be standard base64 with padding (format byte)"));
}

TEST_F(WidgetCrdTest, ArraysAndMaps) {
  EXPECT_THAT(ErrorsFor("  tags: [a, b, a]\n"),
              ElementsAre("spec.tags[2]: duplicate value \"a\" (same as item 0; the list is a "
                          "set)"));
  EXPECT_THAT(ErrorsFor("  tags: [a, b, c, d]\n"),
              ElementsAre("spec.tags: must have at most 3 items, got 4"));
  EXPECT_THAT(ErrorsFor("  ports: [{name: a, number: 1}, {number: 2}]\n"),
              ElementsAre("spec.ports[1].name: required field is missing"));
  EXPECT_THAT(ErrorsFor("  env: {A: x, B.c: 1}\n"),
              ElementsAre("spec.env[\"B.c\"]: expected string, got integer 1 (quote it to make "
                          "it a string)"));
  EXPECT_THAT(ErrorsFor("  env: {A: x, B: w, C: z}\n"),
              ElementsAre("spec.env: must have at most 2 entries, got 3"));
  // YAML 1.1, as kubectl reads it: a lone unquoted y is a boolean.
  EXPECT_THAT(ErrorsFor("  env: {A: x, B: y}\n"),
              ElementsAre("spec.env.B: expected string, got boolean true (quote it to make it "
                          "a string)"));
  EXPECT_THAT(ErrorsFor("  extra: {level: 2, anything: {goes: [1]}}\n  anything: {x: 1}\n"),
              IsEmpty());
  EXPECT_THAT(ErrorsFor("  extra: {level: high}\n"),
              ElementsAre("spec.extra.level: expected integer, got string \"high\""));
}

TEST_F(WidgetCrdTest, OneOfAnyOfAllOfNot) {
  EXPECT_THAT(ErrorsFor("  target: {host: a}\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  target: {host: a, ip: b}\n"),
              ElementsAre("spec.target: exactly one of host, ip may be set, got host and ip"));
  EXPECT_THAT(ErrorsFor("  target: {}\n"),
              ElementsAre("spec.target: exactly one of host, ip must be set, got none"));
  EXPECT_THAT(ErrorsFor("  size: 7\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  size: 3\n"),
              ElementsAre("spec.size: must match exactly one of the 2 oneOf alternatives, "
                          "matched 2"));
  EXPECT_THAT(ErrorsFor("  name: forbidden\n"),
              ElementsAre("spec.name: must not match the `not` schema"));
  EXPECT_THAT(ErrorsFor("  level: custom-1\n"), IsEmpty());
  EXPECT_THAT(ErrorsFor("  level: medium\n"),
              ElementsAre("spec.level: must match at least one of the anyOf alternatives"));
  EXPECT_THAT(ErrorsFor("  both: {a: x}\n"), ElementsAre("spec.both.b: required field is missing"));
}

TEST_F(WidgetCrdTest, AliasCyclesAndAliasBombsAreRefusedBeforeValidation) {
  // The loader (common/yaml_stream) refuses both for every entry point; here they reach
  // validate as an error naming the file, not as findings after a long walk.
  const std::string header =
      "apiVersion: example.edgekit.dev/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n";
  absl::StatusOr<ValidationResult> cyclic =
      registry_.ValidateYaml(header + "  anything: &x {self: *x}\n", "cyclic.yaml", {});
  EXPECT_EQ(cyclic.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cyclic.status().message()),
              HasSubstr("cyclic.yaml:5:23: invalid YAML: an alias refers to a node that "
                        "contains it (a cycle)"));

  std::string bomb = "  anything:\n    l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 7; ++level) {
    const std::string previous = absl::StrCat("*l", level - 1);
    absl::StrAppend(&bomb, "    l", level, ": &l", level, " [", previous);
    for (int i = 1; i < 10; ++i) absl::StrAppend(&bomb, ", ", previous);
    absl::StrAppend(&bomb, "]\n");
  }
  absl::StatusOr<ValidationResult> expanded =
      registry_.ValidateYaml(header + bomb, "bomb.yaml", {});  // 10^8 values once expanded
  EXPECT_EQ(expanded.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(expanded.status().message()),
              StartsWith("bomb.yaml: more than 4000000 YAML nodes"));
}

}  // namespace
}  // namespace edgekit::cli
