// The google.api.http checks: templates Envoy's transcoder accepts pass, the ones it
// refuses (and bodies naming fields that do not exist) are errors naming why, and
// `edgekit routes` / `render` refuse such a binding instead of rendering it.
#include "cli/proto/http_rule_check.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;
using ::testing::HasSubstr;

class HttpRuleCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(
          name: "shelf.proto"
          package: "t"
          syntax: "proto3"
          message_type {
            name: "Book"
            field { name: "id" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
            field { name: "title" number: 2 type: TYPE_STRING label: LABEL_OPTIONAL }
          }
          message_type {
            name: "Request"
            field { name: "name" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
            field {
              name: "book"
              number: 2
              type: TYPE_MESSAGE
              type_name: ".t.Book"
              label: LABEL_OPTIONAL
            }
            field { name: "tags" number: 3 type: TYPE_STRING label: LABEL_REPEATED }
            field {
              name: "books"
              number: 4
              type: TYPE_MESSAGE
              type_name: ".t.Book"
              label: LABEL_REPEATED
            }
          }
        )pb",
        &file));
    ASSERT_NE(pool_.BuildFile(file), nullptr);
    request_ = pool_.FindMessageTypeByName("t.Request");
    book_ = pool_.FindMessageTypeByName("t.Book");
  }

  std::string PathError(const std::string& path) {
    return std::string(CheckPathTemplate(path, *request_).message());
  }

  google::protobuf::DescriptorPool pool_;
  const google::protobuf::Descriptor* request_ = nullptr;
  const google::protobuf::Descriptor* book_ = nullptr;
};

TEST_F(HttpRuleCheckTest, TemplatesTheTranscoderAcceptsPass) {
  for (const char* path : {"/", "/v1/books", "/v1/{name}", "/v1/{name=shelves/*/books/*}",
                           "/v1/{book.id}", "/v1/{name=**}", "/v1/{name=**}/raw", "/v1/*/x:cancel",
                           "/v1/a=b", "/v1/a*b", "/v1/{name}:get", "/v1/**"}) {
    EXPECT_TRUE(CheckPathTemplate(path, *request_).ok()) << path << ": " << PathError(path);
  }
}

TEST_F(HttpRuleCheckTest, TemplatesTheTranscoderRefusesAreErrors) {
  struct Case {
    const char* path;
    const char* error;
  };
  for (const Case& c : {
           Case{"no-slash{", "must start with '/'"},
           Case{"", "must start with '/'"},
           Case{"/v1//x", "unexpected '/' at offset 4"},
           Case{"/v1/", "empty segment at the end"},
           Case{"/v1/{name", "variable \"name\" is not closed by '}'"},
           Case{"/v1/{name=a/{book.id}}", "a variable cannot contain another variable"},
           Case{"/v1/**/*", "only literal segments may follow '**'"},
           Case{"/v1/{name=**}/{book.id}", "only literal segments may follow '**'"},
           Case{"/v1/x:", "':' must be followed by a verb"},
           Case{"/v1/x:a:b", "unexpected ':' at offset 7"},
           Case{"/v1/}", "unexpected '}' at offset 4"},
           Case{"/v1/*x", "unexpected 'x' at offset 5"},
           Case{"/v1/{nosuch}", "variable \"nosuch\": t.Request has no field \"nosuch\""},
           Case{"/v1/{book.nosuch}", "t.Book has no field \"nosuch\""},
           Case{"/v1/{name.x}", "t.Request.name is not a message, it has no \"x\""},
           Case{"/v1/{tags}", "variable \"tags\" is a repeated or map field"},
           Case{"/v1/{books.id}", "t.Request.books is repeated"},
           Case{"/v1/{}", "\"\" is not a field path"},
       }) {
    const absl::Status status = CheckPathTemplate(c.path, *request_);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.path;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(absl::StrCat("path template \"", c.path, "\": ", "")))
        << c.path;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.error)) << c.path;
  }
}

TEST_F(HttpRuleCheckTest, BodyAndResponseBodyNameRealFields) {
  EXPECT_TRUE(CheckBodyFields("", "", *request_, *book_).ok());
  EXPECT_TRUE(CheckBodyFields("*", "title", *request_, *book_).ok());
  EXPECT_TRUE(CheckBodyFields("book", "", *request_, *book_).ok());
  EXPECT_TRUE(CheckBodyFields("books", "", *request_, *book_).ok());
  EXPECT_THAT(std::string(CheckBodyFields("nosuchfield", "", *request_, *book_).message()),
              HasSubstr("body \"nosuchfield\": t.Request has no field \"nosuchfield\""));
  EXPECT_THAT(std::string(CheckBodyFields("*", "zz", *request_, *book_).message()),
              HasSubstr("response_body \"zz\": t.Book has no field \"zz\""));
}

TEST(HttpRuleCheckCommandTest, RoutesAndRenderRefuseABindingEnvoyWouldReject) {
  const std::string dir = MakeTempDir();
  for (const char* rule : {"get: \"no-slash{\"", "post: \"/v1/say\" body: \"nosuchfield\"",
                           "get: \"/v1/say\" response_body: \"zz\""}) {
    WriteStringToFile(dir + "/bad.proto",
                      absl::StrCat("syntax = \"proto3\";\npackage t;\n"
                                   "import \"google/api/annotations.proto\";\n"
                                   "message Req { string name = 1; }\n"
                                   "message Resp { string message = 1; }\n"
                                   "service S {\n  rpc Say(Req) returns (Resp) {\n"
                                   "    option (google.api.http) = { ",
                                   rule, " };\n  }\n}\n"));
    auto routes = RunEdgekit({"routes", "-I", dir, dir + "/bad.proto"});
    EXPECT_EQ(routes.exit_code, 1) << rule << "\n" << routes.out;
    EXPECT_THAT(routes.err, HasSubstr("t.S/Say: google.api.http ")) << rule;
    WriteStringToFile(dir + "/edge.yaml",
                      "transcoding:\n  proto_files: [bad.proto]\n"
                      "  destination: {host: s.default.svc.cluster.local, port: 50051}\n");
    auto render = RunEdgekit({"render", "-f", dir + "/edge.yaml"});
    EXPECT_EQ(render.exit_code, 1) << rule << "\n" << render.err;
    EXPECT_THAT(render.err, HasSubstr("t.S/Say: google.api.http ")) << rule;
    EXPECT_EQ(render.out, "");
  }
}

}  // namespace
}  // namespace edgekit::cli
