// Tests of the defaults declared in the edge.yaml schema ((edgekit.default_value),
// cli/edge/defaults.h): every one parses as its field's type, they fill only what is
// unset and only in present sections, and the CLI help shows the same values.
#include "cli/edge/defaults.h"

#include <set>
#include <string>

#include "cli/edge/edge_config.h"
#include "cli/render/pipeline.h"
#include "gtest/gtest.h"
#include "tests/cli/cli_test_util.h"

namespace edgekit::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Every message type reachable from EdgeConfig, each field with a declared default.
void CollectDefaults(const Descriptor* type, std::set<const Descriptor*>* seen, int* count) {
  if (!seen->insert(type).second) return;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (!DeclaredDefault(field).empty()) ++*count;
    if (field->message_type() != nullptr) CollectDefaults(field->message_type(), seen, count);
  }
}

TEST(DefaultsTest, EveryDeclaredDefaultLoadsIntoItsField) {
  // All sections present and empty: ApplyDeclaredDefaults sets (and so parses) every
  // default; a bad one aborts the test binary.
  absl::StatusOr<edge::v1::EdgeConfig> config = LoadEdgeConfigText(
      "gateway: {}\ngzip: {}\ntranscoding: {print_options: {}}\nroutes: {}\n"
      "direct_responses: {wasm: {}}\next_authz: {loopback: {}}\n",
      "edge.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ApplyDeclaredDefaults(&*config);
  std::set<const Descriptor*> seen;
  int declared = 0;
  CollectDefaults(edge::v1::EdgeConfig::descriptor(), &seen, &declared);
  EXPECT_GE(declared, 30);
  EXPECT_EQ(config->gateway().namespace_(), "istio-system");
  EXPECT_EQ(config->gateway().selector().at("istio"), "ingressgateway");
  EXPECT_EQ(config->gzip().min_content_length(), 30u);
  ASSERT_EQ(config->gzip().content_types_size(), 8);
  EXPECT_EQ(config->gzip().content_types(7), "text/xml");
  EXPECT_TRUE(config->gzip().has_disable_on_etag_header());
  EXPECT_TRUE(config->transcoding().convert_grpc_status());
  EXPECT_EQ(config->transcoding().unknown_query_parameters(), edge::v1::Transcoding::PASS_THROUGH);
  EXPECT_EQ(config->ext_authz().mode(), edge::v1::ExtAuthz::BROKER);
  EXPECT_EQ(config->ext_authz().loopback().retry_on(),
            "unavailable,cancelled,resource-exhausted,connect-failure,reset");
  EXPECT_EQ(config->direct_responses().wasm().phase(), edge::v1::DirectResponseWasm::STATS);
}

TEST(DefaultsTest, OnlyUnsetFieldsOfPresentSectionsAreFilled) {
  absl::StatusOr<edge::v1::EdgeConfig> config = LoadEdgeConfigText(
      "gzip: {compression_level: 9, content_types: [text/html]}\n"
      "ext_authz: {upstream_target: \"authz:9000\", mode: loopback}\n",
      "edge.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  ApplyEdgeDefaults(&*config);
  EXPECT_EQ(config->gzip().compression_level(), 9u);
  ASSERT_EQ(config->gzip().content_types_size(), 1);  // a list set is not extended
  EXPECT_EQ(config->gzip().memory_level(), 5u);
  EXPECT_FALSE(config->has_transcoding());
  EXPECT_FALSE(config->has_direct_responses());
  // mode in lowercase is the enum; the mode-dependent names follow it.
  EXPECT_EQ(config->ext_authz().mode(), edge::v1::ExtAuthz::LOOPBACK);
  EXPECT_EQ(config->ext_authz().service_entry_name(), "edgekit-authz-loopback");
  EXPECT_EQ(config->ext_authz().host(), "edgekit-authz-loopback.local");
  EXPECT_EQ(config->ext_authz().loopback().per_try_timeout(), "50ms");
}

TEST(DefaultsTest, BrokerModeNamesTheServiceEntryAfterTheProvider) {
  edge::v1::EdgeConfig config;
  config.mutable_ext_authz()->set_upstream_target("authz:9000");
  ApplyEdgeDefaults(&config);
  EXPECT_EQ(config.ext_authz().service_entry_name(), "edgekit-broker");
  EXPECT_EQ(config.ext_authz().host(), "edgekit-broker.local");
  EXPECT_FALSE(config.ext_authz().has_loopback());
}

TEST(DefaultsTest, HelpShowsTheDeclaredDefaults) {
  testing::CommandResult gzip = testing::RunEdgekit({"render", "gzip", "--help"});
  ASSERT_EQ(gzip.exit_code, 0) << gzip.err;
  EXPECT_NE(gzip.out.find("Smallest response compressed, bytes. Default " +
                          DeclaredDefault(edge::v1::Gzip::descriptor(), "min_content_length")),
            std::string::npos)
      << gzip.out;
  testing::CommandResult authz = testing::RunEdgekit({"render", "ext-authz", "--help"});
  ASSERT_EQ(authz.exit_code, 0) << authz.err;
  EXPECT_NE(authz.out.find("Broker port on 127.0.0.1. Default 9191"), std::string::npos)
      << authz.out;
}

}  // namespace
}  // namespace edgekit::cli
