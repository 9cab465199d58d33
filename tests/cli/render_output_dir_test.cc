// `edgekit render -o DIR` replaces its set of files as one unit (cli/render/output_dir.h): a
// failure while writing any file leaves the old set byte for byte, other files in DIR
// are kept, and what cannot be replaced as a whole is refused before anything changes.
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::EdgekitBinary;
using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::ListDir;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::ReadFileToString;
using ::edgekit::cli::testing::RunCommand;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ExampleConfigText() {
  return ReadFileToString(EDGEKIT_SOURCE_DIR "/examples/edge/edge.yaml");
}

// Every entry of `dir` (dot files too: staging directories are dot-named) and the
// contents of its files.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const std::string& name : ListDir(dir)) {
    struct stat st;
    const std::string path = dir + "/" + name;
    out[name] = lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? ReadFileToString(path)
                                                                     : "(not a file)";
  }
  return out;
}

TEST(RenderOutputDirTest, AFailedWriteMidwayLeavesTheOldSetByteForByte) {
  const std::string configs = MakeTempDir();
  const std::string parent = MakeTempDir();
  const std::string out = parent + "/out";
  WriteStringToFile(configs + "/old.yaml", ExampleConfigText());
  ASSERT_EQ(RunEdgekit({"render", "-f", configs + "/old.yaml", "-o", out}).exit_code, 0);
  WriteStringToFile(out + "/kustomization.yaml", "resources: [gzip.yaml]\n");
  const std::map<std::string, std::string> before = Snapshot(out);

  // The new config changes gzip.yaml (written first) and makes ext-authz.yaml (written
  // second) too large for a file-size limit of 8 KiB: the second write fails with EFBIG,
  // as it would on a full disk, after gzip.yaml is done.
  std::string text =
      absl::StrReplaceAll(ExampleConfigText(), {{"compression_level: 6", "compression_level: 7"}});
  std::string paths;
  for (int i = 0; i < 400; ++i) absl::StrAppend(&paths, "    - /generated/path/", i, "\n");
  text = absl::StrReplaceAll(text, {{"    - /healthz\n", "    - /healthz\n" + paths}});
  WriteStringToFile(configs + "/new.yaml", text);
  auto unlimited = RunEdgekit({"render", "-f", configs + "/new.yaml"});
  ASSERT_EQ(unlimited.exit_code, 0) << unlimited.err;
  ASSERT_GT(unlimited.out.size(), 16u * 1024);

  auto limited = RunCommand({"sh", "-c", "trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\"",
                             EdgekitBinary(), "render", "-f", configs + "/new.yaml", "-o", out});
  EXPECT_EQ(limited.exit_code, 3) << limited.err;
  EXPECT_THAT(limited.err, HasSubstr("cannot write " + out + "/ext-authz.yaml: File too large"));
  EXPECT_EQ(Snapshot(out), before) << "a mix of old and new files";
  EXPECT_THAT(ListDir(parent), ElementsAre("out")) << "staging directory left behind";

  // Without the limit the whole new set lands, the other file kept.
  auto ok = RunEdgekit({"render", "-f", configs + "/new.yaml", "-o", out});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ReadFileToString(out + "/gzip.yaml"),
              HasSubstr("compression_level: COMPRESSION_LEVEL_7"));
  EXPECT_EQ(ReadFileToString(out + "/kustomization.yaml"), "resources: [gzip.yaml]\n");
  EXPECT_THAT(ListDir(parent), ElementsAre("out"));
}

TEST(RenderOutputDirTest, WorkingDirectoryIsRefusedUntouched) {
  const std::string configs = MakeTempDir();
  WriteStringToFile(configs + "/edge.yaml", ExampleConfigText());
  const std::string out = MakeTempDir() + "/out";
  ASSERT_EQ(RunEdgekit({"render", "-f", configs + "/edge.yaml", "-o", out}).exit_code, 0);
  const auto before = Snapshot(out);
  for (const std::string& dir : {std::string("."), out}) {
    auto result = RunEdgekit({"render", "-f", configs + "/edge.yaml", "-o", dir}, "/dev/null", out);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_THAT(result.err, HasSubstr("this is the working directory or contains it"));
  }
  auto parent = RunEdgekit({"render", "-f", configs + "/edge.yaml", "-o", ".."}, "/dev/null", out);
  EXPECT_EQ(parent.exit_code, 1);
  EXPECT_EQ(Snapshot(out), before);
}

TEST(RenderOutputDirTest, SubdirectoryIsRefusedBeforeAnythingChanges) {
  const std::string configs = MakeTempDir();
  WriteStringToFile(configs + "/edge.yaml", ExampleConfigText());
  const std::string out = MakeTempDir() + "/out";
  ASSERT_EQ(RunEdgekit({"render", "gzip", "-o", out}).exit_code, 0);
  ASSERT_EQ(mkdir((out + "/notes").c_str(), 0755), 0);
  const auto before = Snapshot(out);
  auto result = RunEdgekit({"render", "-f", configs + "/edge.yaml", "-o", out});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr(out + "/notes: -o DIR takes a directory of files: a "
                                          "subdirectory cannot be carried over"));
  EXPECT_EQ(Snapshot(out), before);
}

TEST(RenderOutputDirTest, LinkedOutputDirectoryStaysALink) {
  const std::string configs = MakeTempDir();
  WriteStringToFile(configs + "/edge.yaml", ExampleConfigText());
  const std::string base = MakeTempDir();
  ASSERT_EQ(mkdir((base + "/real").c_str(), 0755), 0);
  ASSERT_EQ(symlink("real", (base + "/link").c_str()), 0);
  auto result = RunEdgekit({"render", "-f", configs + "/edge.yaml", "-o", base + "/link"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  struct stat st;
  ASSERT_EQ(lstat((base + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_TRUE(FileExists(base + "/real/gzip.yaml"));
  ASSERT_EQ(stat((base + "/real").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "the directory keeps its mode";
}

}  // namespace
}  // namespace edgekit::cli
