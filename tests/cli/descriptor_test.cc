// Tests for `edgekit descriptor`: byte-for-byte equality with
// `protoc --include_imports --descriptor_set_out`, base64 output, the built-in
// google/api protos and their precedence, exit codes, error positions, and that a
// failed run never leaves an output file behind.
#include <sys/stat.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "cli/commands/descriptor_command.h"
#include "cli/proto/proto_compiler.h"
#include "common/file_io.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ReadFileToString;
using testing::RunEdgekit;
using testing::RunProtoc;
using testing::TestDataDir;

struct ProtocCase {
  std::string name;
  std::vector<std::string> include_dirs;  // relative to testdata; "." is testdata
  std::vector<std::string> inputs;        // as typed; "@" expands to the testdata path
  bool source_info = false;
  bool protoc_spellings = false;  // --proto_path=, --descriptor_set_out=, --include_imports
};

// Names the case in failure messages instead of dumping its bytes.
void PrintTo(const ProtocCase& c, std::ostream* os) { *os << c.name; }

std::string Expand(const std::string& value) {
  if (value == ".") return TestDataDir();
  if (!value.empty() && value[0] == '@') return TestDataDir() + value.substr(1);
  return TestDataDir() + "/" + value;
}

class MatchesProtocTest : public ::testing::TestWithParam<ProtocCase> {};

// The contract Envoy relies on: what we write is exactly what protoc writes.
TEST_P(MatchesProtocTest, ByteForByte) {
  const ProtocCase& c = GetParam();
  std::string dir = testing::MakeTempDir();
  std::string builtin = testing::BuiltinGoogleApiCopy();

  std::vector<std::string> edgekit_args = {"descriptor"};
  std::vector<std::string> protoc_args;
  for (const std::string& include : c.include_dirs) {
    if (c.protoc_spellings) {
      edgekit_args.push_back("--proto_path=" + Expand(include));
    } else {
      edgekit_args.insert(edgekit_args.end(), {"-I", Expand(include)});
    }
    protoc_args.push_back("-I" + Expand(include));
  }
  // protoc gets the built-in google/api files last on its path: both tools then see
  // identical sources, and a copy earlier on the path wins for both.
  protoc_args.push_back("-I" + builtin);
  protoc_args.push_back("--include_imports");
  if (c.source_info) {
    edgekit_args.push_back("--include_source_info");
    protoc_args.push_back("--include_source_info");
  }
  if (c.protoc_spellings) {
    edgekit_args.push_back("--include_imports");
    edgekit_args.push_back("--descriptor_set_out=" + dir + "/edgekit.pb");
  } else {
    edgekit_args.insert(edgekit_args.end(), {"-o", dir + "/edgekit.pb"});
  }
  protoc_args.push_back("--descriptor_set_out=" + dir + "/protoc.pb");
  for (const std::string& input : c.inputs) {
    std::string arg = input[0] == '@' ? Expand(input) : input;
    edgekit_args.push_back(arg);
    protoc_args.push_back(arg);
  }

  testing::CommandResult protoc = RunProtoc(protoc_args);
  ASSERT_EQ(protoc.exit_code, 0) << protoc.err;
  testing::CommandResult edgekit = RunEdgekit(edgekit_args);
  ASSERT_EQ(edgekit.exit_code, 0) << edgekit.err;
  EXPECT_EQ(edgekit.out, "");

  std::string expected = ReadFileToString(dir + "/protoc.pb");
  std::string actual = ReadFileToString(dir + "/edgekit.pb");
  ASSERT_FALSE(expected.empty());
  // Compare parsed first: on a mismatch the message diff says where.
  FileDescriptorSet expected_set;
  FileDescriptorSet actual_set;
  ASSERT_TRUE(expected_set.ParseFromString(expected));
  ASSERT_TRUE(actual_set.ParseFromString(actual));
  EXPECT_EQ(actual_set.DebugString(), expected_set.DebugString());
  EXPECT_TRUE(actual == expected) << "descriptor sets differ in bytes";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MatchesProtocTest,
    ::testing::Values(
        ProtocCase{"Helloworld", {"."}, {"helloworld.proto"}},
        ProtocCase{"SeveralInputsSharingImports",
                   {"."},
                   {"library/v1/library.proto", "helloworld.proto", "library/v1/book.proto"}},
        ProtocCase{"SourceInfo",
                   {"."},
                   {"helloworld.proto", "library/v1/library.proto"},
                   /*source_info=*/true},
        ProtocCase{"DiskPathInputs", {"."}, {"@/library/v1/library.proto", "@/helloworld.proto"}},
        ProtocCase{"ProtocSpellings",
                   {"."},
                   {"library/v1/library.proto"},
                   /*source_info=*/true,
                   /*protoc_spellings=*/true},
        ProtocCase{"UserAnnotationsOnIncludePath", {".", "user_google_api"}, {"helloworld.proto"}},
        ProtocCase{"BuiltinFileAsInput", {"."}, {"google/api/annotations.proto"}}),
    [](const ::testing::TestParamInfo<ProtocCase>& test) { return test.param.name; });

