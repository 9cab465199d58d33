// The shared grammars (common/syntax.h): the edges of each, since every part of edgekit
// now judges names, tokens and addresses by these.
#include "common/syntax.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgekit {
namespace {

using ::testing::HasSubstr;

TEST(SyntaxTest, HttpTokenIsRfc9110) {
  EXPECT_TRUE(IsHttpToken("x-foo"));
  EXPECT_TRUE(IsHttpToken("!#$%&'*+-.^_`|~09azAZ"));
  for (const char* bad : {"", "a b", "a:b", "a/b", "a\"b", "a(b", "a{b", "é"}) {
    EXPECT_FALSE(IsHttpToken(bad)) << bad;
  }
}

TEST(SyntaxTest, DnsNames) {
  EXPECT_TRUE(IsDns1123Label("a"));
  EXPECT_TRUE(IsDns1123Label(std::string(63, 'a')));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
  for (const char* bad : {"", "-a", "a-", "A", "a.b", "a_b"})
    EXPECT_FALSE(IsDns1123Label(bad)) << bad;
  EXPECT_TRUE(IsDns1123Subdomain("web.default.svc.cluster.local"));
  for (const char* bad : {"", ".a", "a.", "a..b", "A.b"}) {
    EXPECT_FALSE(IsDns1123Subdomain(bad)) << bad;
  }
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  long_name += "x";  // 257 characters
  EXPECT_FALSE(IsDns1123Subdomain(long_name));
}

TEST(SyntaxTest, Labels) {
  EXPECT_TRUE(IsLabelValue("", /*allow_empty=*/true));
  EXPECT_FALSE(IsLabelValue("", /*allow_empty=*/false));
  EXPECT_TRUE(IsLabelValue("Ingress_Gateway.v1", false));
  for (const char* bad : {"-a", "a-", "a b", "a/b"}) EXPECT_FALSE(IsLabelValue(bad, true)) << bad;
  EXPECT_TRUE(IsLabelKey("istio"));
  EXPECT_TRUE(IsLabelKey("app.kubernetes.io/name"));
  for (const char* bad : {"", "/a", "a/", "A.io/x", "a/b/c"}) EXPECT_FALSE(IsLabelKey(bad)) << bad;
}

TEST(SyntaxTest, HostPort) {
  auto v4 = ParseHostPort("127.0.0.1:9191");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9191u);
  auto v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0u);
  EXPECT_EQ(ParseHostPort("web.default.svc:65535")->port, 65535u);
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c :
       {Case{"nocolon", "expected host:port, got \"nocolon\""}, Case{":80", "non-empty host"},
        Case{"::1:80", "IPv6 host in brackets"}, Case{"[::1]80", "expected host:port"},
        Case{"a:", "numeric port"}, Case{"a:+80", "numeric port"}, Case{"a:123456", "numeric port"},
        Case{"a:65536", "port must be in [0, 65535], got 65536"}}) {
    auto parsed = ParseHostPort(c.text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.error)) << c.text;
  }
}

}  // namespace
}  // namespace edgekit
