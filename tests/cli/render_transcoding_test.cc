// Tests of the transcoding feature of `edgekit render`: RenderTranscoding called directly
// (descriptor contents, service selection, validation, the >256 KiB warning, the compressor
// patch before the transcoder) and the `render transcoding` one-liner / `render -f` as a
// subprocess (golden output, exit codes, nothing written on errors, CRD validation).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/edge/edge_config.h"
#include "cli/proto/proto_compiler.h"
#include "cli/render/pipeline.h"
#include "cli/render/transcoding.h"
#include "cli/validate/crd_validator.h"
#include "common/yaml_proto.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "tests/cli/istio_test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;
using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::ReadFileToString;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::TestDataDir;
using ::edgekit::cli::testing::WriteStringToFile;
using google::protobuf::FileDescriptorSet;

std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }
std::string TranscodingDir() { return TestDataDir() + "/transcoding"; }
std::string ShopEdgeYaml() { return TranscodingDir() + "/edge.yaml"; }

// The one-liner of the golden file, run in tests/cli/testdata.
const std::vector<std::string> kOneLiner = {
    "render",           "transcoding",   "--proto",
    "helloworld.proto", "--destination", "greeter.default.svc.cluster.local:50051"};

// A config from YAML with defaults applied, checked like `render` checks it.
EdgeConfig Config(const std::string& yaml) {
  EdgeConfig config;
  absl::Status parsed = YamlTextToProto(yaml, &config, "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed;
  ApplyEdgeDefaults(&config);
  absl::Status valid = ValidateTranscodingConfig(config, "test.yaml");
  EXPECT_TRUE(valid.ok()) << valid;
  return config;
}

std::string HelloYaml(const std::string& extra = "") {
  return absl::StrCat(
      "transcoding:\n"
      "  proto_files: [helloworld.proto]\n"
      "  destination: {host: greeter.default.svc.cluster.local, port: 50051}\n",
      extra);
}

RenderContext Context(std::vector<std::string>* warnings, const std::string& base_dir) {
  RenderContext context;
  context.base_dir = base_dir;
  context.warnings = warnings;
  context.source = "test.yaml";
  return context;
}

// The EnvoyFilter: the file's first document (a ConfigMap may follow it).
YAML::Node FilterDoc(const TranscodingOutput& output) {
  EXPECT_EQ(output.files.size(), 1u);
  EXPECT_EQ(output.files[0].name, "transcoding.yaml");
  EXPECT_EQ(output.files[0].documents.size(), output.descriptor_volume.has_value() ? 2u : 1u);
  return YAML::Load(output.files[0].documents[0]);
}

YAML::Node TranscoderConfig(const YAML::Node& doc) {
  YAML::Node patches = doc["spec"]["configPatches"];
  YAML::Node last = patches[patches.size() - 1];
  EXPECT_EQ(last["patch"]["value"]["name"].as<std::string>(),
            "envoy.filters.http.grpc_json_transcoder");
  return last["patch"]["value"]["typed_config"];
}

FileDescriptorSet DecodeDescriptor(const YAML::Node& typed_config) {
  std::string bytes;
  EXPECT_TRUE(absl::Base64Unescape(typed_config["proto_descriptor_bin"].as<std::string>(), &bytes));
  FileDescriptorSet set;
  EXPECT_TRUE(set.ParseFromString(bytes));
  return set;
}

bool HasService(const FileDescriptorSet& set, const std::string& full_name) {
  for (const auto& file : set.file()) {
    for (const auto& service : file.service()) {
      if (absl::StrCat(file.package(), ".", service.name()) == full_name) return true;
    }
  }
  return false;
}

std::vector<std::string> Services(const YAML::Node& typed_config) {
  return typed_config["services"].as<std::vector<std::string>>();
}

// ---- RenderTranscoding, in-process ------------------------------------------------------

TEST(RenderTranscodingTest, DescriptorDecodesAndHoldsTheService) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(HelloYaml());
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  YAML::Node doc = FilterDoc(*out);
  EXPECT_EQ(doc["apiVersion"].as<std::string>(), "networking.istio.io/v1alpha3");
  EXPECT_EQ(doc["kind"].as<std::string>(), "EnvoyFilter");
  EXPECT_EQ(doc["metadata"]["name"].as<std::string>(), "edgekit-transcoding");
  EXPECT_EQ(doc["metadata"]["namespace"].as<std::string>(), "istio-system");
  EXPECT_EQ(doc["spec"]["workloadSelector"]["labels"]["istio"].as<std::string>(), "ingressgateway");
  ASSERT_EQ(doc["spec"]["configPatches"].size(), 1u);
  YAML::Node patch = doc["spec"]["configPatches"][0];
  EXPECT_EQ(patch["applyTo"].as<std::string>(), "HTTP_FILTER");
  EXPECT_EQ(patch["match"]["context"].as<std::string>(), "GATEWAY");
  EXPECT_EQ(
      patch["match"]["listener"]["filterChain"]["filter"]["subFilter"]["name"].as<std::string>(),
      "envoy.filters.http.router");
  EXPECT_EQ(patch["patch"]["operation"].as<std::string>(), "INSERT_BEFORE");
  YAML::Node typed = TranscoderConfig(doc);
  EXPECT_EQ(typed["@type"].as<std::string>(),
            "type.googleapis.com/"
            "envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder");
  FileDescriptorSet set = DecodeDescriptor(typed);
  EXPECT_TRUE(HasService(set, "helloworld.Greeter"));
  // With imports (google/api/*, google/protobuf/descriptor.proto), as Envoy needs.
  EXPECT_GE(set.file_size(), 4);
  // The same bytes `edgekit descriptor` / protoc would give.
  CompileOptions compile;
  compile.inputs = {TestDataDir() + "/helloworld.proto"};
  compile.proto_paths = {TestDataDir()};
  absl::StatusOr<FileDescriptorSet> direct = CompileProtos(compile);
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(SerializeDescriptorSet(set), SerializeDescriptorSet(*direct));

  EXPECT_EQ(Services(typed), std::vector<std::string>{"helloworld.Greeter"});
  EXPECT_TRUE(typed["convert_grpc_status"].as<bool>());  // the edge default
  EXPECT_FALSE(typed["match_incoming_request_route"].as<bool>());
  EXPECT_FALSE(typed["ignore_unknown_query_parameters"].as<bool>());
  EXPECT_FALSE(typed["request_validation_options"]);
  EXPECT_FALSE(typed["max_request_body_size"]);
  EXPECT_FALSE(typed["print_options"]["add_whitespace"].as<bool>());

  ASSERT_EQ(out->routes.size(), 1u);
  EXPECT_EQ(out->routes[0].service, "helloworld.Greeter");
  EXPECT_EQ(out->routes[0].destination.host(), "greeter.default.svc.cluster.local");
  EXPECT_EQ(out->routes[0].destination.port(), 50051u);
}

