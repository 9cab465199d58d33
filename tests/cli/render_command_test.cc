// Tests of `edgekit render` (gzip and ext-authz): golden output, every rendered Istio
// object checked against the real Istio CRD schemas, byte-for-byte determinism, -o DIR
// files, and bad input (message naming file and key path, exit code, nothing written).
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/validate/crd_validator.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "tests/cli/istio_test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using ::edgekit::cli::testing::FileExists;
using ::edgekit::cli::testing::ListDir;
using ::edgekit::cli::testing::MakeTempDir;
using ::edgekit::cli::testing::ReadFileToString;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;

std::string ExampleConfig() { return EDGEKIT_SOURCE_DIR "/examples/edge/edge.yaml"; }
std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

const std::vector<std::string> kGzipFlags = {"render", "gzip"};
const std::vector<std::string> kExtAuthzFlags = {
    "render",         "ext-authz",   "--upstream",     "dns:///authz.auth:8080",
    "--exclude-path", "/healthz",    "--exclude-cidr", "192.168.0.0/16",
    "--selector",     "app=edge-gw", "--namespace",    "edge"};

TEST(RenderTest, ExampleMatchesGolden) {
  auto result = RunEdgekit({"render", "-f", ExampleConfig()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  testing::ExpectMatchesGolden(result.out, "render/example.golden.yaml");
}

TEST(RenderTest, GzipOneLinerMatchesGolden) {
  auto result = RunEdgekit(kGzipFlags);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  testing::ExpectMatchesGolden(result.out, "render/gzip_defaults.golden.yaml");
}

TEST(RenderTest, ExtAuthzOneLinerMatchesGolden) {
  auto result = RunEdgekit(kExtAuthzFlags);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  testing::ExpectMatchesGolden(result.out, "render/ext_authz_flags.golden.yaml");
}

TEST(RenderTest, GzipUsesDirectionConfigNotDeprecatedFields) {
  auto result = RunEdgekit({"render", "gzip", "--compression-level", "9", "--content-type",
                            "application/json", "--min-content-length", "1024"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  YAML::Node doc = YAML::Load(result.out);
  YAML::Node value = doc["spec"]["configPatches"][0]["patch"]["value"];
  EXPECT_EQ(value["name"].as<std::string>(), "envoy.filters.http.compressor");
  YAML::Node typed = value["typed_config"];
  EXPECT_FALSE(typed["content_length"]);
  EXPECT_FALSE(typed["content_type"]);
  YAML::Node common = typed["response_direction_config"]["common_config"];
  EXPECT_EQ(common["min_content_length"].as<int>(), 1024);
  EXPECT_EQ(common["content_type"][0].as<std::string>(), "application/json");
  EXPECT_EQ(typed["compressor_library"]["typed_config"]["compression_level"].as<std::string>(),
            "COMPRESSION_LEVEL_9");
  EXPECT_EQ(doc["spec"]["configPatches"][0]["patch"]["operation"].as<std::string>(),
            "INSERT_BEFORE");
}

// Every Istio object rendered (all three commands) is valid against the real CRDs.
TEST(RenderTest, RenderedObjectsMatchIstioCrds) {
  if (!FileExists(CrdFile())) FAIL() << CrdFile() << " not found (from CI: ../shared/schemas)";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  std::vector<std::string> kinds_checked;
  for (const auto& args :
       {std::vector<std::string>{"render", "-f", ExampleConfig()}, kGzipFlags, kExtAuthzFlags,
        // No exclusions: one empty rule (applies to every request).
        std::vector<std::string>{"render", "ext-authz", "--upstream", "authz:8080"}}) {
    auto result = RunEdgekit(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (const std::string& kind :
         testing::ExpectValidIstioObjects(*registry, result.out, "render")) {
      kinds_checked.push_back(kind);
    }
  }
  std::sort(kinds_checked.begin(), kinds_checked.end());
  kinds_checked.erase(std::unique(kinds_checked.begin(), kinds_checked.end()), kinds_checked.end());
  EXPECT_EQ(kinds_checked,
            (std::vector<std::string>{"AuthorizationPolicy", "EnvoyFilter", "ServiceEntry"}));
}

TEST(RenderTest, ExtAuthzPiecesAreConsistent) {
  // The files that are not cluster objects are left out of the stream unless named.
  auto result = RunEdgekit({"render", "-f", ExampleConfig(), "--only", "broker.yaml", "--only",
                            "ext-authz.yaml", "--only", "ext-authz-istiod-values.yaml", "--only",
                            "ext-authz-istio-operator.yaml"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<YAML::Node> docs = YAML::LoadAll(result.out);
  ASSERT_EQ(docs.size(), 5u);  // in the set's order, whatever the order of --only
  YAML::Node se = docs[0], policy = docs[1], op = docs[2], values = docs[3], broker = docs[4];
  EXPECT_EQ(se["spec"]["resolution"].as<std::string>(), "STATIC");
  EXPECT_EQ(se["spec"]["endpoints"][0]["address"].as<std::string>(), "127.0.0.1");
  EXPECT_EQ(se["spec"]["ports"][0]["protocol"].as<std::string>(), "GRPC");
  const int port = se["spec"]["ports"][0]["number"].as<int>();
  const std::string host = se["spec"]["hosts"][0].as<std::string>();
  for (const YAML::Node& mesh : {op["spec"]["meshConfig"], values["meshConfig"]}) {
    YAML::Node provider = mesh["extensionProviders"][0];
    EXPECT_EQ(provider["name"].as<std::string>(),
              policy["spec"]["provider"]["name"].as<std::string>());
    EXPECT_EQ(provider["envoyExtAuthzGrpc"]["service"].as<std::string>(), host);
    EXPECT_EQ(provider["envoyExtAuthzGrpc"]["port"].as<int>(), port);
    EXPECT_EQ(provider["envoyExtAuthzGrpc"]["statusOnError"].as<std::string>(), "503");
  }
  EXPECT_EQ(broker["listen"].as<std::string>(), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(policy["spec"]["action"].as<std::string>(), "CUSTOM");
  YAML::Node rule = policy["spec"]["rules"][0];
  EXPECT_FALSE(rule["from"][0]["source"]["principals"]);
  EXPECT_FALSE(rule["from"][0]["source"]["namespaces"]);
  EXPECT_EQ(rule["to"][0]["operation"]["notPaths"][1].as<std::string>(), "/public/*");
  EXPECT_EQ(rule["from"][0]["source"]["notIpBlocks"][0].as<std::string>(), "10.0.0.0/8");
  EXPECT_EQ(op["kind"].as<std::string>(), "IstioOperator");
}

TEST(RenderTest, DefaultStreamHoldsOnlyKindsTheIstioCrdsDefine) {
  // `render -f edge.yaml | kubectl apply -f -`: every document an object of a kind the
  // real Istio 1.30 CRDs serve, checked by `edgekit validate` without
  // --allow-unknown-groups.
  const std::string crds = EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml";
  if (!FileExists(crds)) FAIL() << crds << " not found (from CI: ../shared/schemas)";
  const std::string dir = MakeTempDir();
  for (const std::string& config :
       {ExampleConfig(), std::string(EDGEKIT_SOURCE_DIR "/examples/helloworld/edge.yaml")}) {
    auto stream = RunEdgekit({"render", "-f", config});
    ASSERT_EQ(stream.exit_code, 0) << stream.err;
    WriteStringToFile(dir + "/stream.yaml", stream.out);
    auto validated = RunEdgekit({"validate", "--crds", crds, dir + "/stream.yaml"});
    EXPECT_EQ(validated.exit_code, 0) << config << "\n" << validated.err;
    EXPECT_EQ(stream.out.find("IstioOperator"), std::string::npos);
    EXPECT_EQ(stream.out.find("\nmeshConfig:"), std::string::npos);
  }
}

TEST(RenderTest, OnlyNamesFilesOfTheSet) {
  auto unknown = RunEdgekit({"render", "-f", ExampleConfig(), "--only", "nope.yaml"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("--only nope.yaml: not a file render writes (one of gzip.yaml, "),
            std::string::npos)
      << unknown.err;
  auto off = RunEdgekit({"render", "-f", ExampleConfig(), "--only", "routes.yaml"});
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_NE(off.err.find("--only routes.yaml: " + ExampleConfig() +
                         " does not turn on the feature it is for"),
            std::string::npos)
      << off.err;
  // Into a directory: just that file, and nothing else there is judged stale.
  const std::string out = MakeTempDir() + "/out";
  ASSERT_EQ(RunEdgekit({"render", "-f", ExampleConfig(), "-o", out}).exit_code, 0);
  ASSERT_EQ(RunEdgekit({"render", "gzip", "--only", "gzip.yaml", "-o", out}).exit_code, 0);
  EXPECT_TRUE(FileExists(out + "/broker.yaml"));
  EXPECT_TRUE(FileExists(out + "/ext-authz.yaml"));
}

TEST(RenderTest, OutputIsDeterministic) {
  auto first = RunEdgekit({"render", "-f", ExampleConfig()});
  auto second = RunEdgekit({"render", "-f", ExampleConfig(), "-o", "-"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);
  // Map keys come out sorted, whatever their order in the input.
  std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/a.yaml", "gateway: {selector: {b: '2', a: '1'}}\ngzip: {}\n");
  WriteStringToFile(dir + "/b.yaml", "gateway: {selector: {a: '1', b: '2'}}\ngzip: {}\n");
  auto a = RunEdgekit({"render", "-f", dir + "/a.yaml"});
  auto b = RunEdgekit({"render", "-f", dir + "/b.yaml"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST(RenderTest, OutputDirectoryGetsOneFilePerFeature) {
  std::string dir = MakeTempDir() + "/out";
  auto result = RunEdgekit({"render", "-f", ExampleConfig(), "-o", dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  std::vector<std::string> names = ListDir(dir);
  EXPECT_EQ(names, (std::vector<std::string>{"broker.yaml", "ext-authz-istio-operator.yaml",
                                             "ext-authz-istiod-values.yaml", "ext-authz.yaml",
                                             "gzip.yaml"}));
  // The object files are the stream, in the stream's order; the others are what --only
  // selects.
  std::string objects;
  for (const char* name : {"gzip.yaml", "ext-authz.yaml"}) {
    objects += ReadFileToString(dir + "/" + name);
  }
  EXPECT_EQ(objects, RunEdgekit({"render", "-f", ExampleConfig()}).out);
  for (const char* name :
       {"ext-authz-istio-operator.yaml", "ext-authz-istiod-values.yaml", "broker.yaml"}) {
    EXPECT_EQ(ReadFileToString(dir + "/" + name),
              RunEdgekit({"render", "-f", ExampleConfig(), "--only", name}).out);
  }
}

TEST(RenderTest, RerenderRemovesFilesOfFeaturesTurnedOff) {
  const std::string dir = MakeTempDir();
  const std::string out = dir + "/out";
  ASSERT_EQ(RunEdgekit({"render", "-f", ExampleConfig(), "-o", out}).exit_code, 0);
  WriteStringToFile(out + "/mine.yaml", "kind: ConfigMap  # edgekit did not write this\n");
  // Now only gzip: the ext_authz files would otherwise stay and be applied again.
  auto result = RunEdgekit({"render", "gzip", "-o", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(ListDir(out), (std::vector<std::string>{"gzip.yaml", "mine.yaml"}));
  EXPECT_NE(result.err.find("removed " + out + "/broker.yaml: no longer rendered"),
            std::string::npos)
      << result.err;
  // A file of that name that edgekit did not write is left alone.
  WriteStringToFile(out + "/broker.yaml", "listen: 127.0.0.1:1\n");
  ASSERT_EQ(RunEdgekit({"render", "gzip", "-o", out}).exit_code, 0);
  EXPECT_TRUE(FileExists(out + "/broker.yaml"));
}

TEST(RenderTest, ObjectsOnlyLeavesOutWhatKubectlCannotApply) {
  auto result = RunEdgekit({"render", "-f", ExampleConfig(), "--objects-only"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> kinds;
  for (const YAML::Node& doc : YAML::LoadAll(result.out)) {
    ASSERT_TRUE(doc["apiVersion"] && doc["kind"]) << "not an object in:\n" << result.out;
    kinds.push_back(doc["kind"].as<std::string>());
  }
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"EnvoyFilter", "ServiceEntry", "AuthorizationPolicy"}));

  // Into a directory that also holds a full render: the other files stay.
  const std::string out = MakeTempDir() + "/out";
  ASSERT_EQ(RunEdgekit({"render", "-f", ExampleConfig(), "-o", out}).exit_code, 0);
  auto objects = RunEdgekit({"render", "gzip", "--objects-only", "-o", out});
  ASSERT_EQ(objects.exit_code, 0) << objects.err;
  EXPECT_TRUE(FileExists(out + "/broker.yaml"));
  EXPECT_FALSE(FileExists(out + "/ext-authz.yaml"));  // an object file no longer rendered
}

TEST(RenderTest, TargetInTheWayFailsBeforeAnyFileIsReplaced) {
  const std::string out = MakeTempDir() + "/out";
  ASSERT_EQ(RunEdgekit({"render", "gzip", "-o", out}).exit_code, 0);
  const std::string old_gzip = ReadFileToString(out + "/gzip.yaml");
  ASSERT_EQ(mkdir((out + "/ext-authz.yaml").c_str(), 0755), 0);
  auto result = RunEdgekit({"render", "-f", ExampleConfig(), "-o", out});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("cannot replace " + out + "/ext-authz.yaml"), std::string::npos)
      << result.err;
  // gzip.yaml comes first in the render but was not touched: no mix of old and new.
  EXPECT_EQ(ReadFileToString(out + "/gzip.yaml"), old_gzip);
  EXPECT_FALSE(FileExists(out + "/broker.yaml"));
}

struct BadCase {
  std::string yaml;
  std::string message;  // expected in stderr after "<file>: "
};

TEST(RenderTest, BadInputIsRejectedWithKeyPathAndNothingWritten) {
  const std::string authz = "ext_authz: {upstream_target: 'dns:///a:1'";
  const std::vector<BadCase> cases = {
      {"gzip: {compression_level: 12}\n", "gzip.compression_level: must be in [1, 9], got 12"},
      {"gzip: {memory_level: 0}\n", "gzip.memory_level: must be in [1, 9], got 0"},
      {"gzip: {window_bits: 16}\n", "gzip.window_bits: must be in [9, 15], got 16"},
      {"gzip: {chunk_size: 100}\n", "gzip.chunk_size: must be in [4096, 65536], got 100"},
      {"gzip: {content_types: [application/json, json]}\n",
       "gzip.content_types[1]: \"json\" is not a content type of the form type/subtype"},
      {"gzip: {name: Bad_Name}\n", "gzip.name: \"Bad_Name\" is not a valid Kubernetes name"},
      {"gateway: {namespace: Istio}\ngzip: {}\n", "gateway.namespace: \"Istio\""},
      {"gateway: {istio_version: '1.20'}\ngzip: {}\n",
       "gateway.istio_version: unsupported Istio version \"1.20\""},
      {"gateway: {hosts: ['bad host']}\ngzip: {}\n", "gateway.hosts[0]:"},
      {authz + ", excluded_paths: [/ok, healthz]}\n",
       "ext_authz.excluded_paths[1]: \"healthz\" must start with \"/\""},
      {authz + ", excluded_cidrs: [10.0.0.0/33]}\n",
       "ext_authz.excluded_cidrs[0]: \"10.0.0.0/33\" is not an IP address or CIDR"},
      {authz + ", excluded_cidrs: [not-an-ip]}\n", "ext_authz.excluded_cidrs[0]:"},
      {authz + ", timeout: soon}\n", "ext_authz.timeout: \"soon\" is not a duration Istio accepts"},
      {"gateway: {hosts: [a.example.com, a.example.com]}\ngzip: {}\n",
       "gateway.hosts[1]: \"a.example.com\" is listed twice (also hosts[0])"},
      {authz + ", status_on_error: 99}\n", "ext_authz.status_on_error: must be in [200, 599]"},
      {authz + ", port: 70000}\n", "ext_authz.port: must be in [1, 65535], got 70000"},
      {authz + ", provider_name: x_y}\n", "ext_authz.provider_name: \"x_y\" is not a valid"},
      {"ext_authz: {}\n", "ext_authz.upstream_target: required"},
      {"gateway: {}\n", "no feature enabled"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    std::string dir = MakeTempDir();
    std::string config = dir + "/edge.yaml";
    WriteStringToFile(config, c.yaml);
    auto result = RunEdgekit({"render", "-f", config, "-o", dir + "/out"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find(config + ": " + c.message), std::string::npos) << result.err;
    EXPECT_FALSE(FileExists(dir + "/out"));
    auto to_stdout = RunEdgekit({"render", "-f", config});
    EXPECT_EQ(to_stdout.exit_code, 1);
    EXPECT_EQ(to_stdout.out, "");
  }
}

TEST(RenderTest, UnknownKeyIsRejected) {
  std::string dir = MakeTempDir();
  WriteStringToFile(dir + "/edge.yaml", "gzip:\n  compresion_level: 5\n");
  auto result = RunEdgekit({"render", "-f", dir + "/edge.yaml", "-o", dir + "/out"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("gzip.compresion_level: unknown key"), std::string::npos) << result.err;
  EXPECT_FALSE(FileExists(dir + "/out"));
}

TEST(RenderTest, BadFlagsOfOneLiners) {
  auto result = RunEdgekit({"render", "gzip", "--window-bits", "8"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("command line: gzip.window_bits: must be in [9, 15], got 8"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.out, "");
  auto missing = RunEdgekit({"render", "ext-authz"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  auto selector = RunEdgekit({"render", "gzip", "--selector", "novalue"});
  EXPECT_EQ(selector.exit_code, 2) << selector.err;
}

TEST(RenderTest, UsageAndIoErrors) {
  EXPECT_EQ(RunEdgekit({"render"}).exit_code, 2);
  auto missing = RunEdgekit({"render", "-f", "/nonexistent/edge.yaml"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("/nonexistent/edge.yaml"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace edgekit::cli
