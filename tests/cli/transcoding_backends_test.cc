// Tests of transcoding.backends: several gRPC backends behind the gateway's one
// transcoder, each service routed to its own destination, their descriptors merged into
// one set that still holds every method; and the conflicts refused with the keys named
// (several bound services behind one destination, a service in two backends, two
// services binding one verb and template, one file name with two contents).
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

constexpr char kOrdersProto[] = R"(syntax = "proto3";
package shop.v1;
import "google/api/annotations.proto";
service Orders {
  rpc GetOrder(GetOrderRequest) returns (Order) {
    option (google.api.http) = {get: "/v1/orders/{id}"};
  }
}
message GetOrderRequest { string id = 1; }
message Order { string id = 1; int64 total_cents = 2; }
)";

// Two bound services in one file.
constexpr char kTwoServicesProto[] = R"(syntax = "proto3";
package pay.v1;
import "google/api/annotations.proto";
service Payments {
  rpc Pay(PayRequest) returns (PayReply) { option (google.api.http) = {post: "/v1/pay" body: "*"}; }
}
service Refunds {
  rpc Refund(PayRequest) returns (PayReply) { option (google.api.http) = {post: "/v1/refund" body: "*"}; }
}
message PayRequest { string id = 1; }
message PayReply { string id = 1; }
)";

// Binds GET /v1/orders/{...} again, under another variable name.
constexpr char kClashProto[] = R"(syntax = "proto3";
package legacy.v1;
import "google/api/annotations.proto";
service LegacyOrders {
  rpc Fetch(FetchRequest) returns (FetchReply) {
    option (google.api.http) = {get: "/v1/orders/{order_id}"};
  }
}
message FetchRequest { string order_id = 1; }
message FetchReply { string id = 1; }
)";

class TranscodingBackendsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    testing::WriteStringToFile(
        dir_ + "/greeter.proto",
        testing::ReadFileToString(EDGEKIT_SOURCE_DIR "/examples/helloworld/greeter.proto"));
    testing::WriteStringToFile(dir_ + "/orders.proto", kOrdersProto);
    testing::WriteStringToFile(dir_ + "/pay.proto", kTwoServicesProto);
    testing::WriteStringToFile(dir_ + "/clash.proto", kClashProto);
  }

  testing::CommandResult Render(const std::string& transcoding) {
    testing::WriteStringToFile(dir_ + "/edge.yaml",
                               absl::StrCat("gateway: {hosts: [api.example.com]}\n", transcoding));
    return testing::RunEdgekit({"render", "-f", dir_ + "/edge.yaml", "-o", dir_ + "/out"});
  }

  std::string dir_;
};

constexpr char kTwoBackends[] = R"(transcoding:
  backends:
    - proto_files: [greeter.proto]
      destination: {host: greeter.hello.svc.cluster.local, port: 50051}
    - proto_files: [orders.proto]
      destination: {host: orders.shop.svc.cluster.local, port: 9000}
)";

TEST_F(TranscodingBackendsTest, OneTranscoderEachServiceToItsOwnDestination) {
  auto result = Render(kTwoBackends);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  YAML::Node filter = YAML::LoadFile(dir_ + "/out/transcoding.yaml");
  const YAML::Node patches = filter["spec"]["configPatches"];
  ASSERT_EQ(patches.size(), 1u) << "one transcoder filter for the gateway";
  const YAML::Node config = patches[0]["patch"]["value"]["typed_config"];
  ASSERT_EQ(config["services"].size(), 2u);
  EXPECT_EQ(config["services"][0].as<std::string>(), "helloworld.Greeter");
  EXPECT_EQ(config["services"][1].as<std::string>(), "shop.v1.Orders");

  // The merged descriptor builds as one pool and holds every method of both services.
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(config["proto_descriptor_bin"].as<std::string>(), &bytes));
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(bytes));
  google::protobuf::DescriptorPool pool;
  for (const auto& file : set.file()) ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  EXPECT_NE(pool.FindMethodByName("helloworld.Greeter.SayHello"), nullptr);
  EXPECT_NE(pool.FindMethodByName("shop.v1.Orders.GetOrder"), nullptr);

  // After transcoding, each gRPC path reaches its own backend.
  YAML::Node vs = YAML::LoadFile(dir_ + "/out/routes.yaml");
  auto destination_of = [&](const std::string& path) {
    ::edgekit::testing::RouteRequest req;
    req.method = "POST";
    req.host = "api.example.com";
    req.path = path;
    const std::string name = ::edgekit::testing::RouteTaken(vs, req);
    for (const auto& route : vs["spec"]["http"]) {
      if (route["name"].as<std::string>() == name) {
        return route["route"][0]["destination"]["host"].as<std::string>();
      }
    }
    return std::string("404");
  };
  EXPECT_EQ(destination_of("/helloworld.Greeter/SayHello"), "greeter.hello.svc.cluster.local");
  EXPECT_EQ(destination_of("/shop.v1.Orders/GetOrder"), "orders.shop.svc.cluster.local");
  EXPECT_EQ(destination_of("/shop.v1.Other/GetOrder"), "404");
}

