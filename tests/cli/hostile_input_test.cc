// The CLI end to end on inputs an attacker or an accident would give it: every
// unreadable input is exit 3 whichever command reads it, inputs that used to loop or
// explode end at once with exit 1 naming the file, and oversized inputs are refused
// before they are read whole.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::TestDataDir;
using ::edgekit::cli::testing::WriteStringToFile;
using ::testing::HasSubstr;

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

TEST(HostileInputTest, EveryUnreadableInputIsExitThree) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  const std::string missing = dir + "/missing.yaml";
  const std::string proto = TestDataDir() + "/helloworld.proto";
  // Each command with a directory, then a missing file, where it reads its input.
  for (const std::string& input : {dir, missing}) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"render", "-f", input},
             {"validate", "--crds", CrdFile(), input},
             {"validate", "--crds", input, CrdFile()},
             {"descriptor", input, "-o", dir + "/out.pb"},
             {"routes", input},
             {"routes", "--descriptor", input},
         }) {
      auto result = RunEdgekit(args);
      EXPECT_EQ(result.exit_code, 3) << ::testing::PrintToString(args) << "\n" << result.err;
      EXPECT_THAT(result.err, HasSubstr(input)) << ::testing::PrintToString(args);
    }
  }
}

TEST(HostileInputTest, LoopingAndExplodingYamlEndsAtOnceWithExitOne) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  struct Case {
    std::string text;
    std::string error;
  };
  for (const Case& c :
       {Case{"{},", ":1:3: invalid YAML: unexpected ','"},
        Case{"[],", ":1:3: invalid YAML: unexpected ','"},
        Case{"{a: b},\n c: d", ":1:7: invalid YAML: unexpected ','"}, Case{bomb, ": more than "}}) {
    const std::string file = dir + "/hostile.yaml";
    WriteStringToFile(file, c.text);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"render", "-f", file},
             {"validate", "--crds", CrdFile(), file},
             {"validate", "--crds", file, CrdFile()},
         }) {
      auto result = RunEdgekit(args);
      EXPECT_EQ(result.exit_code, 1) << ::testing::PrintToString(args) << "\n" << result.err;
      EXPECT_THAT(result.err, HasSubstr(file + c.error)) << ::testing::PrintToString(args);
    }
  }
}

TEST(HostileInputTest, EndlessInputIsRefusedAtTheSizeCap) {
  auto render = RunEdgekit({"render", "-f", "/dev/zero"});
  EXPECT_EQ(render.exit_code, 1);
  EXPECT_THAT(render.err, HasSubstr("/dev/zero: larger than 8 MiB"));
  if (!FileExists(CrdFile())) return;
  auto validate = RunEdgekit({"validate", "--crds", CrdFile(), "/dev/zero"});
  EXPECT_EQ(validate.exit_code, 1);
  EXPECT_THAT(validate.err, HasSubstr("/dev/zero: larger than 64 MiB"));
}

}  // namespace
}  // namespace edgekit::cli