TEST(RenderTranscodingTest, DefaultServicesAreThoseWithBindings) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(
      "transcoding:\n"
      "  proto_files: [protos/shop/v1/shop.proto]\n"
      "  include_paths: [protos]\n"
      "  destination: {host: shop, port: 9090}\n");
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TranscodingDir()));
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node typed = TranscoderConfig(FilterDoc(*out));
  EXPECT_EQ(Services(typed), std::vector<std::string>{"shop.v1.Catalog"});
  FileDescriptorSet set = DecodeDescriptor(typed);
  // Pruned: the set holds what the transcoded services need, not the other service.
  EXPECT_TRUE(HasService(set, "shop.v1.Catalog"));
  EXPECT_FALSE(HasService(set, "shop.v1.Admin"));
  ASSERT_EQ(out->routes.size(), 1u);
  EXPECT_EQ(out->routes[0].service, "shop.v1.Catalog");
}

TEST(RenderTranscodingTest, ServicesFilter) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(
      "transcoding:\n"
      "  proto_files: [protos/shop/v1/shop.proto]\n"
      "  include_paths: [protos]\n"
      "  services: [shop.v1.Admin, shop.v1.Catalog]\n"
      "  destination: {host: shop, port: 9090}\n");
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TranscodingDir()));
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node typed = TranscoderConfig(FilterDoc(*out));
  EXPECT_EQ(Services(typed), (std::vector<std::string>{"shop.v1.Admin", "shop.v1.Catalog"}));
  ASSERT_EQ(out->routes.size(), 2u);
  EXPECT_EQ(out->routes[0].service, "shop.v1.Admin");
  // Listed but without bindings: a warning, since nothing of it is reachable over JSON.
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("test.yaml: transcoding.services[0]: warning: service "
                             "\"shop.v1.Admin\" has no google.api.http bindings"),
            std::string::npos)
      << warnings[0];
}

TEST(RenderTranscodingTest, MissingServiceIsAnError) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(HelloYaml("  services: [helloworld.Greeterr]\n"));
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(),
            "test.yaml: transcoding.services[0]: service \"helloworld.Greeterr\" is not in "
            "the descriptor set (it has: helloworld.Greeter)");
}

TEST(RenderTranscodingTest, NoBindingsAnywhereIsAnError) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(
      "transcoding:\n"
      "  proto_files: [no_http.proto]\n"
      "  destination: {host: plain, port: 1}\n");
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::StartsWith(out.status().message(),
                               "test.yaml: transcoding.proto_files: no service has "
                               "google.api.http bindings"))
      << out.status();
}

