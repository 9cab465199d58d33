// Tests for common/yaml_proto: YAML -> protobuf by reflection, and the exact
// "source:line:col: key.path: message" errors config authors see.
#include "common/yaml_proto.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "edgekit/broker/v1/broker_config.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "envoy/type/v3/http_status.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_file.h"
#include "yaml-cpp/yaml.h"

namespace edgekit {
namespace {

using ::edgekit::broker::v1::BrokerConfig;
using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::Status Parse(const std::string& yaml, google::protobuf::Message* message) {
  return YamlTextToProto(yaml, message, "broker.yaml");
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Asserts that `yaml` is rejected as InvalidArgument with exactly `expected`.
void ExpectError(const std::string& yaml, google::protobuf::Message* message,
                 const std::string& expected) {
  const absl::Status status = Parse(yaml, message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(Message(status), expected) << "for YAML:\n" << yaml;
}

void ExpectErrorContaining(const std::string& yaml, google::protobuf::Message* message,
                           const std::string& expected) {
  const absl::Status status = Parse(yaml, message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(Message(status), HasSubstr(expected)) << "for YAML:\n" << yaml;
}

TEST(YamlProtoTest, FillsScalarsNestedMessagesAndRepeatedFields) {
  BrokerConfig config;
  ASSERT_TRUE(Parse(R"(
listen: 127.0.0.1:9191
upstream:
  target: dns:///authz:8080
  default_deadline: 250ms
hedging:
  max_attempts: 3
  quantile: 0.9
  budget: 1e-1
  non_fatal_codes: [UNAVAILABLE, RESOURCE_EXHAUSTED]
  throttling:
    max_tokens: 20
limits:
  max_message_bytes: "8192"
forward_methods:
  - /a.B/C
  - /d.E/F
worker_threads: 4
)",
                    &config)
                  .ok());
  EXPECT_EQ(config.listen(), "127.0.0.1:9191");
  EXPECT_EQ(config.upstream().target(), "dns:///authz:8080");
  EXPECT_EQ(config.upstream().default_deadline(), "250ms");
  EXPECT_EQ(config.hedging().max_attempts(), 3u);
  EXPECT_DOUBLE_EQ(config.hedging().quantile(), 0.9);
  EXPECT_DOUBLE_EQ(config.hedging().budget(), 0.1);
  EXPECT_THAT(config.hedging().non_fatal_codes(),
              ::testing::ElementsAre("UNAVAILABLE", "RESOURCE_EXHAUSTED"));
  EXPECT_DOUBLE_EQ(config.hedging().throttling().max_tokens(), 20);
  EXPECT_FALSE(config.hedging().throttling().has_token_ratio());
  EXPECT_EQ(config.limits().max_message_bytes(), 8192u);  // quoted numbers are fine
  EXPECT_THAT(config.forward_methods(), ::testing::ElementsAre("/a.B/C", "/d.E/F"));
  EXPECT_EQ(config.worker_threads(), 4u);
}

TEST(YamlProtoTest, Proto3OptionalPresenceDistinguishesZeroFromUnset) {
  BrokerConfig config;
  ASSERT_TRUE(Parse("hedging:\n  max_attempts: 0\nworker_threads: 0\n", &config).ok());
  EXPECT_TRUE(config.hedging().has_max_attempts());
  EXPECT_EQ(config.hedging().max_attempts(), 0u);
  EXPECT_TRUE(config.has_worker_threads());
  EXPECT_FALSE(config.hedging().has_quantile());
  EXPECT_FALSE(config.has_listen());
  EXPECT_FALSE(config.has_upstream());
}

TEST(YamlProtoTest, AcceptsJsonNames) {
  BrokerConfig config;
  ASSERT_TRUE(Parse(R"(
metricsListen: 0.0.0.0:1
hedging: {maxAttempts: 2, nonFatalCodes: [ABORTED]}
forwardMethods: [/a.B/C]
drainTimeout: 5s
)",
                    &config)
                  .ok());
  EXPECT_EQ(config.metrics_listen(), "0.0.0.0:1");
  EXPECT_EQ(config.hedging().max_attempts(), 2u);
  EXPECT_THAT(config.hedging().non_fatal_codes(), ::testing::ElementsAre("ABORTED"));
  EXPECT_THAT(config.forward_methods(), ::testing::ElementsAre("/a.B/C"));
  EXPECT_EQ(config.drain_timeout(), "5s");
}

TEST(YamlProtoTest, UnknownKeyNamesPathPositionAndKnownKeys) {
  BrokerConfig config;
  ExpectError("hedging:\n  budget: 0.1\n  max_atempts: 2\n", &config,
              "broker.yaml:3:3: hedging.max_atempts: unknown key (known keys: budget, "
              "delay_max, delay_min, initial_delay, max_attempts, min_samples, "
              "non_fatal_codes, quantile, throttling, window)");
  ExpectError(
      "listen: a:1\nlisten_port: 2\n", &config,
      "broker.yaml:2:1: listen_port: unknown key (known keys: cache, config_watch_interval, "
      "direct_responses, drain_timeout, forward_methods, hedging, limits, listen, "
      "metrics_listen, shutdown_delay, upstream, worker_threads)");
  // Field names are case-sensitive, as in the proto JSON mapping.
  ExpectErrorContaining("Listen: a:1\n", &config, "broker.yaml:1:1: Listen: unknown key");
}

TEST(YamlProtoTest, DuplicateKeysAreRejectedIncludingJsonNameAliases) {
  BrokerConfig config;
  ExpectError("listen: a:1\nlisten: b:2\n", &config, "broker.yaml:2:1: listen: duplicate key");
  ExpectError("hedging:\n  max_attempts: 1\n  maxAttempts: 2\n", &config,
              "broker.yaml:3:3: hedging.maxAttempts: duplicate key (same field as "
              "\"max_attempts\")");
}

TEST(YamlProtoTest, BadUnsignedNamesPathAndValuePosition) {
  BrokerConfig config;
  ExpectError("listen: 127.0.0.1:9191\nhedging:\n  budget: 0.1\n  max_attempts: two\n", &config,
              "broker.yaml:4:17: hedging.max_attempts: expected an unsigned integer, got "
              "\"two\"");
}

TEST(YamlProtoTest, IntegerRangesAreChecked) {
  BrokerConfig config;
  ASSERT_TRUE(Parse("worker_threads: 4294967295\n", &config).ok());
  EXPECT_EQ(config.worker_threads(), 4294967295u);
  ASSERT_TRUE(Parse("worker_threads: +7\n", &config).ok());
  EXPECT_EQ(config.worker_threads(), 7u);
  ExpectError("worker_threads: 4294967296\n", &config,
              "broker.yaml:1:17: worker_threads: out of range for uint32, got 4294967296");
  ExpectError("worker_threads: -1\n", &config,
              "broker.yaml:1:17: worker_threads: out of range for uint32, got -1");
  ExpectError("worker_threads: 1.5\n", &config,
              "broker.yaml:1:17: worker_threads: expected an unsigned integer, got \"1.5\"");
  // Hex, octal and digit separators are not decimal integers.
  ExpectErrorContaining("worker_threads: 0x10\n", &config, "expected an unsigned integer");
  ExpectErrorContaining("worker_threads: 1_000\n", &config, "expected an unsigned integer");
  ExpectErrorContaining("worker_threads: \"\"\n", &config, "expected an unsigned integer");

  google::protobuf::Int32Value int32;
  ASSERT_TRUE(Parse("value: -2147483648\n", &int32).ok());
  EXPECT_EQ(int32.value(), -2147483647 - 1);
  ASSERT_TRUE(Parse("value: 2147483647\n", &int32).ok());
  EXPECT_EQ(int32.value(), 2147483647);
  ExpectError("value: 2147483648\n", &int32,
              "broker.yaml:1:8: value: out of range for int32, got 2147483648");
  ExpectError("value: -2147483649\n", &int32,
              "broker.yaml:1:8: value: out of range for int32, got -2147483649");
  ExpectError("value: two\n", &int32, "broker.yaml:1:8: value: expected an integer, got \"two\"");

  google::protobuf::Int64Value int64;
  ASSERT_TRUE(Parse("value: -9223372036854775808\n", &int64).ok());
  EXPECT_EQ(int64.value(), INT64_MIN);
  ExpectErrorContaining("value: 9223372036854775808\n", &int64, "out of range for int64");
  ExpectErrorContaining("value: -9223372036854775809\n", &int64, "out of range for int64");

  google::protobuf::UInt64Value uint64;
  ASSERT_TRUE(Parse("value: 18446744073709551615\n", &uint64).ok());
  EXPECT_EQ(uint64.value(), UINT64_MAX);
  ExpectErrorContaining("value: 18446744073709551616\n", &uint64,
                        "out of range for uint64, got 18446744073709551616");
  ExpectErrorContaining("value: 999999999999999999999999\n", &uint64, "out of range for uint64");
  // Long values are cut in messages.
  ExpectError(
      "value: " + std::string(100, '9') + "\n", &uint64,
      "broker.yaml:1:8: value: out of range for uint64, got " + std::string(64, '9') + "...");
}

TEST(YamlProtoTest, FloatingPointValues) {
  google::protobuf::DoubleValue value;
  ASSERT_TRUE(Parse("value: 1e-3\n", &value).ok());
  EXPECT_DOUBLE_EQ(value.value(), 0.001);
  ASSERT_TRUE(Parse("value: 7\n", &value).ok());
  EXPECT_DOUBLE_EQ(value.value(), 7);
  ASSERT_TRUE(Parse("value: -.5\n", &value).ok());
  EXPECT_DOUBLE_EQ(value.value(), -0.5);
  ASSERT_TRUE(Parse("value: .inf\n", &value).ok());
  EXPECT_TRUE(std::isinf(value.value()) && value.value() > 0);
  ASSERT_TRUE(Parse("value: -.inf\n", &value).ok());
  EXPECT_TRUE(std::isinf(value.value()) && value.value() < 0);
  ASSERT_TRUE(Parse("value: .nan\n", &value).ok());
  EXPECT_TRUE(std::isnan(value.value()));
  ExpectError("value: fast\n", &value, "broker.yaml:1:8: value: expected a number, got \"fast\"");
  ExpectError("value: 1e999\n", &value,
              "broker.yaml:1:8: value: out of range for double, got 1e999");
  ExpectErrorContaining("value: 0x1p3\n", &value, "expected a number");
  ExpectErrorContaining("value: 1.5s\n", &value, "expected a number");

  google::protobuf::FloatValue float_value;
  ASSERT_TRUE(Parse("value: 1.5\n", &float_value).ok());
  EXPECT_FLOAT_EQ(float_value.value(), 1.5f);
  ExpectError("value: 1e39\n", &float_value,
              "broker.yaml:1:8: value: out of range for float, got 1e39");
}

TEST(YamlProtoTest, BoolsAreStrictlyTrueOrFalse) {
  google::protobuf::BoolValue value;
  ASSERT_TRUE(Parse("value: true\n", &value).ok());
  EXPECT_TRUE(value.value());
  ASSERT_TRUE(Parse("value: false\n", &value).ok());
  EXPECT_FALSE(value.value());
  for (const char* bad : {"yes", "no", "on", "True", "FALSE", "1", "y"}) {
    ExpectError(std::string("value: ") + bad + "\n", &value,
                std::string("broker.yaml:1:8: value: expected true or false, got \"") + bad + "\"");
  }
}

TEST(YamlProtoTest, BytesAreBase64) {
  google::protobuf::BytesValue value;
  ASSERT_TRUE(Parse("value: aGVsbG8=\n", &value).ok());
  EXPECT_EQ(value.value(), "hello");
  ExpectError("value: \"!!!\"\n", &value,
              "broker.yaml:1:8: value: expected base64 bytes, got \"!!!\"");
}

TEST(YamlProtoTest, EnumsByNameOrNumber) {
  envoy::type::v3::HttpStatus status;
  ASSERT_TRUE(Parse("code: Forbidden\n", &status).ok());
  EXPECT_EQ(status.code(), envoy::type::v3::Forbidden);
  ASSERT_TRUE(Parse("code: 429\n", &status).ok());
  EXPECT_EQ(status.code(), envoy::type::v3::TooManyRequests);
  const std::string known =
      "(known values: Empty, OK, BadRequest, Unauthorized, Forbidden, TooManyRequests, "
      "InternalServerError, ServiceUnavailable)";
  ExpectError("code: Teapot\n", &status,
              "broker.yaml:1:7: code: unknown value \"Teapot\" for enum "
              "envoy.type.v3.StatusCode " +
                  known);
  ExpectError("code: 418\n", &status,
              "broker.yaml:1:7: code: unknown value \"418\" for enum "
              "envoy.type.v3.StatusCode " +
                  known);
  // Names are exact: the proto JSON mapping does not fold case either.
  ExpectErrorContaining("code: forbidden\n", &status, "unknown value \"forbidden\"");
  ExpectError("code: [Forbidden]\n", &status,
              "broker.yaml:1:7: code: expected a name of enum envoy.type.v3.StatusCode, "
              "got a sequence");
}

TEST(YamlProtoTest, MapsOfStringsAndNestedMessages) {
  envoy::service::auth::v3::CheckRequest request;
  ASSERT_TRUE(Parse(R"(
attributes:
  contextExtensions:
    tenant: blue
    "a.b": "1"
  request:
    http:
      method: GET
      size: -1
      raw_body: aGk=
      headers:
        ":path": /v1/items
        x-b3-traceid: "0042"
)",
                    &request)
                  .ok());
  const auto& attributes = request.attributes();
  EXPECT_EQ(attributes.context_extensions().size(), 2u);
  EXPECT_EQ(attributes.context_extensions().at("tenant"), "blue");
  EXPECT_EQ(attributes.context_extensions().at("a.b"), "1");
  const auto& http = attributes.request().http();
  EXPECT_EQ(http.method(), "GET");
  EXPECT_EQ(http.size(), -1);
  EXPECT_EQ(http.raw_body(), "hi");
  EXPECT_EQ(http.headers().size(), 2u);
  EXPECT_EQ(http.headers().at(":path"), "/v1/items");
  EXPECT_EQ(http.headers().at("x-b3-traceid"), "0042");  // quoted: stays a string
}

TEST(YamlProtoTest, MapErrorsNameTheEntry) {
  envoy::service::auth::v3::CheckRequest request;
  ExpectError("attributes:\n  context_extensions: [a]\n", &request,
              "broker.yaml:2:23: attributes.context_extensions: expected a mapping, got a "
              "sequence");
  ExpectError("attributes:\n  context_extensions:\n    a: {b: c}\n", &request,
              "broker.yaml:3:8: attributes.context_extensions[\"a\"]: expected a string, "
              "got a mapping");
  ExpectError("attributes:\n  context_extensions:\n    a: x\n    a: y\n", &request,
              "broker.yaml:4:5: attributes.context_extensions[\"a\"]: duplicate key");
  ExpectError("attributes:\n  context_extensions:\n    a:\n", &request,
              "broker.yaml:3:5: attributes.context_extensions[\"a\"]: expected a string, "
              "got null");
}

TEST(YamlProtoTest, RepeatedFieldsNeedSequencesAndIndexTheirPaths) {
  BrokerConfig config;
  ExpectError("forward_methods: /a.B/C\n", &config,
              "broker.yaml:1:18: forward_methods: expected a sequence, got \"/a.B/C\"");
  ExpectError("forward_methods:\n  - /a.B/C\n  - [x]\n", &config,
              "broker.yaml:3:5: forward_methods[1]: expected a string, got a sequence");
  ExpectError("hedging:\n  non_fatal_codes: [A, B, {c: d}]\n", &config,
              "broker.yaml:2:27: hedging.non_fatal_codes[2]: expected a string, got a "
              "mapping");

  // Repeated messages, with an error inside the second element.
  envoy::service::auth::v3::OkHttpResponse ok;
  ASSERT_TRUE(Parse("headers:\n  - header: {key: a, value: b}\n  - {}\n", &ok).ok());
  ASSERT_EQ(ok.headers_size(), 2);
  EXPECT_EQ(ok.headers(0).header().key(), "a");
  EXPECT_EQ(ok.headers(0).header().value(), "b");
  EXPECT_FALSE(ok.headers(1).has_header());
  ExpectError("headers:\n  - header: {key: a}\n  - header: {kee: b}\n", &ok,
              "broker.yaml:3:14: headers[1].header.kee: unknown key (known keys: key, "
              "raw_value, value)");
}

TEST(YamlProtoTest, MessageFieldsNeedMappings) {
  BrokerConfig config;
  ExpectError("hedging: 5\n", &config, "broker.yaml:1:10: hedging: expected a mapping, got \"5\"");
  ExpectError("upstream: [a]\n", &config,
              "broker.yaml:1:11: upstream: expected a mapping, got a sequence");
  ExpectError("listen: {a: b}\n", &config,
              "broker.yaml:1:9: listen: expected a string, got a mapping");
}

TEST(YamlProtoTest, NullScalarsAndListsAreUnsetNullMessagesArePresentAndEmpty) {
  BrokerConfig config;
  ASSERT_TRUE(Parse("listen: ~\nhedging:\nforward_methods: null\nupstream: {}\n", &config).ok());
  EXPECT_FALSE(config.has_listen());
  // "hedging:" with nothing under it is the key written: present, as "hedging: {}" is
  // (so a rule's "when:" slip is refused as an empty condition, not taken as absent).
  EXPECT_TRUE(config.has_hedging());
  EXPECT_EQ(config.hedging().ByteSizeLong(), 0u);
  EXPECT_EQ(config.forward_methods_size(), 0);
  EXPECT_TRUE(config.has_upstream());  // "{}" is an explicit, empty message
}

TEST(YamlProtoTest, EmptyDocumentsAreEmptyMessagesAndTheMessageIsClearedFirst) {
  BrokerConfig config;
  for (const char* text : {"", "# only a comment\n", "---\n", "~\n"}) {
    config.set_listen("stale:1");
    EXPECT_TRUE(Parse(text, &config).ok()) << text;
    EXPECT_FALSE(config.has_listen()) << text;
  }
  config.set_listen("stale:1");
  ASSERT_TRUE(Parse("worker_threads: 2\n", &config).ok());
  EXPECT_FALSE(config.has_listen());
}

TEST(YamlProtoTest, FailedParseLeavesTheMessageEmpty) {
  BrokerConfig config;
  ASSERT_FALSE(Parse("listen: a:1\nworker_threads: x\n", &config).ok());
  EXPECT_FALSE(config.has_listen());
}

TEST(YamlProtoTest, TopLevelMustBeAMapping) {
  BrokerConfig config;
  ExpectError("- a\n- b\n", &config, "broker.yaml:1:1: expected a mapping, got a sequence");
  ExpectError("hello\n", &config, "broker.yaml:1:1: expected a mapping, got \"hello\"");
}

TEST(YamlProtoTest, KeysMustBeScalars) {
  BrokerConfig config;
  ExpectError("? [a, b]\n: 1\n", &config, "broker.yaml:1:3: keys must be strings, got a sequence");
}

TEST(YamlProtoTest, OnlyOneDocument) {
  BrokerConfig config;
  ExpectError("listen: a:1\n---\nlisten: b:2\n", &config,
              "broker.yaml:3:1: expected one YAML document, found 2");
}

TEST(YamlProtoTest, SyntaxErrorsCarrySourceLineAndColumn) {
  BrokerConfig config;
  ExpectError("hedging:\n  non_fatal_codes: [UNAVAILABLE\n", &config,
              "broker.yaml:3:1: invalid YAML: end of sequence flow not found");
  ExpectError("listen: a: b\n", &config, "broker.yaml:1:10: invalid YAML: illegal map value");
}

TEST(YamlProtoTest, OneofAllowsOneMember) {
  google::protobuf::Value value;
  ASSERT_TRUE(Parse("string_value: x\n", &value).ok());
  EXPECT_EQ(value.string_value(), "x");
  ExpectError("string_value: x\nnumber_value: 1\n", &value,
              "broker.yaml:2:1: number_value: conflicts with \"string_value\": at most one "
              "field of oneof kind may be set");
}

TEST(YamlProtoTest, DeepNestingIsAnErrorNotACrash) {
  // google.protobuf.Struct is recursive; 40 Struct levels are 80 message levels.
  std::string yaml;
  for (int i = 0; i < 40; ++i) yaml += "{fields: {a: {struct_value: ";
  yaml += "{}";
  for (int i = 0; i < 40; ++i) yaml += "}}}";
  google::protobuf::Struct root;
  const absl::Status status = YamlTextToProto(yaml, &root, "deep.yaml");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("nested deeper than 64 levels"));