TEST_F(TranscodingBackendsTest, TopLevelBlockIsOneBackendOfItsOwn) {
  auto result = Render(R"(transcoding:
  proto_files: [greeter.proto]
  destination: {host: greeter.hello.svc.cluster.local, port: 50051}
  backends:
    - proto_files: [orders.proto]
      destination: {host: orders.shop.svc.cluster.local, port: 9000}
)");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string routes = testing::ReadFileToString(dir_ + "/out/routes.yaml");
  EXPECT_TRUE(absl::StrContains(routes, "host: orders.shop.svc.cluster.local")) << routes;
  EXPECT_TRUE(absl::StrContains(routes, "host: greeter.hello.svc.cluster.local")) << routes;
}

TEST_F(TranscodingBackendsTest, SeveralBoundServicesNeedToBeListed) {
  auto result = Render(R"(transcoding:
  proto_files: [pay.proto]
  destination: {host: pay.pay.svc.cluster.local, port: 9000}
)");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(
      result.err,
      "edge.yaml: transcoding.services: the descriptor set has 2 services with "
      "google.api.http bindings (pay.v1.Payments, pay.v1.Refunds) and transcoding.destination "
      "is one backend: list the services it serves in transcoding.services, and give each "
      "other service its own entry in transcoding.backends"))
      << result.err;
  EXPECT_FALSE(testing::FileExists(dir_ + "/out"));
  // Listed, each to its own backend: fine.
  result = Render(R"(transcoding:
  backends:
    - proto_files: [pay.proto]
      services: [pay.v1.Payments]
      destination: {host: pay.pay.svc.cluster.local, port: 9000}
    - proto_files: [pay.proto]
      services: [pay.v1.Refunds]
      destination: {host: refunds.pay.svc.cluster.local, port: 9000}
)");
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(TranscodingBackendsTest, ConflictsAreRefusedNamingBothSides) {
  struct Case {
    std::string yaml, want;
  };
  const std::vector<Case> cases = {
      {R"(transcoding:
  backends:
    - proto_files: [orders.proto]
      destination: {host: a.shop.svc.cluster.local, port: 9000}
    - proto_files: [orders.proto]
      destination: {host: b.shop.svc.cluster.local, port: 9000}
)",
       "transcoding.backends[1].services: service \"shop.v1.Orders\" is already served by "
       "transcoding.backends[0]: a gRPC service has one destination"},
      {R"(transcoding:
  backends:
    - proto_files: [orders.proto]
      destination: {host: a.shop.svc.cluster.local, port: 9000}
    - proto_files: [clash.proto]
      destination: {host: legacy.shop.svc.cluster.local, port: 9000}
)",
       "transcoding.backends[1]: legacy.v1.LegacyOrders/Fetch binds GET /v1/orders/{order_id}, "
       "as shop.v1.Orders/GetOrder (transcoding.backends[0]) already does: two services may "
       "not bind the same verb and path template"},
      {R"(transcoding:
  backends:
    - proto_files: [orders.proto]
      destination: {host: a.shop.svc.cluster.local, port: 9000}
    - proto_files: [copy/orders.proto]
      include_paths: [copy]
      services: [shop.v1.Orders2]
      destination: {host: b.shop.svc.cluster.local, port: 9000}
)",
       "transcoding.backends[1].proto_files: orders.proto differs from the file of the same "
       "name in transcoding.backends[0].proto_files: the gateway's one transcoder loads one "
       "merged descriptor set, so shared files must be identical"},
      {R"(transcoding:
  backends:
    - proto_files: [orders.proto]
)",
       "transcoding.backends[0].destination: required"},
      {R"(transcoding:
  backends:
    - destination: {host: a.shop.svc.cluster.local, port: 9000}
)",
       "transcoding.backends[0]: no descriptor"},
  };
  // Another orders.proto, with one more service.
  ASSERT_EQ(system(("mkdir -p " + dir_ + "/copy").c_str()), 0);
  testing::WriteStringToFile(
      dir_ + "/copy/orders.proto",
      absl::StrCat(kOrdersProto,
                   "service Orders2 { rpc Get(GetOrderRequest) returns (Order) { option "
                   "(google.api.http) = {get: \"/v2/orders/{id}\"}; } }\n"));
  for (const Case& c : cases) {
    auto result = Render(c.yaml);
    EXPECT_EQ(result.exit_code, 1) << c.yaml;
    EXPECT_TRUE(absl::StrContains(result.err, c.want))
        << "want: " << c.want << "\ngot: " << result.err;
    EXPECT_FALSE(testing::FileExists(dir_ + "/out"));
  }
}

}  // namespace
}  // namespace edgekit::cli
