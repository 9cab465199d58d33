// Tests of the `render` one-liners' flags -> EdgeConfig functions (cli/commands/), run
// in-process: the config each flag set stands for, unset flags left for the defaults,
// and the usage errors (exit code 2) for what CLI11 cannot check.
#include <string>

#include "cli/commands/command.h"
#include "cli/commands/render_direct_response_command.h"
#include "cli/commands/render_ext_authz_command.h"
#include "cli/commands/render_gzip_command.h"
#include "cli/commands/render_transcoding_command.h"
#include "gtest/gtest.h"

namespace edgekit::cli {
namespace {

TEST(RenderFlagsTest, UnlessHeadersBecomeOneNegatedConjunction) {
  // The seed's case: answer unless BOTH x-foo: 1 and x-bar: 1 are present.
  DirectResponseFlags flags;
  flags.status = 400;
  flags.body = "This is direct response!";
  flags.unless_headers = {"x-foo=1", "x-bar"};
  flags.destination = "web.default:8080";
  absl::StatusOr<edge::v1::EdgeConfig> config = DirectResponseFlagsToConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->direct_responses().rules_size(), 1);
  const rules::v1::Rule& rule = config->direct_responses().rules(0);
  EXPECT_EQ(rule.name(), "respond");
  EXPECT_EQ(rule.respond().status(), 400u);
  EXPECT_EQ(rule.respond().body(), "This is direct response!");
  // One test: it stands alone, not wrapped in all[].
  ASSERT_TRUE(rule.when().has_not_());
  ASSERT_EQ(rule.when().not_().all_size(), 2);
  EXPECT_EQ(rule.when().not_().all(0).header().name(), "x-foo");
  EXPECT_EQ(rule.when().not_().all(0).header().exact(), "1");
  EXPECT_EQ(rule.when().not_().all(1).header().name(), "x-bar");
  EXPECT_TRUE(rule.when().not_().all(1).header().present());
  EXPECT_EQ(config->routes().default_destination().host(), "web.default");
  EXPECT_EQ(config->routes().default_destination().port(), 8080u);
}

TEST(RenderFlagsTest, SeveralTestsAreAllOfThemAndNoneIsEveryRequest) {
  DirectResponseFlags flags;
  flags.status = 503;
  flags.if_headers = {"x-env=staging"};
  flags.if_absent = {"x-debug"};
  flags.if_path_prefix = "/api/";
  flags.if_method = "POST";
  absl::StatusOr<edge::v1::EdgeConfig> config = DirectResponseFlagsToConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  const rules::v1::Condition& when = config->direct_responses().rules(0).when();
  ASSERT_EQ(when.all_size(), 4);
  EXPECT_EQ(when.all(0).header().exact(), "staging");
  EXPECT_TRUE(when.all(1).header().absent());
  EXPECT_EQ(when.all(2).path().prefix(), "/api/");
  EXPECT_EQ(when.all(3).method(), "POST");

  DirectResponseFlags always;
  always.status = 503;
  config = DirectResponseFlagsToConfig(always);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->direct_responses().rules(0).has_when());
  EXPECT_FALSE(config->has_routes());
}

TEST(RenderFlagsTest, MalformedValuesAreUsageErrors) {
  DirectResponseFlags header;
  header.status = 200;
  header.response_headers = {"no-equals-sign"};
  absl::Status s = DirectResponseFlagsToConfig(header).status();
  EXPECT_TRUE(IsUsageError(s)) << s;
  EXPECT_EQ(s.message(),
            "render direct-response: --response-header no-equals-sign: expected "
            "NAME=VALUE");

  DirectResponseFlags destination;
  destination.status = 200;
  destination.destination = "web:99999";
  s = DirectResponseFlagsToConfig(destination).status();
  EXPECT_TRUE(IsUsageError(s)) << s;
  EXPECT_EQ(std::string(s.message()).rfind("render direct-response: --destination: ", 0), 0u)
      << s.message();

  GzipFlags gzip;
  gzip.gateway.selector = {"istio"};
  s = GzipFlagsToConfig(gzip).status();
  EXPECT_TRUE(IsUsageError(s)) << s;
  EXPECT_EQ(s.message(), "render: --selector istio: expected KEY=VALUE");

  TranscodingFlags no_input;
  no_input.descriptor = "";
  s = TranscodingFlagsToConfig(no_input).status();
  EXPECT_TRUE(IsUsageError(s)) << s;

  // A usage error is not any InvalidArgument: main.cc maps only marked ones to 2.
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("edge.yaml: gzip.name: bad")));
}

TEST(RenderFlagsTest, UnsetFlagsStayUnsetForTheDefaults) {
  GzipFlags flags;
  flags.compression_level = 9;
  absl::StatusOr<edge::v1::EdgeConfig> config = GzipFlagsToConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->gzip().compression_level(), 9u);
  EXPECT_FALSE(config->gzip().has_memory_level());
  EXPECT_FALSE(config->gzip().has_name());
  EXPECT_FALSE(config->gateway().has_namespace_());
  EXPECT_TRUE(config->gateway().selector().empty());

  ExtAuthzFlags authz;
  authz.upstream = "dns:///authz.auth.svc:9000";
  authz.hedge_budget = 0.05;
  authz.gateway.namespace_ = "edge";
  authz.gateway.selector = {"app=gw", "tier=edge"};
  config = ExtAuthzFlagsToConfig(authz);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ext_authz().upstream_target(), "dns:///authz.auth.svc:9000");
  EXPECT_DOUBLE_EQ(config->ext_authz().hedging().budget(), 0.05);
  EXPECT_FALSE(config->ext_authz().hedging().has_max_attempts());
  EXPECT_FALSE(config->ext_authz().has_loopback());
  EXPECT_FALSE(config->ext_authz().has_mode());
  EXPECT_EQ(config->gateway().namespace_(), "edge");
  EXPECT_EQ(config->gateway().selector().at("tier"), "edge");
}

TEST(RenderFlagsTest, TranscodingFlagsMapToTheirFields) {
  TranscodingFlags flags;
  flags.positional_protos = {"b.proto"};
  flags.protos = {"a.proto"};
  flags.destination = "greeter.default.svc:50051";
  flags.unknown_query_parameters = "reject";
  flags.no_convert_grpc_status = true;
  flags.gzip = true;
  absl::StatusOr<edge::v1::EdgeConfig> config = TranscodingFlagsToConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status();
  const edge::v1::Transcoding& tc = config->transcoding();
  ASSERT_EQ(tc.proto_files_size(), 2);
  EXPECT_EQ(tc.proto_files(0), "a.proto");  // --proto first, then PROTO..., as before
  EXPECT_EQ(tc.destination().port(), 50051u);
  EXPECT_EQ(tc.unknown_query_parameters(), edge::v1::Transcoding::REJECT);
  EXPECT_FALSE(tc.convert_grpc_status());
  EXPECT_FALSE(tc.has_descriptor_set());
  EXPECT_TRUE(config->has_gzip());
}

}  // namespace
}  // namespace edgekit::cli
