// examples/helloworld: the rendered manifests checked in next to edge.yaml must be what
// `edgekit render` gives today (EDGEKIT_UPDATE_GOLDEN=1 rewrites them; review the diff),
// every Istio object must pass the real CRD schemas and the semantic checks, broker.yaml
// must be accepted by the real broker, and the embedded descriptor must carry the
// Greeter's `POST /say` binding.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "cli/proto/http_routes.h"
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
using ::edgekit::cli::testing::RunCommand;
using ::edgekit::cli::testing::RunEdgekit;
using ::edgekit::cli::testing::WriteStringToFile;

const std::string kExample = EDGEKIT_SOURCE_DIR "/examples/helloworld";
const std::string kRendered = kExample + "/rendered";
std::string CrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

// Renders the example into a fresh directory (from another working directory, so paths
// in edge.yaml must resolve against the file's own directory).
std::string RenderExample() {
  const std::string out = MakeTempDir() + "/rendered";
  auto result = RunCommand({EDGEKIT_CLI_BINARY, "render", "-f", kExample + "/edge.yaml", "-o", out},
                           "/dev/null", "/");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "") << "the example renders without warnings";
  return out;
}

TEST(HelloworldExampleTest, CheckedInManifestsAreUpToDate) {
  const std::string out = RenderExample();
  const std::vector<std::string> files = ListDir(out);
  EXPECT_EQ(files, (std::vector<std::string>{"broker.yaml", "ext-authz-istio-operator.yaml",
                                             "ext-authz-istiod-values.yaml", "ext-authz.yaml",
                                             "routes.yaml", "transcoding.yaml"}));
  const char* update = std::getenv("EDGEKIT_UPDATE_GOLDEN");
  const bool updating = update != nullptr && std::string(update) == "1";
  if (!updating) {
    EXPECT_EQ(ListDir(kRendered), files) << "files in " << kRendered;
  }
  for (const std::string& name : files) {
    const std::string fresh = ReadFileToString(out + "/" + name);
    if (updating) {
      WriteStringToFile(kRendered + "/" + name, fresh);
      continue;
    }
    EXPECT_EQ(ReadFileToString(kRendered + "/" + name), fresh)
        << kRendered << "/" << name << " is stale: rerun with EDGEKIT_UPDATE_GOLDEN=1 and "
        << "review the diff";
  }
}

TEST(HelloworldExampleTest, EveryIstioObjectIsValid) {
  if (!FileExists(CrdFile()))
    GTEST_SKIP() << CrdFile() << " not found (from CI: ../shared/schemas)";
  absl::StatusOr<CrdRegistry> registry = CrdRegistry::FromFile(CrdFile());
  ASSERT_TRUE(registry.ok()) << registry.status();
  std::vector<std::string> kinds;
  for (const std::string& name : ListDir(kRendered)) {
    for (const std::string& kind : testing::ExpectValidIstioObjects(
             *registry, ReadFileToString(kRendered + "/" + name), name)) {
      kinds.push_back(kind);
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"ServiceEntry", "AuthorizationPolicy",
                                             "VirtualService", "EnvoyFilter"}));
}

TEST(HelloworldExampleTest, DescriptorCarriesTheGreeterBinding) {
  const YAML::Node filter = YAML::Load(ReadFileToString(kRendered + "/transcoding.yaml"));
  const YAML::Node patches = filter["spec"]["configPatches"];
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[0]["patch"]["value"]["name"].as<std::string>(),
            "envoy.filters.http.compressor");
  const YAML::Node transcoder = patches[1]["patch"]["value"];
  ASSERT_EQ(transcoder["name"].as<std::string>(), "envoy.filters.http.grpc_json_transcoder");
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(
      transcoder["typed_config"]["proto_descriptor_bin"].as<std::string>(), &bytes));
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(bytes));
  absl::StatusOr<std::vector<HttpRoute>> routes = ListHttpRoutes(set);
  ASSERT_TRUE(routes.ok()) << routes.status();
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].method, "helloworld.Greeter/SayHello");
  EXPECT_EQ((*routes)[0].verb, "POST");
  EXPECT_EQ((*routes)[0].path, "/say");

  // After transcoding the path is /helloworld.Greeter/SayHello: the VirtualService must
  // send that prefix to the Greeter, after the direct-response rule.
  const YAML::Node vs = YAML::Load(ReadFileToString(kRendered + "/routes.yaml"));
  const YAML::Node http = vs["spec"]["http"];
  ASSERT_EQ(http.size(), 3u);
  EXPECT_TRUE(http[0]["directResponse"]);
  EXPECT_EQ(http[1]["match"][0]["uri"]["prefix"].as<std::string>(), "/helloworld.Greeter/");
  EXPECT_EQ(http[1]["route"][0]["destination"]["host"].as<std::string>(),
            "greeter.default.svc.cluster.local");
  EXPECT_FALSE(http[2]["match"]) << "the last route is the catch-all";
}

TEST(HelloworldExampleTest, BrokerAcceptsTheRenderedConfig) {
  auto check =
      RunCommand({EDGEKIT_BROKER_BINARY, "--config", kRendered + "/broker.yaml", "--check-config"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find("budget=0.05"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace edgekit::cli
