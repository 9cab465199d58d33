// Tests of the descriptor pruner (cli/proto/descriptor_pruner.h): what a service needs is
// kept (nested types, enums, types reached through fields of nested types, the
// google.api.http option's files), what it does not is dropped, `import public`
// forwarding survives the forwarding file being dropped, and the result always builds.
#include "cli/proto/descriptor_pruner.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cli/proto/proto_compiler.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

google::protobuf::FileDescriptorSet Compile(const std::string& dir,
                                            const std::vector<std::string>& inputs) {
  CompileOptions options;
  options.inputs = inputs;
  options.proto_paths = {dir};
  absl::StatusOr<google::protobuf::FileDescriptorSet> set = CompileProtos(options);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : google::protobuf::FileDescriptorSet();
}

std::vector<std::string> FileNames(const google::protobuf::FileDescriptorSet& set) {
  std::vector<std::string> names;
  for (const auto& f : set.file()) names.push_back(f.name());
  return names;
}

TEST(DescriptorPrunerTest, KeepsWhatTheServiceNeedsTransitively) {
  const std::string dir = testing::MakeTempDir();
  testing::WriteStringToFile(dir + "/shop.proto", R"(syntax = "proto3";
package shop;
import "google/api/annotations.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
service Orders {
  rpc Get(GetRequest) returns (Order) { option (google.api.http) = {get: "/v1/orders/{id}"}; }
}
service Admin { rpc Wipe(Unused) returns (Unused); }
message GetRequest { string id = 1; }
message Order {
  message Line { Item item = 1; Kind kind = 2; }
  enum Kind { KIND_UNSPECIFIED = 0; }
  repeated Line lines = 1;
  google.protobuf.Timestamp created = 2;
  map<string, Price> prices = 3;
}
message Item { string sku = 1; }
message Price { int64 cents = 1; Currency currency = 2; }
enum Currency { CURRENCY_UNSPECIFIED = 0; }
message Unused { google.protobuf.Duration d = 1; }
)");
  const google::protobuf::FileDescriptorSet set = Compile(dir, {"shop.proto"});
  absl::StatusOr<google::protobuf::FileDescriptorSet> pruned =
      PruneDescriptorSet(set, {"shop.Orders"});
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  google::protobuf::DescriptorPool pool;
  for (const auto& f : pruned->file()) ASSERT_NE(pool.BuildFile(f), nullptr) << f.name();
  for (const char* name : {"shop.Order", "shop.Order.Line", "shop.Item", "shop.Price",
                           "shop.GetRequest", "google.protobuf.Timestamp"}) {
    EXPECT_NE(pool.FindMessageTypeByName(name), nullptr) << name;
  }
  EXPECT_NE(pool.FindEnumTypeByName("shop.Currency"), nullptr);
  EXPECT_NE(pool.FindMethodByName("shop.Orders.Get"), nullptr);
  EXPECT_NE(pool.FindExtensionByName("google.api.http"), nullptr);
  EXPECT_EQ(pool.FindServiceByName("shop.Admin"), nullptr);
  EXPECT_EQ(pool.FindMessageTypeByName("shop.Unused"), nullptr);
  // duration.proto was needed only by Unused.
  const std::vector<std::string> files = FileNames(*pruned);
  EXPECT_EQ(std::count(files.begin(), files.end(), "google/protobuf/duration.proto"), 0);
  EXPECT_EQ(std::count(files.begin(), files.end(), "google/protobuf/timestamp.proto"), 1);
}

TEST(DescriptorPrunerTest, ImportPublicForwardingSurvivesItsFileBeingDropped) {
  // a.proto reaches C only through b.proto's `import public "c.proto"`; b.proto has
  // nothing the service needs and is dropped.
  const std::string dir = testing::MakeTempDir();
  testing::WriteStringToFile(dir + "/c.proto",
                             "syntax = \"proto3\";\npackage p;\nmessage C { string s = 1; }\n");
  testing::WriteStringToFile(dir + "/b.proto",
                             "syntax = \"proto3\";\npackage p;\nimport public \"c.proto\";\n"
                             "message Unused { int32 x = 1; }\n");
  testing::WriteStringToFile(dir + "/a.proto",
                             "syntax = \"proto3\";\npackage p;\nimport \"b.proto\";\n"
                             "service S { rpc M(C) returns (C); }\n");
  absl::StatusOr<google::protobuf::FileDescriptorSet> pruned =
      PruneDescriptorSet(Compile(dir, {"a.proto"}), {"p.S"});
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(FileNames(*pruned), (std::vector<std::string>{"c.proto", "a.proto"}));
  EXPECT_EQ(pruned->file(1).dependency(0), "c.proto");
}

TEST(DescriptorPrunerTest, AMissingServiceIsAnError) {
  const std::string dir = testing::MakeTempDir();
  testing::WriteStringToFile(dir + "/a.proto",
                             "syntax = \"proto3\";\npackage p;\nmessage M {}\n"
                             "service S { rpc X(M) returns (M); }\n");
  absl::StatusOr<google::protobuf::FileDescriptorSet> pruned =
      PruneDescriptorSet(Compile(dir, {"a.proto"}), {"p.Nope"});
  ASSERT_FALSE(pruned.ok());
  EXPECT_EQ(pruned.status().message(), "service p.Nope is not in the set");
}

}  // namespace
}  // namespace edgekit::cli