TEST(RenderTranscodingTest, PrebuiltDescriptorBinaryOrBase64IsEmbeddedAsIs) {
  CompileOptions compile;
  compile.inputs = {TestDataDir() + "/helloworld.proto"};
  compile.proto_paths = {TestDataDir()};
  compile.include_source_info = true;  // so it differs from what render would compile
  absl::StatusOr<FileDescriptorSet> set = CompileProtos(compile);
  ASSERT_TRUE(set.ok()) << set.status();
  const std::string bytes = SerializeDescriptorSet(*set);
  std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/hello.pb", bytes);
  WriteStringToFile(dir + "/hello.b64", absl::Base64Escape(bytes) + "\n");
  for (const char* file : {"hello.pb", "hello.b64"}) {
    SCOPED_TRACE(file);
    std::vector<std::string> warnings;
    EdgeConfig config = Config(absl::StrCat("transcoding:\n  descriptor_set: ", file,
                                            "\n  destination: {host: greeter, port: 50051}\n"));
    absl::StatusOr<TranscodingOutput> out = RenderTranscoding(config, Context(&warnings, dir));
    ASSERT_TRUE(out.ok()) << out.status();
    YAML::Node typed = TranscoderConfig(FilterDoc(*out));
    EXPECT_EQ(typed["proto_descriptor_bin"].as<std::string>(), absl::Base64Escape(bytes));
  }
  std::vector<std::string> warnings;
  WriteStringToFile(dir + "/junk.pb", "not a descriptor \xff\xff");
  EdgeConfig config =
      Config("transcoding:\n  descriptor_set: junk.pb\n  destination: {host: g, port: 1}\n");
  absl::StatusOr<TranscodingOutput> out = RenderTranscoding(config, Context(&warnings, dir));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            absl::StrCat("test.yaml: transcoding.descriptor_set: ", dir,
                         "/junk.pb: not a FileDescriptorSet (binary or base64)"));
}

TEST(RenderTranscodingTest, MissingProtoIsAnIoErrorNamingThePath) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(
      "transcoding:\n"
      "  proto_files: [helloworld.proto, nope/missing.proto]\n"
      "  destination: {host: g, port: 1}\n");
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(out.status().message(), "test.yaml: transcoding.proto_files[1]: "))
      << out.status();
  EXPECT_TRUE(absl::StrContains(out.status().message(), "nope/missing.proto")) << out.status();
}

TEST(RenderTranscodingTest, ProtoSyntaxErrorsKeepFileLineCol) {
  std::vector<std::string> warnings;
  EdgeConfig config =
      Config("transcoding:\n  proto_files: [broken.proto]\n  destination: {host: g, port: 1}\n");
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(out.status().message(), "/broken.proto:")) << out.status();
  EXPECT_TRUE(absl::StrContains(out.status().message(),
                                "test.yaml: transcoding.proto_files: the .proto files do not "
                                "compile"))
      << out.status();
}

TEST(RenderTranscodingTest, GzipGoesFirstInTheSameFilter) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(HelloYaml("gzip: {}\n"));
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = FilterDoc(*out);
  YAML::Node patches = doc["spec"]["configPatches"];
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[0]["patch"]["value"]["name"].as<std::string>(),
            "envoy.filters.http.compressor");
  EXPECT_EQ(patches[1]["patch"]["value"]["name"].as<std::string>(),
            "envoy.filters.http.grpc_json_transcoder");
  for (const YAML::Node& patch : patches) {
    EXPECT_EQ(patch["patch"]["operation"].as<std::string>(), "INSERT_BEFORE");
    EXPECT_EQ(
        patch["match"]["listener"]["filterChain"]["filter"]["subFilter"]["name"].as<std::string>(),
        "envoy.filters.http.router");
  }
}

