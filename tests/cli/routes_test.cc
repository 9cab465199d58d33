// Tests for `edgekit routes`: golden text and JSON listings, the same listing from
// .proto files and from descriptor sets (ours, protoc's, base64, stdin), and errors.
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands/routes_command.h"
#include "cli/proto/http_routes.h"
#include "cli/proto/proto_compiler.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

using ::google::protobuf::FileDescriptorSet;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ReadFileToString;
using testing::RunEdgekit;
using testing::TestDataDir;

const std::vector<std::string> kInputs = {"helloworld.proto", "library/v1/library.proto"};

std::vector<std::string> RoutesArgs(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"routes", "-I", TestDataDir()};
  args.insert(args.end(), kInputs.begin(), kInputs.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Writes the descriptor set of kInputs made by protoc (reference) or by edgekit.
std::string MakeDescriptorSet(bool with_protoc, const std::vector<std::string>& extra = {}) {
  std::string path = testing::MakeTempDir() + "/set.pb";
  std::vector<std::string> args;
  testing::CommandResult result;
  if (with_protoc) {
    args = {"-I" + TestDataDir(), "-I" + testing::BuiltinGoogleApiCopy(), "--include_imports",
            "--descriptor_set_out=" + path};
    args.insert(args.end(), kInputs.begin(), kInputs.end());
    result = testing::RunProtoc(args);
  } else {
    args = {"descriptor", "-I", TestDataDir(), "-o", path};
    args.insert(args.end(), kInputs.begin(), kInputs.end());
    args.insert(args.end(), extra.begin(), extra.end());
    result = RunEdgekit(args);
  }
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return path;
}

TEST(RoutesCommandTest, TextMatchesGolden) {
  testing::CommandResult result = RunEdgekit(RoutesArgs({}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  testing::ExpectMatchesGolden(result.out, "routes.golden.txt");
}

TEST(RoutesCommandTest, JsonMatchesGolden) {
  testing::CommandResult result = RunEdgekit(RoutesArgs({"--output", "json"}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  testing::ExpectMatchesGolden(result.out, "routes.golden.json");
}

TEST(RoutesCommandTest, DescriptorSetsGiveTheSameListingAsProtos) {
  for (const char* format : {"text", "json"}) {
    testing::CommandResult from_protos = RunEdgekit(RoutesArgs({"--output", format}));
    ASSERT_EQ(from_protos.exit_code, 0) << from_protos.err;
    ASSERT_NE(from_protos.out, "");
    for (bool with_protoc : {false, true}) {
      std::string set = MakeDescriptorSet(with_protoc);
      testing::CommandResult from_set =
          RunEdgekit({"routes", "--descriptor", set, "--output", format});
      ASSERT_EQ(from_set.exit_code, 0) << from_set.err;
      EXPECT_EQ(from_set.out, from_protos.out) << format << (with_protoc ? " protoc" : " edgekit");
      // Through stdin, as in `edgekit descriptor ... -o - | edgekit routes --descriptor -`.
      testing::CommandResult from_stdin =
          RunEdgekit({"routes", "--descriptor", "-", "--output", format}, set);
      ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
      EXPECT_EQ(from_stdin.out, from_protos.out);
    }
  }
}

TEST(RoutesCommandTest, AcceptsBase64DescriptorAndSourceInfo) {
  testing::CommandResult expected = RunEdgekit(RoutesArgs({}));
  ASSERT_EQ(expected.exit_code, 0);
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--base64"}, std::vector<std::string>{"--include_source_info"}}) {
    std::string set = MakeDescriptorSet(/*with_protoc=*/false, extra);
    testing::CommandResult result = RunEdgekit({"routes", "--descriptor", set});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, expected.out) << extra[0];
  }
}

TEST(ListHttpRoutesTest, ReadsEveryPatternAndAdditionalBinding) {
  CompileOptions options;
  options.proto_paths = {TestDataDir()};
  options.inputs = {"library/v1/library.proto"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<std::vector<HttpRoute>> routes = ListHttpRoutes(*set);
  ASSERT_TRUE(routes.ok()) << routes.status();
  const std::string lib = "example.library.v1.Library/";
  EXPECT_THAT(
      *routes,
      ElementsAre(
          HttpRoute{lib + "GetBook", "GET", "/v1/{name=shelves/*/books/*}", "", "", false},
          HttpRoute{lib + "GetBook", "GET", "/v1/books/{name}", "", "", true},
          HttpRoute{lib + "ListBooks", "GET", "/v1/{parent=shelves/*}/books", "", "", false},
          HttpRoute{lib + "CreateBook", "POST", "/v1/{parent=shelves/*}/books", "book", "", false},
          HttpRoute{lib + "CreateBook", "PUT", "/v1/{parent=shelves/*}/books/{book.id}", "book", "",
                    true},
          HttpRoute{lib + "CreateBook", "POST", "/v1/books", "*", "", true},
          HttpRoute{lib + "UpdateBook", "PATCH", "/v1/{book.name=shelves/*/books/*}", "book", "",
                    false},
          HttpRoute{lib + "DeleteBook", "DELETE", "/v1/{name=shelves/*/books/*}", "", "", false},
          HttpRoute{lib + "CheckBook", "HEAD", "/v1/{name=shelves/*/books/*}", "", "", false},
          HttpRoute{lib + "ExportBook", "POST", "/v1/{name=shelves/*/books/*}:export", "*",
                    "content", false}));
}

TEST(ListHttpRoutesTest, UserAnnotationsWithTheSameNumbersWork) {
  CompileOptions options;
  options.proto_paths = {TestDataDir() + "/user_google_api", TestDataDir()};
  options.inputs = {"helloworld.proto"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<std::vector<HttpRoute>> routes = ListHttpRoutes(*set);
  ASSERT_TRUE(routes.ok()) << routes.status();
  EXPECT_THAT(*routes, ElementsAre(HttpRoute{"helloworld.Greeter/SayHello", "POST", "/say", "*", "",
                                             false}));
}

TEST(FormatRoutesTest, JsonEscapesStrings) {
  std::vector<HttpRoute> routes = {{"a.B/C", "GET", "/x/\"q\"\\\x01", "", "", false}};
  EXPECT_THAT(FormatRoutesJson(routes), HasSubstr(R"("path": "/x/\"q\"\\\u0001",)"));
  EXPECT_EQ(FormatRoutesJson({}), "{\n  \"routes\": []\n}\n");
  EXPECT_EQ(FormatRoutesText({}), "");
}

TEST(RoutesCommandTest, NoBindingsIsEmptyOutputWithWarning) {
  testing::CommandResult result = RunEdgekit({"routes", "-I", TestDataDir(), "no_http.proto"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "warning: no google.api.http bindings found\n");
}

TEST(RoutesCommandTest, DescriptorWithoutImportsIsInvalidInput) {
  std::string path = testing::MakeTempDir() + "/set.pb";
  testing::CommandResult protoc =
      testing::RunProtoc({"-I" + TestDataDir(), "-I" + testing::BuiltinGoogleApiCopy(),
                          "--descriptor_set_out=" + path, "helloworld.proto"});
  ASSERT_EQ(protoc.exit_code, 0) << protoc.err;
  testing::CommandResult result = RunEdgekit({"routes", "--descriptor", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("lacks google/api/annotations.proto"));
  EXPECT_THAT(result.err, HasSubstr("--include_imports"));
}

TEST(RoutesCommandTest, Errors) {
  std::string dir = testing::MakeTempDir();
  testing::WriteStringToFile(dir + "/garbage.pb", "this is not a descriptor set \xff\xff");

  testing::CommandResult missing = RunEdgekit({"routes", "--descriptor", dir + "/none.pb"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr(dir + "/none.pb"));

  testing::CommandResult garbage = RunEdgekit({"routes", "--descriptor", dir + "/garbage.pb"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_THAT(garbage.err, HasSubstr("not a FileDescriptorSet"));

  testing::CommandResult broken = RunEdgekit({"routes", "-I", TestDataDir(), "broken.proto"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(broken.err, TestDataDir() + "/broken.proto:8:3: Expected \";\".\n");

  // Usage: both inputs, neither, a bad format.
  EXPECT_EQ(RunEdgekit({"routes", "--descriptor", dir + "/none.pb", "x.proto"}).exit_code, 2);
  EXPECT_EQ(RunEdgekit({"routes"}).exit_code, 2);
  EXPECT_EQ(RunEdgekit(RoutesArgs({"--output", "yaml"})).exit_code, 2);
}

TEST(RoutesCommandTest, InProcessRunMatchesBinary) {
  std::ostringstream out;
  std::ostringstream err;
  RoutesOptions options;
  options.inputs = kInputs;
  options.proto_paths = {TestDataDir()};
  options.out = &out;
  options.err = &err;
  ASSERT_TRUE(RunRoutes(options).ok());
  EXPECT_EQ(out.str(), RunEdgekit(RoutesArgs({})).out);
  EXPECT_EQ(err.str(), "");
}

}  // namespace
}  // namespace edgekit::cli
