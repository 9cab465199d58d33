// Tests for `edgekit version` and `edgekit --version`.
#include <sstream>

#include "cli/commands/version_command.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

TEST(VersionTest, PrintsProjectVersion) {
  EXPECT_EQ(VersionString(), "edgekit 0.1.0");
  std::ostringstream out;
  ASSERT_TRUE(RunVersion({&out}).ok());
  EXPECT_EQ(out.str(), "edgekit 0.1.0\n");
}

TEST(VersionTest, SubcommandAndFlag) {
  for (const char* arg : {"version", "--version"}) {
    testing::CommandResult result = testing::RunEdgekit({arg});
    EXPECT_EQ(result.exit_code, 0) << arg;
    EXPECT_EQ(result.out, "edgekit 0.1.0\n") << arg;
    EXPECT_EQ(result.err, "") << arg;
  }
}

}  // namespace
}  // namespace edgekit::cli