TEST(RenderTranscodingTest, OptionsReachTheFilter) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(HelloYaml(
      "  print_options: {add_whitespace: true, always_print_primitive_fields: true,\n"
      "                  always_print_enums_as_ints: true, preserve_proto_field_names: true}\n"
      "  convert_grpc_status: false\n"
      "  unknown_query_parameters: REJECT\n"
      "  ignored_query_parameters: [utm_source, fbclid]\n"
      "  max_request_body_size: 1048576\n"
      "  max_response_body_size: 4194304\n"
      "  name: hello-transcoder\n"));
  absl::StatusOr<TranscodingOutput> out =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_TRUE(out.ok()) << out.status();
  YAML::Node doc = FilterDoc(*out);
  EXPECT_EQ(doc["metadata"]["name"].as<std::string>(), "hello-transcoder");
  YAML::Node typed = TranscoderConfig(doc);
  for (const char* option : {"add_whitespace", "always_print_primitive_fields",
                             "always_print_enums_as_ints", "preserve_proto_field_names"}) {
    EXPECT_TRUE(typed["print_options"][option].as<bool>()) << option;
  }
  EXPECT_FALSE(typed["convert_grpc_status"].as<bool>());
  EXPECT_FALSE(typed["ignore_unknown_query_parameters"].as<bool>());
  EXPECT_TRUE(typed["request_validation_options"]["reject_unknown_query_parameters"].as<bool>());
  EXPECT_EQ(typed["ignored_query_parameters"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"utm_source", "fbclid"}));
  EXPECT_EQ(typed["max_request_body_size"].as<uint32_t>(), 1048576u);
  EXPECT_EQ(typed["max_response_body_size"].as<uint32_t>(), 4194304u);

  EdgeConfig ignore = Config(HelloYaml("  unknown_query_parameters: IGNORE\n"));
  out = RenderTranscoding(ignore, Context(&warnings, TestDataDir()));
  ASSERT_TRUE(out.ok()) << out.status();
  typed = TranscoderConfig(FilterDoc(*out));
  EXPECT_TRUE(typed["ignore_unknown_query_parameters"].as<bool>());
  EXPECT_FALSE(typed["request_validation_options"]);
}

// A proto whose descriptor set is well over 256 KiB once base64-encoded.
// A proto of `messages` messages of 60 long-named fields. With `reachable`, the one
// method's message M0 refers to every other one, so pruning keeps them all.
std::string WriteBigProto(const std::string& dir, int messages = 120, bool reachable = false) {
  std::string proto =
      "syntax = \"proto3\";\npackage big.v1;\nimport \"google/api/annotations.proto\";\n"
      "service Big {\n  rpc Get(M0) returns (M0) { option (google.api.http) = { get: \"/v1/big\" "
      "}; }\n}\n";
  for (int m = 0; m < messages; ++m) {
    absl::StrAppend(&proto, "message M", m, " {\n");
    for (int f = 1; f <= 60; ++f) {
      absl::StrAppend(&proto, "  string a_rather_long_field_name_number_", f, " = ", f, ";\n");
    }
    for (int k = 1; reachable && m == 0 && k < messages; ++k) {
      absl::StrAppend(&proto, "  M", k, " m", k, " = ", 100 + k, ";\n");
    }
    absl::StrAppend(&proto, "}\n");
  }
  WriteStringToFile(dir + "/big.proto", proto);
  return dir + "/big.proto";
}

size_t DescriptorBytes(const YAML::Node& typed) {
  std::string bytes;
  EXPECT_TRUE(absl::Base64Unescape(typed["proto_descriptor_bin"].as<std::string>(), &bytes));
  return bytes.size();
}

TEST(RenderTranscodingTest, PruningShipsOnlyWhatTheMethodsNeed) {
  // One method using M0 of a 40-message API: pruned, the other 39 stay home.
  std::string dir = MakeTempDir();
  WriteBigProto(dir, 40);
  std::vector<std::string> warnings;
  const std::string yaml =
      "transcoding:\n  proto_files: [big.proto]\n  destination: {host: big, port: 1}\n";
  absl::StatusOr<TranscodingOutput> pruned =
      RenderTranscoding(Config(yaml), Context(&warnings, dir));
  absl::StatusOr<TranscodingOutput> whole =
      RenderTranscoding(Config(yaml + "  prune_descriptor: false\n"), Context(&warnings, dir));
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  ASSERT_TRUE(whole.ok()) << whole.status();
  const size_t pruned_bytes = DescriptorBytes(TranscoderConfig(FilterDoc(*pruned)));
  const size_t whole_bytes = DescriptorBytes(TranscoderConfig(FilterDoc(*whole)));
  EXPECT_LT(pruned_bytes * 10, whole_bytes) << pruned_bytes << " vs " << whole_bytes;
  FileDescriptorSet set = DecodeDescriptor(TranscoderConfig(FilterDoc(*pruned)));
  google::protobuf::DescriptorPool pool;
  for (const auto& file : set.file()) ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  EXPECT_NE(pool.FindMethodByName("big.v1.Big.Get"), nullptr);
  EXPECT_NE(pool.FindMessageTypeByName("big.v1.M0"), nullptr);
  EXPECT_EQ(pool.FindMessageTypeByName("big.v1.M1"), nullptr);
  EXPECT_NE(pool.FindExtensionByName("google.api.http"), nullptr);
}

