// Tests for `edgekit validate`: runs the built binary against the real Istio 1.30.3 CRDs
// (../shared/schemas; skipped when absent) and asserts exit codes and the exact
// finding and summary lines on stderr.
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kIstioCrds = EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml";

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
  // carries CEL rules, which are counted as not checked.
  EXPECT_THAT(r.err, ::testing::MatchesRegex(
                         "2 documents checked, 0 errors, 0 warnings; [1-9][0-9]* CEL rules? "
                         "not checked \\(edgekit does not run CEL\\)\n"));
}

TEST_F(ValidateTest, UnknownFieldInSecondDocumentFails) {
  const std::string file = ValidateData("unknown_field.yaml");
  CommandResult r = RunEdgekit({"validate", "--crds", kIstioCrds, file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, file +
                       ":22:5: document 2: error: spec.http[0].directResponce: unknown field "
                       "\"directResponce\" (did you mean \"directResponse\"?)\n"
                       "2 documents checked, 1 error, 0 warnings; 0 CEL rules not checked "
                       "(edgekit does not run CEL)\n");
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

}  // namespace
}  // namespace edgekit::cli::testing