  // A few levels are fine.
  ASSERT_TRUE(YamlTextToProto("fields: {a: {struct_value: {fields: {b: {bool_value: true}}}}}",
                              &root, "ok.yaml")
                  .ok());
  EXPECT_TRUE(root.fields().at("a").struct_value().fields().at("b").bool_value());
}

TEST(YamlProtoTest, AliasCyclesAndDeepYamlAreErrorsNotCrashes) {
  // An anchor used inside itself makes a cyclic node graph, which the recursive Struct
  // schema would follow forever: the loader refuses it before any conversion.
  google::protobuf::Struct root;
  absl::Status status =
      YamlTextToProto("&a {fields: {x: {struct_value: *a}}}", &root, "cycle.yaml");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("cycle.yaml:1:32: invalid YAML: an alias refers to "
                                         "a node that contains it (a cycle)"));

  // Very deep flow nesting is refused by the YAML parser itself (its exception becomes a
  // status here).
  BrokerConfig config;
  status =
      Parse("forward_methods: " + std::string(100000, '[') + std::string(100000, ']'), &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), StartsWith("broker.yaml:"));
}

TEST(YamlProtoTest, YamlToProtoTakesParsedNodes) {
  BrokerConfig config;
  ASSERT_TRUE(YamlToProto(YAML::Load("listen: a:1"), &config, "node").ok());
  EXPECT_EQ(config.listen(), "a:1");
  ASSERT_TRUE(YamlToProto(YAML::Node(), &config, "node").ok());
  EXPECT_FALSE(config.has_listen());
  const absl::Status status = YamlToProto(YAML::Load("listen: [x]"), &config, "node");
  EXPECT_EQ(Message(status), "node:1:9: listen: expected a string, got a sequence");
}