TEST(RenderTranscodingTest, DescriptorOver256KiBIsAConfigMapMountedIntoTheGateway) {
  std::string dir = MakeTempDir();
  WriteBigProto(dir, 120, /*reachable=*/true);
  std::vector<std::string> warnings;
  EdgeConfig config =
      Config("transcoding:\n  proto_files: [big.proto]\n  destination: {host: big, port: 1}\n");
  absl::StatusOr<TranscodingOutput> out = RenderTranscoding(config, Context(&warnings, dir));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->files[0].documents.size(), 2u);
  YAML::Node typed = TranscoderConfig(FilterDoc(*out));
  EXPECT_FALSE(typed["proto_descriptor_bin"]);
  EXPECT_EQ(typed["proto_descriptor"].as<std::string>(), "/etc/edgekit/transcoding/descriptor.pb");
  YAML::Node config_map = YAML::Load(out->files[0].documents[1]);
  EXPECT_EQ(config_map["kind"].as<std::string>(), "ConfigMap");
  EXPECT_EQ(config_map["metadata"]["name"].as<std::string>(), "edgekit-transcoding-descriptor");
  std::string bytes;
  ASSERT_TRUE(
      absl::Base64Unescape(config_map["binaryData"]["descriptor.pb"].as<std::string>(), &bytes));
  EXPECT_GT(bytes.size() * 4 / 3, kClientSideApplyLimitBytes);
  FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(bytes));
  EXPECT_TRUE(HasService(set, "big.v1.Big"));
  ASSERT_TRUE(out->descriptor_volume.has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(warnings[0], "test.yaml: transcoding: note: the descriptor set is "))
      << warnings[0];
  EXPECT_TRUE(absl::StrContains(warnings[0], "kubectl apply --server-side")) << warnings[0];

  // A small one stays inline, with no word.
  warnings.clear();
  ASSERT_TRUE(RenderTranscoding(Config(HelloYaml()), Context(&warnings, TestDataDir())).ok());
  EXPECT_TRUE(warnings.empty());
}

TEST(RenderTranscodingTest, DescriptorOverOneMiBIsAnErrorNamingTheLargestFiles) {
  std::string dir = MakeTempDir();
  WriteBigProto(dir, 450, /*reachable=*/true);
  std::vector<std::string> warnings;
  absl::StatusOr<TranscodingOutput> out = RenderTranscoding(
      Config("transcoding:\n  proto_files: [big.proto]\n  destination: {host: big, port: 1}\n"),
      Context(&warnings, dir));
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(
      absl::StartsWith(out.status().message(), "test.yaml: transcoding: the descriptor set is "))
      << out.status();
  EXPECT_TRUE(absl::StrContains(out.status().message(),
                                "after pruning, over the 1 MiB a ConfigMap holds; largest files: "
                                "big.proto ("))
      << out.status();
}

struct BadConfig {
  std::string yaml;
  std::string message;
};

TEST(RenderTranscodingTest, ValidationNamesTheKeyPath) {
  const std::string dest = "  destination: {host: g, port: 1}\n";
  const std::vector<BadConfig> cases = {
      {"transcoding:\n  proto_files: [a.proto]\n  descriptor_set: a.pb\n" + dest,
       "transcoding.descriptor_set: give either proto_files or descriptor_set, not both"},
      {"transcoding:\n" + dest, "transcoding: no descriptor: give proto_files"},
      {"transcoding:\n  descriptor_set: a.pb\n  include_paths: [x]\n" + dest,
       "transcoding.include_paths: only used with proto_files"},
      {"transcoding:\n  proto_files: [a.proto]\n", "transcoding.destination: required"},
      {"transcoding:\n  proto_files: [a.proto]\n  destination: {port: 1}\n",
       "transcoding.destination.host: required"},
      {"transcoding:\n  proto_files: [a.proto]\n  destination: {host: g}\n",
       "transcoding.destination.port: required"},
      {"transcoding:\n  proto_files: [a.proto]\n  destination: {host: g, port: 70000}\n",
       "transcoding.destination.port: must be in [1, 65535], got 70000"},
      {"transcoding:\n  proto_files: [a.proto]\n  destination: {host: Bad_Host, port: 1}\n",
       "transcoding.destination.host: \"Bad_Host\" is not a lowercase DNS name"},
      {"transcoding:\n  name: Bad_Name\n  proto_files: [a.proto]\n" + dest,
       "transcoding.name: \"Bad_Name\" is not a valid Kubernetes name"},
      {"transcoding:\n  proto_files: [a.proto]\n  services: [ok.Svc, 'not a service']\n" + dest,
       "transcoding.services[1]: \"not a service\" is not a fully qualified gRPC service name"},
      {"transcoding:\n  proto_files: [a.proto]\n  services: [a.B, a.B]\n" + dest,
       "transcoding.services[1]: \"a.B\" is listed twice"},
      {"transcoding:\n  proto_files: [a.proto]\n  ignored_query_parameters: ['a b']\n" + dest,
       "transcoding.ignored_query_parameters[0]: \"a b\" is not a query parameter name"},
      {"transcoding:\n  proto_files: [a.proto]\n  max_request_body_size: 0\n" + dest,
       "transcoding.max_request_body_size: must be at least 1 byte"},
      {"transcoding:\n  proto_files: [a.proto]\n  max_response_body_size: 0\n" + dest,
       "transcoding.max_response_body_size: must be at least 1 byte"},
      {"transcoding:\n  proto_files: [a.proto]\n"
       "  unknown_query_parameters: UNKNOWN_QUERY_PARAMETERS_UNSPECIFIED\n" +
           dest,
       "transcoding.unknown_query_parameters: must be PASS_THROUGH, IGNORE or REJECT"},
  };
  for (const BadConfig& c : cases) {
    SCOPED_TRACE(c.yaml);
    EdgeConfig config;
    ASSERT_TRUE(YamlTextToProto(c.yaml, &config, "test.yaml").ok());
    ApplyEdgeDefaults(&config);
    absl::Status status = ValidateTranscodingConfig(config, "test.yaml");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(status.message(), "test.yaml: " + c.message)) << status;
  }
}

