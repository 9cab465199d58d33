// Tests for `edgekit validate`: runs the built binary against the real Istio 1.30.3 CRDs
// (../shared/schemas; skipped when absent) and asserts exit codes and the exact
// finding and summary lines on stderr.
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "cli/validate/validation_result.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kIstioCrds = EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml";
const std::string kGatewayApiCrds = EDGEKIT_SHARED_SCHEMAS "/gateway-api-crds.v1.5.1-standard.yaml";

std::string ValidateData(const std::string& name) { return TestDataDir() + "/validate/" + name; }

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kIstioCrds.c_str(), R_OK) != 0) {
      FAIL() << kIstioCrds << " is absent (it lives in ../shared/schemas, next to the "
             << "repository); the validate tests need the Istio CRDs";
    }
  }
};

TEST_F(ValidateTest, ValidVirtualServiceAndEnvoyFilterPass) {
  const std::string file = ValidateData("valid.yaml");
  CommandResult r = RunEdgekit({"validate", "--crds", kIstioCrds, file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, IsEmpty());
  // The trailing `---` is an empty document and not counted; the VirtualService schema
  // carries CEL rules, which run.
  EXPECT_THAT(r.err, ::testing::MatchesRegex(
                         "2 documents checked, 0 errors, 0 warnings; [1-9][0-9]* CEL rule "
                         "evaluations?, 0 transition rules skipped\n"));
}

TEST_F(ValidateTest, UnknownFieldInSecondDocumentFails) {
  const std::string file = ValidateData("unknown_field.yaml");
  CommandResult r = RunEdgekit({"validate", "--crds", kIstioCrds, file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, file +
                       ":22:5: document 2: error: spec.http[0].directResponce: unknown field "
                       "\"directResponce\" (did you mean \"directResponse\"?) [EK0301]\n"
                       "2 documents checked, 1 error, 0 warnings; 0 CEL rule evaluations, 0 "
                       "transition rules skipped\n");
}

TEST_F(ValidateTest, SeveralFilesAreAllCheckedAndSummedUp) {
  const std::string bad = ValidateData("unknown_field.yaml");
  CommandResult r = RunEdgekit({"validate", ValidateData("valid.yaml"), "--crds", kIstioCrds, bad});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(bad + ":22:5: document 2: error: spec.http[0].directResponce"));
  EXPECT_THAT(r.err, HasSubstr("\n4 documents checked, 1 error, 0 warnings; "));
}

TEST_F(ValidateTest, ReadsInputFromStdinAndCrdsFromEnvironment) {
  CommandResult r =
      RunCommand({"env", "EDGEKIT_CRDS=" + kIstioCrds, EdgekitBinary(), "validate", "-"},
                 ValidateData("unknown_field.yaml"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("<stdin>:22:5: document 2: error: spec.http[0].directResponce"));
}

TEST_F(ValidateTest, MissingInputFileIsAnIoError) {
  const std::string missing = MakeTempDir() + "/no-such.yaml";
  CommandResult r =
      RunEdgekit({"validate", "--crds", kIstioCrds, missing, ValidateData("unknown_field.yaml")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr(missing + ": No such file or directory\n"));
  // The other file is still checked, and the I/O error decides the exit code.
  EXPECT_THAT(r.err, HasSubstr("document 2: error: spec.http[0].directResponce"));
  EXPECT_THAT(r.err, HasSubstr("2 documents checked, 1 error, 0 warnings"));
}

TEST_F(ValidateTest, MissingCrdFileIsAnIoError) {
  const std::string missing = MakeTempDir() + "/no-crds.yaml";
  CommandResult r = RunEdgekit({"validate", "--crds", missing, ValidateData("valid.yaml")});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr(missing));
}

TEST_F(ValidateTest, YamlSyntaxErrorIsInvalidInput) {
  const std::string file = MakeTempDir() + "/broken.yaml";
  WriteStringToFile(file, "kind: [unclosed\n");
  CommandResult r = RunEdgekit({"validate", "--crds", kIstioCrds, file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(file + ":"));
  EXPECT_THAT(r.err, HasSubstr("invalid YAML"));
}

// Usage errors need no CRDs, so they run even without ../shared/schemas.
TEST(ValidateUsageTest, WithoutCrdsIsAUsageError) {
  CommandResult r = RunCommand({"env", "-u", "EDGEKIT_CRDS", EdgekitBinary(), "validate",
                                TestDataDir() + "/validate/valid.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--crds FILE"));
  EXPECT_THAT(r.err, HasSubstr("EDGEKIT_CRDS"));
}

TEST(ValidateUsageTest, WithoutInputIsAUsageError) {
  CommandResult r = RunEdgekit({"validate", "--crds", "whatever.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// The four objects the CEL issue names: each passed the OpenAPI check alone and is
// refused by a cluster through a CEL rule; each is an error with the rule's message.
TEST_F(ValidateTest, ObjectsOnlyCelRulesRefuseAreErrors) {
  const struct {
    const char* file;
    const char* finding;
  } kCases[] = {
      {"cel_serviceentry_port_zero.yaml",
       ":12:13: document 1: error: spec.ports[0].number: port must be between 1-65535 [EK0401]"},
      {"cel_virtualservice_timeout.yaml",
       ":15:14: document 1: error: spec.http[0].timeout: must be a valid duration greater than "
       "1ms [EK0401]"},
      {"cel_authorizationpolicy_selector_and_targetref.yaml",
       ":9:3: document 1: error: spec: only one of targetRefs or selector can be set [EK0401]"},
      {"cel_httproute_path_prefix.yaml",
       ":14:13: document 1: error: spec.rules[0].matches[0].path: value must be an absolute "
       "path and start with '/' when type one of ['Exact', 'PathPrefix'] [EK0401]"},
  };
  for (const auto& c : kCases) {
    const std::string file = ValidateData(c.file);
    CommandResult r =
        RunEdgekit({"validate", "--crds", kIstioCrds, "--crds", kGatewayApiCrds, file});
    EXPECT_EQ(r.exit_code, 1) << c.file << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(file + c.finding)) << r.err;
    EXPECT_THAT(r.err, HasSubstr("1 document checked, 1 error, 0 warnings; ")) << r.err;
  }
}

TEST_F(ValidateTest, JsonOutputIsOneObjectPerFindingOnStdout) {
  const std::string file = ValidateData("unknown_field.yaml");
  CommandResult r = RunEdgekit({"validate", "-o", "json", "--crds", kIstioCrds, file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "{\"file\":\"" + file +
                       "\",\"line\":22,\"column\":5,\"document\":2,\"path\":\"spec.http[0]."
                       "directResponce\",\"code\":\"EK0301\",\"severity\":\"error\",\"message\":"
                       "\"unknown field \\\"directResponce\\\" (did you mean "
                       "\\\"directResponse\\\"?)\"}\n");
  // The summary stays on stderr, where it always is.
  EXPECT_THAT(r.err, HasSubstr("2 documents checked, 1 error, 0 warnings; "));
  CommandResult bad = RunEdgekit({"validate", "-o", "xml", "--crds", kIstioCrds, file});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("-o xml: expected text or json"));
}

TEST_F(ValidateTest, SuppressDropsACodeEverywhereOrUnderAPath) {
  const std::string dir = MakeTempDir();
  const std::string file = dir + "/vs.yaml";
  WriteStringToFile(file,
                    "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                    "metadata: {name: vs}\nspec:\n  hosts: [a.example.com]\n  http:\n"
                    "  - route: [{destination: {host: web}}]\n"
                    "  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: a}}]\n"
                    "  - match: [{uri: {prefix: /b}}]\n    route: [{destination: {host: b}}]\n");
  CommandResult all = RunEdgekit({"validate", "--crds", kIstioCrds, file});
  EXPECT_EQ(all.exit_code, 0) << all.err;  // unreachable routes: warnings, Istio takes them
  EXPECT_THAT(all.err, HasSubstr("document 1: warning: spec.http[1]: can never match: "
                                 "spec.http[0] before it matches every request"));
  EXPECT_THAT(all.err, HasSubstr("0 errors, 2 warnings; "));
  CommandResult one =
      RunEdgekit({"validate", "--suppress", "EK0506=spec.http[2]", "--crds", kIstioCrds, file});
  EXPECT_THAT(one.err, HasSubstr("spec.http[1]: can never match"));
  EXPECT_THAT(one.err, ::testing::Not(HasSubstr("spec.http[2]: can never match")));
  EXPECT_THAT(one.err, HasSubstr("0 errors, 1 warning; "));
  EXPECT_THAT(one.err, HasSubstr(", 1 suppressed\n"));
  CommandResult none = RunEdgekit({"validate", "--suppress", "EK0506", "--crds", kIstioCrds, file});
  EXPECT_THAT(none.err, HasSubstr("0 errors, 0 warnings; "));
  // A path prefix matches whole segments only: spec.http[1] is not under spec.http[10].
  CommandResult segment =
      RunEdgekit({"validate", "--suppress", "EK0506=spec.http[", "--crds", kIstioCrds, file});
  EXPECT_THAT(segment.err, HasSubstr("0 errors, 2 warnings; "));
  // --strict makes the warnings errors.
  CommandResult strict = RunEdgekit({"validate", "--strict", "--crds", kIstioCrds, file});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  EXPECT_THAT(strict.err, HasSubstr("document 1: error: spec.http[1]: can never match"));
  EXPECT_THAT(strict.err, HasSubstr("2 errors, 0 warnings; "));

  CommandResult unknown =
      RunEdgekit({"validate", "--suppress", "EK9999", "--crds", kIstioCrds, file});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("--suppress EK9999: unknown code \"EK9999\""));
  CommandResult empty =
      RunEdgekit({"validate", "--suppress", "EK0506=", "--crds", kIstioCrds, file});
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_THAT(empty.err, HasSubstr("--suppress EK0506=: empty PATH after '='"));
}

// The README's table of codes is the list users suppress from: every code, once.
TEST(FindingCodesTest, ReadmeListsEveryCode) {
  const std::string readme = ReadFileToString(std::string(EDGEKIT_SOURCE_DIR) + "/README.md");
  for (const FindingCodeInfo& info : AllFindingCodes()) {
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("| `", info.id, "` | ",
                                               info.refused ? "error" : "warning", " | ")))
        << info.id << " is missing from README.md's \"Finding codes\" table";
  }
}

// ConfigMaps are core objects no CRD describes, and edgekit renders them (a large
// descriptor, a Gateway API Gateway's parameters): validate checks them itself, as the
// API server's ValidateConfigMap does.
TEST_F(ValidateTest, ConfigMapsAreCheckedWithoutACrd) {
  const std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/cm.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                    "data: {\"a/b\": x, c: 1}\nbinaryData: {c: \"!!\"}\nfoo: 1\n---\n"
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"
                    "data: {broker.yaml: \"listen: 127.0.0.1:9191\"}\nbinaryData: {d: AAEC}\n");
  CommandResult r = RunEdgekit({"validate", "--crds", kIstioCrds, dir + "/cm.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string f = dir + "/cm.yaml";
  EXPECT_EQ(r.err, f +
                       ":4:8: document 1: error: data[\"a/b\"]: \"a/b\" is not a config key "
                       "([-._a-zA-Z0-9]+, at most 253) [EK0305]\n" +
                       f +
                       ":4:21: document 1: error: data.c: expected string, got integer 1 "
                       "[EK0302]\n" +
                       f +
                       ":5:14: document 1: error: binaryData.c: \"c\" is in both data and "
                       "binaryData [EK0307]\n" +
                       f +
                       ":5:17: document 1: error: binaryData.c: binaryData values must be "
                       "base64 [EK0305]\n" +
                       f +
                       ":6:1: document 1: error: foo: unknown field \"foo\"; known fields: "
                       "binaryData, data, immutable [EK0301]\n"
                       "2 documents checked, 5 errors, 0 warnings; 0 CEL rule evaluations, 0 "
                       "transition rules skipped\n");
}

}  // namespace
}  // namespace edgekit::cli::testing