// A file under the test temp dir, removed at the end of the test.
using ::edgekit::testing::TempFile;

TEST(YamlFileToProtoTest, ReadsAFile) {
  TempFile file("good.yaml", "listen: 127.0.0.1:1\n");
  BrokerConfig config;
  ASSERT_TRUE(YamlFileToProto(file.path(), &config).ok());
  EXPECT_EQ(config.listen(), "127.0.0.1:1");
}

TEST(YamlFileToProtoTest, ErrorsUseThePathAsTheSource) {
  TempFile file("bad.yaml", "# comment\nhedging:\n  max_attempts: two\n");
  BrokerConfig config;
  const absl::Status status = YamlFileToProto(file.path(), &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(status), file.path() +
                                 ":3:17: hedging.max_attempts: expected an "
                                 "unsigned integer, got \"two\"");
}

TEST(YamlFileToProtoTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = ::testing::TempDir() + "yaml_proto_test_does_not_exist.yaml";
  BrokerConfig config;
  config.set_listen("stale:1");
  const absl::Status status = YamlFileToProto(path, &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(status), StartsWith("cannot open " + path + ": "));
  EXPECT_FALSE(config.has_listen());
}

TEST(YamlFileToProtoTest, DirectoryIsAnErrorNamingThePath) {
  BrokerConfig config;
  const std::string dir = ::testing::TempDir();
  const absl::Status status = YamlFileToProto(dir, &config);
  // open(2) succeeds on a directory; read(2) fails with EISDIR: an I/O error like any
  // other unreadable input (it was FailedPrecondition, which the CLI turned into exit 1).
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Message(status), StartsWith("cannot read " + dir + ": Is a directory"));
}

TEST(YamlFileToProtoTest, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root can read any file";
  TempFile file("secret.yaml", "listen: a:1\n");
  ASSERT_EQ(chmod(file.path().c_str(), 0), 0);
  BrokerConfig config;
  const absl::Status status = YamlFileToProto(file.path(), &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Message(status), StartsWith("cannot open " + file.path() + ": "));
}

}  // namespace
}  // namespace edgekit