TEST(RenderTranscodingTest, EnabledFalseTurnsItOff) {
  EdgeConfig config;
  ASSERT_TRUE(YamlTextToProto("transcoding: {enabled: false}\n", &config, "t").ok());
  EXPECT_FALSE(TranscodingEnabled(config));
  ASSERT_TRUE(YamlTextToProto("transcoding: {}\n", &config, "t").ok());
  EXPECT_TRUE(TranscodingEnabled(config));
}

TEST(RenderTranscodingTest, Deterministic) {
  std::vector<std::string> warnings;
  EdgeConfig config = Config(HelloYaml("gzip: {}\n"));
  absl::StatusOr<TranscodingOutput> a =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  absl::StatusOr<TranscodingOutput> b =
      RenderTranscoding(config, Context(&warnings, TestDataDir()));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->files[0].documents, b->files[0].documents);
}

// ---- the binary ---------------------------------------------------------------------------

TEST(RenderTranscodingCliTest, OneLinerMatchesGolden) {
  auto result = RunEdgekit(kOneLiner, "/dev/null", TestDataDir());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  testing::ExpectMatchesGolden(result.out, "render/transcoding_flags.golden.yaml");
  // Same bytes again, and with the split destination flags.
  auto again =
      RunEdgekit({"render", "transcoding", "helloworld.proto", "-I", ".", "--destination-host",
                  "greeter.default.svc.cluster.local", "--destination-port", "50051", "-o", "-"},
                 "/dev/null", TestDataDir());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, result.out);
}

