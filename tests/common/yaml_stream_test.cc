// The guarded YAML loader: the inputs that made yaml-cpp 0.7.0 loop or expand without
// bound are errors, in bounded time and memory, and ordinary streams load as before.
#include "common/yaml_stream.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/file_read.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/bounded_run.h"
#include "tests/testing/temp_file.h"

namespace edgekit {
namespace {

using ::edgekit::testing::RunBounded;
using ::edgekit::testing::TempFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

absl::StatusOr<std::vector<YAML::Node>> Parse(const std::string& text,
                                              const YamlLimits& limits = kConfigYamlLimits) {
  return RunBounded(text.substr(0, 40).c_str(),
                    [&] { return ParseYamlStream(text, "in.yaml", limits); });
}

// Levels of anchors, each a list of `fanout` aliases of the level before: a few hundred
// bytes that stand for fanout^levels nodes.
std::string AliasBomb(int levels, int fanout) {
  std::string text = "l0: &l0 [x";
  for (int i = 1; i < fanout; ++i) text += ", x";
  text += "]\n";
  for (int level = 1; level < levels; ++level) {
    absl::StrAppend(&text, "l", level, ": &l", level, " [*l", level - 1);
    for (int i = 1; i < fanout; ++i) absl::StrAppend(&text, ", *l", level - 1);
    text += "]\n";
  }
  return text;
}

TEST(ParseYamlStreamTest, StrayTokenAfterAFlowCollectionIsAnErrorNotALoop) {
  // yaml-cpp 0.7.0's LoadAll never returns on these (each "next document" is a null that
  // consumed nothing); the guard stops at the first document that made no progress.
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {
           Case{"{},", "in.yaml:1:3: invalid YAML: unexpected ',' after the end of a collection"},
           Case{"[],", "in.yaml:1:3: invalid YAML: unexpected ',' after the end of a collection"},
           Case{"{a: b},\n c: d",
                "in.yaml:1:7: invalid YAML: unexpected ',' after the end of a collection"},
           // Stray closing brackets never looped; they stay plain syntax errors.
           Case{"[x]]", "in.yaml:1:4: invalid YAML: illegal flow end"},
           Case{"key: v\n---\n{}}\n", "in.yaml:3:3: invalid YAML: illegal flow end"},
           Case{"key: v\n---\n[a, b],\n", "in.yaml:3:7: invalid YAML: unexpected ','"},
       }) {
    absl::StatusOr<std::vector<YAML::Node>> parsed = Parse(c.text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(Msg(parsed.status()), StartsWith(c.error)) << c.text;
  }
}

TEST(ParseYamlStreamTest, AliasBombIsRefusedByTheNodeCap) {
  const std::string bomb = AliasBomb(10, 10);  // 10^10 nodes once expanded
  ASSERT_LT(bomb.size(), 1000u);
  absl::StatusOr<std::vector<YAML::Node>> parsed = Parse(bomb);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Msg(parsed.status()),
            "in.yaml: more than 1000000 YAML nodes (aliases count as the nodes they stand "
            "for), the most edgekit reads from one input");

  // Aliases below the cap are fine, and counted at their expanded size: 10^5 leaves plus
  // the lists holding them fit in a cap of 200,000 and not in one of 100,000.
  const std::string small = AliasBomb(5, 10);
  EXPECT_TRUE(Parse(small, YamlLimits{1 << 20, 200'000}).ok());
  EXPECT_EQ(Parse(small, YamlLimits{1 << 20, 100'000}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(ParseYamlStreamTest, CyclicAliasIsRefused) {
  for (const char* text : {"&a [*a]", "a: &x {b: *x}", "- &s [1, [2, *s]]"}) {
    absl::StatusOr<std::vector<YAML::Node>> parsed = Parse(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(Msg(parsed.status()), HasSubstr("an alias refers to a node that contains "
                                                "it (a cycle)"))
        << text;
  }
  // Using an anchor after it is complete, even inside a later sibling, is no cycle.
  absl::StatusOr<std::vector<YAML::Node>> ok = Parse("a: &x {b: 1}\nc: [*x, {d: *x}]\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[0]["c"][1]["d"]["b"].as<int>(), 1);
}

TEST(ParseYamlStreamTest, AnchorsDoNotLeakAcrossDocuments) {
  // Anchor numbers restart per document: a size recorded in one must not be charged to
  // an unrelated alias in the next (here the second document's alias is its own).
  const std::string text = AliasBomb(5, 10) + "---\nx: &l0 [1]\ny: [*l0, *l0]\n";
  EXPECT_TRUE(Parse(text, YamlLimits{1 << 20, 200'000}).ok());
}

TEST(ParseYamlStreamTest, OrdinaryStreamsLoadAsBefore) {
  absl::StatusOr<std::vector<YAML::Node>> parsed =
      Parse("a: 1\n---\n# only a comment\n---\n- x\n- y\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0]["a"].as<int>(), 1);
  EXPECT_TRUE((*parsed)[1].IsNull());
  EXPECT_EQ((*parsed)[2][1].as<std::string>(), "y");
  EXPECT_TRUE(Parse("").value().empty());
  // Empty documents between markers make progress and are kept.
  EXPECT_EQ(Parse("---\n---\n---\n").value().size(), 3u);
}

TEST(ParseYamlStreamTest, SyntaxErrorsNameTheSourceAndPosition) {
  absl::StatusOr<std::vector<YAML::Node>> parsed = Parse("a: [1, 2\nb: c\n");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(parsed.status()),
              StartsWith("in.yaml:2:2: invalid YAML: end of sequence flow not found"));
}

TEST(ParseYamlStreamTest, TextOverTheByteCapIsRefused) {
  const std::string big(2048, '#');
  absl::StatusOr<std::vector<YAML::Node>> parsed = Parse(big, YamlLimits{1024, 100});
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadFileCappedTest, StopsReadingAtTheCap) {
  // /dev/zero never ends: without the cap this read would fill memory.
  absl::StatusOr<std::string> zero =
      RunBounded("read /dev/zero", [] { return ReadFileCapped("/dev/zero", 1 << 20); });
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Msg(zero.status()),
            "/dev/zero: larger than 1 MiB, the most edgekit reads from one input");

  TempFile file("capped.yaml", std::string(100, 'x'));
  EXPECT_EQ(ReadFileCapped(file.path(), 100).value().size(), 100u);
  EXPECT_EQ(ReadFileCapped(file.path(), 99).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ReadFileCappedTest, EveryUnreadableInputIsAnIoError) {
  // NotFound, PermissionDenied and Unavailable are the three I/O codes every program maps
  // to its I/O exit code; a directory used to be FailedPrecondition (an "invalid input").
  EXPECT_EQ(ReadFileCapped(::testing::TempDir() + "no-such-file", 1 << 20).status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<std::string> dir = ReadFileCapped(::testing::TempDir(), 1 << 20);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Msg(dir.status()), HasSubstr(": Is a directory"));
}

TEST(ReadYamlFileTest, ReadsUnderTheLimitsAndNamesTheFile) {
  TempFile file("loop.yaml", "{},");
  absl::StatusOr<std::vector<YAML::Node>> parsed =
      RunBounded("ReadYamlFile", [&] { return ReadYamlFile(file.path(), kConfigYamlLimits); });
  EXPECT_THAT(Msg(parsed.status()), StartsWith(file.path() + ":1:3: invalid YAML: "));
}

}  // namespace
}  // namespace edgekit
