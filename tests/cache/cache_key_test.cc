// Tests for cache/cache_key: which requests get a key, that every declared input changes
// it and nothing undeclared does, that the secret is part of it, and the path prefix
// normalisation.
#include "cache/cache_key.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "tests/testing/fake_request.h"

namespace edgekit::cache {
namespace {

using ::edgekit::testing::FakeRequest;

Secret FixedSecret(uint8_t fill) {
  Secret secret;
  secret.fill(fill);
  return secret;
}

KeySpec Headers(std::vector<std::string> names) {
  KeySpec spec;
  spec.headers = std::move(names);
  return spec;
}

TEST(CacheKeyTest, NoKeyWithoutAnyKeyHeader) {
  const KeyBuilder keys(Headers({"authorization", "cookie"}), FixedSecret(1));
  EXPECT_FALSE(keys.Build(FakeRequest()).has_value());
  EXPECT_FALSE(keys.Build(FakeRequest().Header("x-other", "a")).has_value());
  EXPECT_TRUE(keys.Build(FakeRequest().Header("cookie", "s=1")).has_value());
  // An empty value is still a value: the header is there.
  EXPECT_TRUE(keys.Build(FakeRequest().Header("authorization", "")).has_value());
}

TEST(CacheKeyTest, KeyHeaderValuesChangeTheKeyOtherHeadersDoNot) {
  const KeyBuilder keys(Headers({"authorization"}), FixedSecret(1));
  const auto a = keys.Build(FakeRequest().Header("authorization", "Bearer a"));
  const auto a_again =
      keys.Build(FakeRequest().Header("authorization", "Bearer a").Header("x-trace", "9"));
  const auto b = keys.Build(FakeRequest().Header("authorization", "Bearer b"));
  ASSERT_TRUE(a && a_again && b);
  EXPECT_EQ(*a, *a_again);
  EXPECT_NE(*a, *b);
  // Undeclared parts of the request are not in the key.
  EXPECT_EQ(*a, *keys.Build(FakeRequest()
                                .Header("authorization", "Bearer a")
                                .Method("POST")
                                .Path("/elsewhere")
                                .Host("other.example.com")
                                .ClientIp("192.0.2.1")));
}

TEST(CacheKeyTest, AbsentDiffersFromEmptyAndValuesDoNotRunTogether) {
  const KeyBuilder keys(Headers({"authorization", "cookie"}), FixedSecret(1));
  std::set<CacheKey> seen;
  for (const FakeRequest& request : {
           FakeRequest().Header("authorization", "ab"),
           FakeRequest().Header("authorization", "ab").Header("cookie", ""),
           FakeRequest().Header("authorization", "a").Header("cookie", "b"),
           FakeRequest().Header("authorization", "").Header("cookie", "ab"),
           FakeRequest().Header("cookie", "ab"),
       }) {
    const auto key = keys.Build(request);
    ASSERT_TRUE(key.has_value());
    EXPECT_TRUE(seen.insert(*key).second) << "two different requests share a key";
  }
}

TEST(CacheKeyTest, EachDeclaredInputChangesTheKey) {
  const FakeRequest base = FakeRequest()
                               .Header("authorization", "t")
                               .Method("GET")
                               .Host("a.example.com")
                               .Path("/v1/items/7?x=1")
                               .ClientIp("192.0.2.1");
  struct Case {
    const char* name;
    void (*declare)(KeySpec&);
    FakeRequest changed;
  };
  const Case cases[] = {
      {"method", [](KeySpec& s) { s.method = true; }, FakeRequest(base).Method("POST")},
      {"host", [](KeySpec& s) { s.host = true; }, FakeRequest(base).Host("b.example.com")},
      {"exact path", [](KeySpec& s) { s.path = KeySpec::Path::kExact; },
       FakeRequest(base).Path("/v1/items/7?x=2")},
      {"path prefix",
       [](KeySpec& s) {
         s.path = KeySpec::Path::kPrefix;
         s.path_segments = 2;
       },
       FakeRequest(base).Path("/v1/users/7")},
      {"source address", [](KeySpec& s) { s.source_address = true; },
       FakeRequest(base).ClientIp("192.0.2.2")},
  };
  for (const Case& c : cases) {
    KeySpec spec = Headers({"authorization"});
    const KeyBuilder undeclared(spec, FixedSecret(1));
    EXPECT_EQ(*undeclared.Build(base), *undeclared.Build(c.changed)) << c.name;
    c.declare(spec);
    const KeyBuilder declared(spec, FixedSecret(1));
    EXPECT_NE(*declared.Build(base), *declared.Build(c.changed)) << c.name;
  }
}

// The key is HMAC-SHA256(secret, "edgekit-cache-v1" + tagged, length-prefixed
// elements). Build feeds the elements into a precomputed HMAC state; this reference
// builds the whole message and asks OpenSSL's one-shot HMAC(), the way keys were made
// before: the two must agree byte for byte.
CacheKey ReferenceKey(const Secret& secret,
                      const std::vector<std::pair<char, std::string>>& parts) {
  std::string message = "edgekit-cache-v1";
  for (const auto& [tag, value] : parts) {
    message.push_back(tag);
    const uint32_t size = static_cast<uint32_t>(value.size());
    for (int shift = 24; shift >= 0; shift -= 8)
      message.push_back(static_cast<char>(size >> shift));
    message += value;
  }
  CacheKey key;
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.data(), &size);
  return key;
}

TEST(CacheKeyTest, IncrementalHmacEqualsTheOneShotHmac) {
  Secret secret;
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(i * 37 + 11);
  KeySpec spec = Headers({"authorization", "cookie"});
  spec.method = true;
  spec.host = true;
  spec.path = KeySpec::Path::kPrefix;
  spec.path_segments = 2;
  spec.source_address = true;
  const KeyBuilder keys(spec, secret);
  const std::string long_value(300, 'v');  // longer than a SHA-256 block
  const auto key = keys.Build(FakeRequest()
                                  .Header("authorization", long_value)
                                  .Method("GET")
                                  .Host("a.example.com")
                                  .Path("/v1/items/7?x=1")
                                  .ClientIp("192.0.2.1"));
  ASSERT_TRUE(key.has_value());
  const std::string ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff', '\xc0', 0, 2, 1};
  EXPECT_EQ(*key, ReferenceKey(secret, {{'H', long_value},
                                        {'h', ""},
                                        {'M', "GET"},
                                        {'A', "a.example.com"},
                                        {'P', "/v1/items"},
                                        {'S', ip}}));
  // Without the source address (unknown), and with the cookie only.
  const auto unknown =
      keys.Build(FakeRequest().Header("cookie", "s=1").Method("PUT").Host("h").Path("/"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(
      *unknown,
      ReferenceKey(secret,
                   {{'h', ""}, {'H', "s=1"}, {'M', "PUT"}, {'A', "h"}, {'P', "/"}, {'s', ""}}));
}

TEST(CacheKeyTest, PathPrefixKeepsOnlyItsSegments) {
  KeySpec spec = Headers({"authorization"});
  spec.path = KeySpec::Path::kPrefix;
  spec.path_segments = 2;
  const KeyBuilder keys(spec, FixedSecret(1));
  const auto key = [&](const char* path) {
    return *keys.Build(FakeRequest().Header("authorization", "t").Path(path));
  };
  EXPECT_EQ(key("/v1/items"), key("/v1/items/7?q=1"));
  EXPECT_EQ(key("/v1/items"), key("//v1/./items/"));
  EXPECT_NE(key("/v1/items"), key("/v1/users"));
}

TEST(CacheKeyTest, SourceAddressUnknownIsItsOwnKey) {
  KeySpec spec = Headers({"authorization"});
  spec.source_address = true;
  const KeyBuilder keys(spec, FixedSecret(1));
  const auto unknown = keys.Build(FakeRequest().Header("authorization", "t"));
  const auto any = keys.Build(FakeRequest().Header("authorization", "t").ClientIp("::"));
  ASSERT_TRUE(unknown && any);
  EXPECT_NE(*unknown, *any);
  // An IPv4-mapped address is the IPv4 client (as the rules see it).
  EXPECT_EQ(*keys.Build(FakeRequest().Header("authorization", "t").ClientIp("10.1.2.3")),
            *keys.Build(FakeRequest().Header("authorization", "t").ClientIp("::ffff:10.1.2.3")));
}

TEST(CacheKeyTest, TheSecretIsPartOfTheKey) {
  const FakeRequest request = FakeRequest().Header("authorization", "Bearer a");
  const auto one = KeyBuilder(Headers({"authorization"}), FixedSecret(1)).Build(request);
  const auto two = KeyBuilder(Headers({"authorization"}), FixedSecret(2)).Build(request);
  EXPECT_NE(*one, *two);
  EXPECT_NE(RandomSecret(), RandomSecret());
}

TEST(CacheKeyTest, NormalisedPathPrefix) {
  EXPECT_EQ(NormalisedPathPrefix("/a//b/./c/../d?x", 2), "/a/b");
  EXPECT_EQ(NormalisedPathPrefix("/a/b/../../../c", 5), "/c");
  EXPECT_EQ(NormalisedPathPrefix("/a/b#frag/c", 5), "/a/b");
  EXPECT_EQ(NormalisedPathPrefix("?only=query", 3), "/");
  EXPECT_EQ(NormalisedPathPrefix("", 1), "/");
  EXPECT_EQ(NormalisedPathPrefix("/a/b/c", 0), "/");
  EXPECT_EQ(NormalisedPathPrefix("/a/b/c", 3), "/a/b/c");
}

}  // namespace
}  // namespace edgekit::cache