TEST(RenderTranscodingCliTest, GzipAndTranscodingEdgeYamlMatchesGolden) {
  auto result = RunEdgekit({"render", "-f", ShopEdgeYaml()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  testing::ExpectMatchesGolden(result.out, "render/transcoding_gzip.golden.yaml");
  std::vector<YAML::Node> docs = YAML::LoadAll(result.out);
  int filters = 0;
  for (const YAML::Node& doc : docs) {
    if (doc["kind"].as<std::string>() != "EnvoyFilter") continue;
    ++filters;
    YAML::Node patches = doc["spec"]["configPatches"];
    ASSERT_EQ(patches.size(), 2u);
    EXPECT_EQ(patches[0]["patch"]["value"]["name"].as<std::string>(),
              "envoy.filters.http.compressor");
    EXPECT_EQ(patches[1]["patch"]["value"]["name"].as<std::string>(),
              "envoy.filters.http.grpc_json_transcoder");
  }
  EXPECT_EQ(filters, 1);  // no separate gzip EnvoyFilter
}

TEST(RenderTranscodingCliTest, OutputDirectoryGetsTranscodingYaml) {
  std::string dir = MakeTempDir() + "/out";
  auto result = RunEdgekit({"render", "-f", ShopEdgeYaml(), "-o", dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(FileExists(dir + "/transcoding.yaml"));
  EXPECT_FALSE(FileExists(dir + "/gzip.yaml"));
  std::string stream = RunEdgekit({"render", "-f", ShopEdgeYaml()}).out;
  EXPECT_TRUE(absl::StartsWith(stream, ReadFileToString(dir + "/transcoding.yaml")));
}

TEST(RenderTranscodingCliTest, MissingServiceExitsOneAndWritesNothing) {
  std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/edge.yaml",
                    "transcoding:\n"
                    "  proto_files: [" +
                        TestDataDir() +
                        "/helloworld.proto]\n"
                        "  include_paths: [" +
                        TestDataDir() +
                        "]\n"
                        "  services: [helloworld.Nope]\n"
                        "  destination: {host: greeter, port: 50051}\n");
  auto result = RunEdgekit({"render", "-f", dir + "/edge.yaml", "-o", dir + "/out"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(dir + "/edge.yaml: transcoding.services[0]: service "
                                  "\"helloworld.Nope\" is not in the descriptor set"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(FileExists(dir + "/out"));
  auto one_liner = RunEdgekit({"render", "transcoding", "--proto", "helloworld.proto", "--service",
                               "helloworld.Nope", "--destination", "g:1"},
                              "/dev/null", TestDataDir());
  EXPECT_EQ(one_liner.exit_code, 1);
  EXPECT_EQ(one_liner.out, "");
  EXPECT_NE(one_liner.err.find("command line: transcoding.services[0]:"), std::string::npos)
      << one_liner.err;
}

TEST(RenderTranscodingCliTest, ProtosAndDescriptorTogetherAreRejected) {
  // edge.yaml: bad input (1).
  std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/edge.yaml",
                    "transcoding:\n  proto_files: [a.proto]\n  descriptor_set: a.pb\n"
                    "  destination: {host: g, port: 1}\n");
  auto result = RunEdgekit({"render", "-f", dir + "/edge.yaml", "-o", dir + "/out"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(dir + "/edge.yaml: transcoding.descriptor_set: give either "
                                  "proto_files or descriptor_set, not both"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(FileExists(dir + "/out"));
  // Flags: a usage error (2).
  auto flags = RunEdgekit({"render", "transcoding", "--proto", "a.proto", "--descriptor", "a.pb",
                           "--destination", "g:1"});
  EXPECT_EQ(flags.exit_code, 2) << flags.err;
  EXPECT_EQ(flags.out, "");
}

TEST(RenderTranscodingCliTest, MissingProtoIsAnIoError) {
  std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/edge.yaml",
                    "transcoding:\n  proto_files: [protos/missing.proto]\n"
                    "  destination: {host: g, port: 1}\n");
  auto result = RunEdgekit({"render", "-f", dir + "/edge.yaml", "-o", dir + "/out"});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("transcoding.proto_files[0]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("protos/missing.proto"), std::string::npos) << result.err;
  EXPECT_FALSE(FileExists(dir + "/out"));
  auto one_liner = RunEdgekit({"render", "transcoding", "/nonexistent/x.proto", "-I",
                               "/nonexistent", "--destination", "g:1"});
  EXPECT_EQ(one_liner.exit_code, 3) << one_liner.err;
  EXPECT_NE(one_liner.err.find("/nonexistent/x.proto"), std::string::npos) << one_liner.err;
}

TEST(RenderTranscodingCliTest, BigDescriptorGoesToAConfigMapAndTheGatewayValuesMountIt) {
  std::string dir = MakeTempDir();
  WriteBigProto(dir, 120, /*reachable=*/true);
  WriteStringToFile(dir + "/edge.yaml",
                    "transcoding:\n  proto_files: [big.proto]\n  destination: {host: "
                    "big.big.svc.cluster.local, port: 1}\n");
  auto result = RunEdgekit({"render", "-f", "edge.yaml", "-o", dir + "/out"}, "/dev/null", dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("edge.yaml: transcoding: note: the descriptor set is "),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("--server-side"), std::string::npos) << result.err;
  EXPECT_NE(ReadFileToString(dir + "/out/transcoding.yaml").find("kind: ConfigMap"),
            std::string::npos);
  YAML::Node values = YAML::LoadFile(dir + "/out/gateway-values.yaml");
  EXPECT_EQ(values["volumes"][0]["configMap"]["name"].as<std::string>(),
            "edgekit-transcoding-descriptor");
  EXPECT_EQ(values["volumeMounts"][0]["mountPath"].as<std::string>(), "/etc/edgekit/transcoding");
  EXPECT_EQ(values["volumeMounts"][0]["name"].as<std::string>(),
            values["volumes"][0]["name"].as<std::string>());
}

TEST(RenderTranscodingCliTest, PrebuiltDescriptorGivesTheSameFilter) {
  std::string dir = MakeTempDir();
  auto built = RunEdgekit({"descriptor", "helloworld.proto", "-o", dir + "/hello.pb"}, "/dev/null",
                          TestDataDir());
  ASSERT_EQ(built.exit_code, 0) << built.err;
  std::vector<std::string> args = kOneLiner;
  args[2] = "--descriptor";
  args[3] = dir + "/hello.pb";
  auto from_descriptor = RunEdgekit(args);
  ASSERT_EQ(from_descriptor.exit_code, 0) << from_descriptor.err;
  EXPECT_EQ(from_descriptor.out, RunEdgekit(kOneLiner, "/dev/null", TestDataDir()).out);
}

TEST(RenderTranscodingCliTest, BadFlags) {
  auto no_input = RunEdgekit({"render", "transcoding", "--destination", "g:1"});
  EXPECT_EQ(no_input.exit_code, 2) << no_input.err;
  auto bad_destination = RunEdgekit(
      {"render", "transcoding", "--proto", "helloworld.proto", "--destination", "greeter"},
      "/dev/null", TestDataDir());
  EXPECT_EQ(bad_destination.exit_code, 2) << bad_destination.err;
  auto no_destination = RunEdgekit({"render", "transcoding", "--proto", "helloworld.proto"},
                                   "/dev/null", TestDataDir());
  EXPECT_EQ(no_destination.exit_code, 1) << no_destination.err;
  EXPECT_NE(no_destination.err.find("command line: transcoding.destination: required"),
            std::string::npos)
      << no_destination.err;
  auto bad_mode = RunEdgekit({"render", "transcoding", "--proto", "helloworld.proto",
                              "--destination", "g:1", "--unknown-query-parameters", "drop"},
                             "/dev/null", TestDataDir());
  EXPECT_EQ(bad_mode.exit_code, 2) << bad_mode.err;
}

TEST(RenderTranscodingCliTest, OneLinerFlagsReachTheFilter) {
  auto result = RunEdgekit({"render",
                            "transcoding",
                            "--proto",
                            "helloworld.proto",
                            "--destination",
                            "g:50051",
                            "--service",
                            "helloworld.Greeter",
                            "--add-whitespace",
                            "--preserve-proto-field-names",
                            "--no-convert-grpc-status",
                            "--unknown-query-parameters",
                            "ignore",
                            "--ignore-query-parameter",
                            "utm_source",
                            "--max-request-body-size",
                            "2048",
                            "--name",
                            "hello",
                            "--namespace",
                            "edge",
                            "--selector",
                            "app=gw",
                            "--gzip"},
                           "/dev/null", TestDataDir());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  YAML::Node doc = YAML::LoadAll(result.out)[0];
  EXPECT_EQ(doc["metadata"]["name"].as<std::string>(), "hello");
  EXPECT_EQ(doc["metadata"]["namespace"].as<std::string>(), "edge");
  EXPECT_EQ(doc["spec"]["workloadSelector"]["labels"]["app"].as<std::string>(), "gw");
  ASSERT_EQ(doc["spec"]["configPatches"].size(), 2u);
  YAML::Node typed = TranscoderConfig(doc);
  EXPECT_TRUE(typed["print_options"]["add_whitespace"].as<bool>());
  EXPECT_TRUE(typed["print_options"]["preserve_proto_field_names"].as<bool>());
  EXPECT_FALSE(typed["print_options"]["always_print_enums_as_ints"].as<bool>());
  EXPECT_FALSE(typed["convert_grpc_status"].as<bool>());
  EXPECT_TRUE(typed["ignore_unknown_query_parameters"].as<bool>());
  EXPECT_EQ(typed["ignored_query_parameters"][0].as<std::string>(), "utm_source");
  EXPECT_EQ(typed["max_request_body_size"].as<int>(), 2048);
}

// Every Istio object rendered with transcoding is valid against the real CRDs.
TEST(RenderTranscodingCliTest, RenderedObjectsMatchIstioCrds) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  std::vector<std::string> kinds_checked;
  for (const auto& [args, cwd] :
       {std::pair<std::vector<std::string>, std::string>{kOneLiner, TestDataDir()},
        {{"render", "-f", ShopEdgeYaml()}, ""}}) {
    auto result = RunEdgekit(args, "/dev/null", cwd);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (const std::string& kind :
         testing::ExpectValidIstioObjects(*registry, result.out, "render")) {
      kinds_checked.push_back(kind);
    }
  }
  std::sort(kinds_checked.begin(), kinds_checked.end());
  kinds_checked.erase(std::unique(kinds_checked.begin(), kinds_checked.end()), kinds_checked.end());
  EXPECT_EQ(kinds_checked, (std::vector<std::string>{"EnvoyFilter", "VirtualService"}));
}

TEST(RenderTranscodingCliTest, Deterministic) {
  auto a = RunEdgekit({"render", "-f", ShopEdgeYaml()});
  auto b = RunEdgekit({"render", "-f", ShopEdgeYaml(), "-o", "-"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

}  // namespace
}  // namespace edgekit::cli