std::vector<std::string> FileNames(const FileDescriptorSet& set) {
  std::vector<std::string> names;
  for (const FileDescriptorProto& file : set.file()) names.push_back(file.name());
  return names;
}

const FileDescriptorProto* FindFile(const FileDescriptorSet& set, const std::string& name) {
  for (const FileDescriptorProto& file : set.file()) {
    if (file.name() == name) return &file;
  }
  return nullptr;
}

TEST(CompileProtosTest, DependenciesComeFirstInProtocOrder) {
  CompileOptions options;
  options.proto_paths = {TestDataDir()};
  options.inputs = {"library/v1/library.proto"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(FileNames(*set),
              ElementsAre("google/api/http.proto", "google/protobuf/descriptor.proto",
                          "google/api/annotations.proto", "google/protobuf/empty.proto",
                          "google/protobuf/field_mask.proto", "google/protobuf/timestamp.proto",
                          "google/protobuf/wrappers.proto", "library/v1/book.proto",
                          "library/v1/options.proto", "library/v1/library.proto"));
  // protoc always writes json_name; Envoy's transcoder names JSON fields with it.
  const FileDescriptorProto* book = FindFile(*set, "library/v1/book.proto");
  ASSERT_NE(book, nullptr);
  EXPECT_EQ(book->message_type(0).field(3).json_name(), "authorDisplayName");
  EXPECT_EQ(book->message_type(0).field(4).json_name(), "isbn13");
  EXPECT_FALSE(book->has_source_code_info());
}

TEST(CompileProtosTest, SourceInfoOnlyWhenAsked) {
  CompileOptions options;
  options.proto_paths = {TestDataDir()};
  options.inputs = {"helloworld.proto"};
  options.include_source_info = true;
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  const FileDescriptorProto* hello = FindFile(*set, "helloworld.proto");
  ASSERT_NE(hello, nullptr);
  ASSERT_TRUE(hello->has_source_code_info());
  bool found_comment = false;
  for (const auto& location : hello->source_code_info().location()) {
    if (location.leading_comments() == " Sends a greeting.\n") found_comment = true;
  }
  EXPECT_TRUE(found_comment);
}

TEST(CompileProtosTest, BuiltinGoogleApiMatchesWireContract) {
  CompileOptions options;
  options.inputs = {"google/api/annotations.proto"};
  options.proto_paths = {testing::MakeTempDir()};  // an include path without google/api
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  const FileDescriptorProto* http = FindFile(*set, "google/api/http.proto");
  const FileDescriptorProto* annotations = FindFile(*set, "google/api/annotations.proto");
  ASSERT_NE(http, nullptr);
  ASSERT_NE(annotations, nullptr);
  EXPECT_EQ(http->package(), "google.api");
  ASSERT_EQ(annotations->extension_size(), 1);
  EXPECT_EQ(annotations->extension(0).name(), "http");
  EXPECT_EQ(annotations->extension(0).number(), 72295728);
  EXPECT_EQ(annotations->extension(0).extendee(), ".google.protobuf.MethodOptions");
  EXPECT_EQ(annotations->extension(0).type_name(), ".google.api.HttpRule");

  std::map<std::string, std::map<std::string, int>> numbers;
  for (const auto& message : http->message_type()) {
    for (const auto& field : message.field())
      numbers[message.name()][field.name()] = field.number();
  }
  EXPECT_EQ(numbers["HttpRule"], (std::map<std::string, int>{{"selector", 1},
                                                             {"get", 2},
                                                             {"put", 3},
                                                             {"post", 4},
                                                             {"delete", 5},
                                                             {"patch", 6},
                                                             {"custom", 8},
                                                             {"body", 7},
                                                             {"response_body", 12},
                                                             {"additional_bindings", 11}}));
  EXPECT_EQ(numbers["CustomHttpPattern"], (std::map<std::string, int>{{"kind", 1}, {"path", 2}}));
  EXPECT_EQ(numbers["Http"],
            (std::map<std::string, int>{{"rules", 1}, {"fully_decode_reserved_expansion", 2}}));
}

TEST(CompileProtosTest, UserGoogleApiOnIncludePathWinsOverBuiltin) {
  CompileOptions options;
  options.inputs = {"helloworld.proto"};
  // The user's directory comes after testdata: any include directory beats the
  // built-ins, whatever its position.
  options.proto_paths = {TestDataDir(), TestDataDir() + "/user_google_api"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  const FileDescriptorProto* annotations = FindFile(*set, "google/api/annotations.proto");
  ASSERT_NE(annotations, nullptr);
  ASSERT_EQ(annotations->message_type_size(), 1);
  EXPECT_EQ(annotations->message_type(0).name(), "UserProvidedMarker");
  EXPECT_EQ(annotations->options().java_package(), "com.example.userprovided");
  // The user did not provide http.proto: that one still comes from the built-ins.
  EXPECT_NE(FindFile(*set, "google/api/http.proto"), nullptr);

  // Without the user's directory, the built-in file is used.
  options.proto_paths = {TestDataDir()};
  set = CompileProtos(options);
  ASSERT_TRUE(set.ok()) << set.status();
  annotations = FindFile(*set, "google/api/annotations.proto");
  ASSERT_NE(annotations, nullptr);
  EXPECT_EQ(annotations->message_type_size(), 0);
  EXPECT_FALSE(annotations->options().has_java_package());
}

TEST(CompileProtosTest, ColonListsAndVirtualMappingsAsInProtoc) {
  CompileOptions options;
  options.inputs = {"lib/v1/library.proto"};
  // "lib=<testdata>/library" maps the directory under another virtual name; the
  // colon list gives two directories in one value.
  options.proto_paths = {TestDataDir() + "/user_google_api:" + TestDataDir(),
                         "lib=" + TestDataDir() + "/library"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  // library.proto imports "library/v1/book.proto", found through the plain mapping.
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_NE(FindFile(*set, "lib/v1/library.proto"), nullptr);
  EXPECT_EQ(FindFile(*set, "google/api/annotations.proto")->message_type(0).name(),
            "UserProvidedMarker");
}

TEST(CompileProtosTest, WarnsAboutMissingIncludeDirectory) {
  std::ostringstream warnings;
  CompileOptions options;
  options.inputs = {"helloworld.proto"};
  options.proto_paths = {TestDataDir(), "/nonexistent/edgekit/include"};
  options.warnings = &warnings;
  ASSERT_TRUE(CompileProtos(options).ok());
  EXPECT_EQ(warnings.str(), "/nonexistent/edgekit/include: warning: directory does not exist.\n");
}

TEST(CompileProtosTest, ErrorsCarryFileLineAndColumn) {
  CompileOptions options;
  options.proto_paths = {TestDataDir()};
  options.inputs = {"broken.proto"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(), TestDataDir() + "/broken.proto:8:3: Expected \";\".");

  options.inputs = {"undefined_type.proto"};
  set = CompileProtos(options);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(),
            TestDataDir() + "/undefined_type.proto:7:3: \"Missing\" is not defined.");
}

TEST(CompileProtosTest, InputOutsideEveryIncludeDirectoryIsRejected) {
  CompileOptions options;
  options.proto_paths = {TestDataDir() + "/library"};
  options.inputs = {TestDataDir() + "/helloworld.proto"};
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(options);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(set.status().message(), HasSubstr("not inside any include directory"));
}

TEST(DescriptorCommandTest, Base64IsTheBinaryEncoded) {
  std::string dir = testing::MakeTempDir();
  std::string include = "-I" + TestDataDir();
  ASSERT_EQ(
      RunEdgekit({"descriptor", include, "helloworld.proto", "-o", dir + "/set.pb"}).exit_code, 0);
  testing::CommandResult file =
      RunEdgekit({"descriptor", include, "helloworld.proto", "--base64", "-o", dir + "/set.b64"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  testing::CommandResult stdout_result =
      RunEdgekit({"descriptor", include, "helloworld.proto", "--base64", "-o", "-"});
  ASSERT_EQ(stdout_result.exit_code, 0) << stdout_result.err;

  std::string binary = ReadFileToString(dir + "/set.pb");
  ASSERT_FALSE(binary.empty());
  std::string expected = absl::Base64Escape(binary) + "\n";
  EXPECT_EQ(ReadFileToString(dir + "/set.b64"), expected);
  EXPECT_EQ(stdout_result.out, expected);
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(stdout_result.out, &decoded));
  EXPECT_TRUE(decoded == binary);
}

TEST(DescriptorCommandTest, DashWritesBinaryToStdout) {
  std::string dir = testing::MakeTempDir();
  ASSERT_EQ(
      RunEdgekit({"descriptor", "-I", TestDataDir(), "helloworld.proto", "-o", dir + "/set.pb"})
          .exit_code,
      0);
  testing::CommandResult result =
      RunEdgekit({"descriptor", "-I", TestDataDir(), "helloworld.proto", "-o", "-"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out == ReadFileToString(dir + "/set.pb"));
}

TEST(DescriptorCommandTest, WorksFromAnyWorkingDirectory) {
  // Relative include path resolved against the working directory, and the built-in
  // google/api files found without the source tree being the working directory.
  std::string dir = testing::MakeTempDir();
  testing::CommandResult result = RunEdgekit(
      {"descriptor", "helloworld.proto", "-o", dir + "/set.pb"}, "/dev/null", TestDataDir());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(ReadFileToString(dir + "/set.pb")));
  EXPECT_THAT(FileNames(set),
              ElementsAre("google/api/http.proto", "google/protobuf/descriptor.proto",
                          "google/api/annotations.proto", "helloworld.proto"));
}

TEST(DescriptorCommandTest, MissingInputIsAnIoErrorNamingTheFile) {
  std::string dir = testing::MakeTempDir();
  testing::CommandResult result =
      RunEdgekit({"descriptor", "-I", TestDataDir(), "no_such_file.proto", "-o", dir + "/set.pb"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("no_such_file.proto"));
  EXPECT_THAT(result.err, HasSubstr("No such file or directory"));
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(testing::ListDir(dir), IsEmpty());
}

TEST(DescriptorCommandTest, SyntaxErrorIsInvalidInputWithPosition) {
  std::string dir = testing::MakeTempDir();
  testing::CommandResult result =
      RunEdgekit({"descriptor", "-I", TestDataDir(), "broken.proto", "-o", dir + "/set.pb"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, TestDataDir() + "/broken.proto:8:3: Expected \";\".\n");
  EXPECT_THAT(testing::ListDir(dir), IsEmpty());
}

TEST(DescriptorCommandTest, RelativeIncludeGivesRelativeErrorPaths) {
  testing::CommandResult result =
      RunEdgekit({"descriptor", "broken.proto", "-o", "-"}, "/dev/null", TestDataDir());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "broken.proto:8:3: Expected \";\".\n");
  EXPECT_EQ(result.out, "");
}

TEST(DescriptorCommandTest, MissingImportIsInvalidInput) {
  testing::CommandResult result =
      RunEdgekit({"descriptor", "-I", TestDataDir(), "missing_import.proto", "-o", "-"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("does/not/exist.proto: File not found."));
  EXPECT_THAT(result.err, HasSubstr(TestDataDir() + "/missing_import.proto:6:1: Import "
                                                    "\"does/not/exist.proto\" was not found"));
}

TEST(DescriptorCommandTest, FailureLeavesExistingOutputUntouched) {
  std::string dir = testing::MakeTempDir();
  testing::WriteStringToFile(dir + "/set.pb", "previous contents");
  testing::CommandResult result =
      RunEdgekit({"descriptor", "-I", TestDataDir(), "broken.proto", "-o", dir + "/set.pb"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(ReadFileToString(dir + "/set.pb"), "previous contents");
  EXPECT_THAT(testing::ListDir(dir), ElementsAre("set.pb"));
}

TEST(DescriptorCommandTest, UnwritableOutputIsAnIoError) {
  std::string dir = testing::MakeTempDir();
  testing::CommandResult result = RunEdgekit(
      {"descriptor", "-I", TestDataDir(), "helloworld.proto", "-o", dir + "/no/such/dir/set.pb"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("cannot write " + dir + "/no/such/dir/set.pb"));
  EXPECT_THAT(testing::ListDir(dir), IsEmpty());
}

TEST(DescriptorCommandTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"descriptor", "helloworld.proto", "-o", "-", "--no-such-flag"},
           {"descriptor", "helloworld.proto"},  // no -o
           {"descriptor", "-o", "-"},           // no input
           {"no-such-command"},
           {}}) {
    testing::CommandResult result = RunEdgekit(args, "/dev/null", TestDataDir());
    EXPECT_EQ(result.exit_code, 2)
        << testing::ShellQuote(args.empty() ? "" : args.back()) << ": " << result.err;
    EXPECT_NE(result.err, "");
    EXPECT_EQ(result.out, "");
  }
}

TEST(DescriptorCommandTest, InProcessRunWritesTheSameBytes) {
  std::string dir = testing::MakeTempDir();
  std::ostringstream out;
  std::ostringstream err;
  DescriptorOptions options;
  options.inputs = {"library/v1/library.proto"};
  options.proto_paths = {TestDataDir()};
  options.output = "-";
  options.out = &out;
  options.err = &err;
  ASSERT_TRUE(RunDescriptor(options).ok());
  options.output = dir + "/set.pb";
  ASSERT_TRUE(RunDescriptor(options).ok());
  EXPECT_TRUE(out.str() == ReadFileToString(dir + "/set.pb"));
  EXPECT_EQ(err.str(), "");
}

TEST(WriteFileAtomicallyTest, ReplacesContentsAndFollowsUmask) {
  std::string dir = testing::MakeTempDir();
  std::string path = dir + "/out.bin";
  testing::WriteStringToFile(path, "old old old old");
  mode_t old_mask = umask(022);
  absl::Status status = WriteFileAtomically(path, std::string("new\0bytes", 9));
  umask(old_mask);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ReadFileToString(path), std::string("new\0bytes", 9));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_THAT(testing::ListDir(dir), ElementsAre("out.bin"));
}

TEST(WriteFileAtomicallyTest, MissingDirectoryIsNotFound) {
  absl::Status status = WriteFileAtomically("/nonexistent/edgekit/out.bin", "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/edgekit/out.bin"));
}

}  // namespace
}  // namespace edgekit::cli
