// Target parsing and endpoint choice of the upstream pool (no network: ipv4 literals
// resolve without DNS, and channels are created lazily).
#include "broker/upstream_pool.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgekit::broker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseUpstreamTarget, HostPortIsResolvedByDns) {
  auto parsed = ParseUpstreamTarget("authz.auth.svc.cluster.local:8080");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->kind, ParsedTarget::Kind::kDns);
  EXPECT_EQ(parsed->host, "authz.auth.svc.cluster.local");
  EXPECT_EQ(parsed->port, "8080");
  EXPECT_EQ(parsed->authority, "authz.auth.svc.cluster.local:8080");
}

TEST(ParseUpstreamTarget, DnsSchemeForms) {
  for (const char* target : {"dns:///authz:9000", "dns://8.8.8.8/authz:9000", "dns:authz:9000"}) {
    auto parsed = ParseUpstreamTarget(target);
    ASSERT_TRUE(parsed.ok()) << target << ": " << parsed.status();
    EXPECT_EQ(parsed->kind, ParsedTarget::Kind::kDns) << target;
    EXPECT_EQ(parsed->host, "authz") << target;
    EXPECT_EQ(parsed->port, "9000") << target;
  }
}

TEST(ParseUpstreamTarget, Ipv6Literal) {
  auto parsed = ParseUpstreamTarget("[::1]:9000");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->host, "::1");
  EXPECT_EQ(parsed->port, "9000");
}

TEST(ParseUpstreamTarget, StaticListKeepsEveryAddress) {
  auto parsed = ParseUpstreamTarget("ipv4:10.0.0.1:80,10.0.0.2:81");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->kind, ParsedTarget::Kind::kStatic);
  EXPECT_THAT(parsed->addresses, ElementsAre("ipv4:10.0.0.1:80", "ipv4:10.0.0.2:81"));
}

TEST(ParseUpstreamTarget, OtherSchemesPassThrough) {
  auto parsed = ParseUpstreamTarget("unix:/run/authz.sock");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->kind, ParsedTarget::Kind::kPassThrough);
  EXPECT_THAT(parsed->addresses, ElementsAre("unix:/run/authz.sock"));
}

TEST(ParseUpstreamTarget, BadTargetsNameTheKey) {
  for (const char* target : {"", "authz", "authz:http", "ipv4:10.0.0.1", "dns://x"}) {
    auto parsed = ParseUpstreamTarget(target);
    ASSERT_FALSE(parsed.ok()) << target;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("upstream.target")) << target;
  }
}

UpstreamSettings Static(const std::string& target) {
  UpstreamSettings settings;
  settings.target = target;
  return settings;
}

TEST(UpstreamPool, PickSpreadsAndAvoidsEndpointsAlreadyUsed) {
  auto pool = UpstreamPool::Create(Static("ipv4:127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"), 1 << 20);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto snapshot = (*pool)->endpoints();
  ASSERT_EQ(snapshot->size(), 3u);
  // Round-robin: three picks with nothing to avoid visit all three endpoints.
  std::set<const UpstreamEndpoint*> seen;
  for (int i = 0; i < 3; ++i) seen.insert((*pool)->Pick(*snapshot, nullptr, 0).get());
  EXPECT_EQ(seen.size(), 3u);
  // A hedge never lands on an endpoint the call already used while another exists.
  for (int i = 0; i < 10; ++i) {
    const UpstreamEndpoint* used[2] = {(*snapshot)[0].get(), (*snapshot)[2].get()};
    EXPECT_EQ((*pool)->Pick(*snapshot, used, 2).get(), (*snapshot)[1].get());
  }
  // With every endpoint used, one is still returned (a second try on the same replica
  // beats no try).
  const UpstreamEndpoint* all[3] = {(*snapshot)[0].get(), (*snapshot)[1].get(),
                                    (*snapshot)[2].get()};
  EXPECT_NE((*pool)->Pick(*snapshot, all, 3), nullptr);
}

TEST(UpstreamPool, MissingCaFileIsNamed) {
  UpstreamSettings settings = Static("127.0.0.1:1");
  settings.ca_file = "/nonexistent/ca.pem";
  auto pool = UpstreamPool::Create(settings, 1 << 20);
  ASSERT_FALSE(pool.ok());
  EXPECT_THAT(std::string(pool.status().message()), HasSubstr("upstream.ca_file"));
  EXPECT_THAT(std::string(pool.status().message()), HasSubstr("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace edgekit::broker
