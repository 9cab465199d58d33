// Tests for rules/ip_set: parsing of addresses and networks, membership at range edges,
// IPv4-mapped IPv6, merging, the error messages, and a property test against a linear scan.
#include "rules/ip_set.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace edgekit::rules {
namespace {

using U128 = unsigned __int128;

constexpr absl::string_view kPath = "direct_responses.rules[0].when.client_ip.cidrs";

IpAddress FromU128(U128 v) {
  return IpAddress{static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)};
}

// The address `text` must parse to (a test bug otherwise).
IpAddress Ip(absl::string_view text) {
  const std::optional<IpAddress> a = ParseIpAddress(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

IpSet MustBuild(const std::vector<absl::string_view>& cidrs) {
  absl::StatusOr<IpSet> set = IpSet::Build(cidrs, kPath);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *std::move(set) : IpSet();
}

std::string BuildError(const std::vector<absl::string_view>& cidrs) {
  absl::StatusOr<IpSet> set = IpSet::Build(cidrs, kPath);
  if (set.ok()) return "(built)";
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(set.status().message());
}

bool In(const IpSet& set, absl::string_view address) { return set.Contains(Ip(address)); }

TEST(ParseIpAddressTest, ParsesV4AsMappedAndV6) {
  EXPECT_EQ(Ip("10.1.2.3"), FromU128((U128{0xffff} << 32) | 0x0a010203));
  EXPECT_EQ(Ip("::ffff:10.1.2.3"), Ip("10.1.2.3"));
  EXPECT_EQ(Ip("2001:db8::1"), FromU128((U128{0x20010db8} << 96) | 1));
  EXPECT_EQ(Ip("::"), FromU128(0));
  EXPECT_EQ(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), FromU128(~U128{0}));
}

TEST(ParseIpAddressTest, RefusesWhatIsNotABareAddress) {
  for (absl::string_view text :
       {"", "10.0.0", "10.0.0.256", "10.0.0.1/32", "[2001:db8::1]", "2001:db8::1%eth0",
        "10.0.0.1:80", " 10.0.0.1", "10.0.0.1 ", "example.com", "2001:db8:::1", "1.2.3.4.5",
        "0123456789012345678901234567890123456789012345678901"}) {
    EXPECT_FALSE(ParseIpAddress(text).has_value()) << "\"" << text << "\"";
  }
}

TEST(IpSetTest, EmptySetHoldsNothing) {
  const IpSet set = MustBuild({});
  EXPECT_EQ(set.range_count(), 0u);
  EXPECT_EQ(set.entry_count(), 0u);
  EXPECT_FALSE(In(set, "10.0.0.1"));
  EXPECT_FALSE(In(set, "::"));
}

TEST(IpSetTest, V4NetworkBoundaries) {
  const IpSet set = MustBuild({"203.0.113.0/24"});
  EXPECT_FALSE(In(set, "203.0.112.255"));
  EXPECT_TRUE(In(set, "203.0.113.0"));
  EXPECT_TRUE(In(set, "203.0.113.77"));
  EXPECT_TRUE(In(set, "203.0.113.255"));
  EXPECT_FALSE(In(set, "203.0.114.0"));
  EXPECT_EQ(set.range_count(), 1u);
  EXPECT_EQ(set.entry_count(), 1u);
}

TEST(IpSetTest, V4SingleAddressAndSlash32) {
  const IpSet set = MustBuild({"198.51.100.7", "192.0.2.1/32"});
  EXPECT_TRUE(In(set, "198.51.100.7"));
  EXPECT_FALSE(In(set, "198.51.100.6"));
  EXPECT_FALSE(In(set, "198.51.100.8"));
  EXPECT_TRUE(In(set, "192.0.2.1"));
  EXPECT_FALSE(In(set, "192.0.2.0"));
  EXPECT_FALSE(In(set, "192.0.2.2"));
  EXPECT_EQ(set.range_count(), 2u);
}

TEST(IpSetTest, V6NetworkBoundaries) {
  const IpSet set = MustBuild({"2001:db8::/32"});
  EXPECT_FALSE(In(set, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(In(set, "2001:db8::"));
  EXPECT_TRUE(In(set, "2001:db8:1234::1"));
  EXPECT_TRUE(In(set, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(In(set, "2001:db9::"));
}

TEST(IpSetTest, V6PrefixCrossingTheHalfWordBoundary) {
  // /63, /64 and /65 put the edge on either side of the hi/lo split.
  const IpSet set = MustBuild({"2001:db8:0:2::/63", "2001:db8:0:10::/64", "2001:db8:0:20::/65"});
  EXPECT_FALSE(In(set, "2001:db8:0:1:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(In(set, "2001:db8:0:2::"));
  EXPECT_TRUE(In(set, "2001:db8:0:3:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(In(set, "2001:db8:0:4::"));
  EXPECT_FALSE(In(set, "2001:db8:0:f:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(In(set, "2001:db8:0:10::"));
  EXPECT_TRUE(In(set, "2001:db8:0:10:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(In(set, "2001:db8:0:11::"));
  EXPECT_TRUE(In(set, "2001:db8:0:20::"));
  EXPECT_TRUE(In(set, "2001:db8:0:20:7fff:ffff:ffff:ffff"));
  EXPECT_FALSE(In(set, "2001:db8:0:20:8000::"));
}

TEST(IpSetTest, V6SingleAddress) {
  const IpSet set = MustBuild({"2001:db8::1", "2001:db8::ff/128"});
  EXPECT_TRUE(In(set, "2001:db8::1"));
  EXPECT_FALSE(In(set, "2001:db8::"));
  EXPECT_FALSE(In(set, "2001:db8::2"));
  EXPECT_TRUE(In(set, "2001:db8::ff"));
  EXPECT_FALSE(In(set, "2001:db8::fe"));
  EXPECT_FALSE(In(set, "2001:db8::100"));
}

TEST(IpSetTest, V4SlashZeroIsEveryV4AddressOnly) {
  const IpSet set = MustBuild({"0.0.0.0/0"});
  EXPECT_TRUE(In(set, "0.0.0.0"));
  EXPECT_TRUE(In(set, "255.255.255.255"));
  EXPECT_TRUE(In(set, "::ffff:1.2.3.4"));
  EXPECT_FALSE(In(set, "::"));
  EXPECT_FALSE(In(set, "::fffe:ffff:ffff"));  // just below ::ffff:0.0.0.0
  EXPECT_FALSE(In(set, "::1:0:0:0"));         // just above ::ffff:255.255.255.255
  EXPECT_FALSE(In(set, "2001:db8::1"));
  EXPECT_FALSE(In(set, "::1"));
}

TEST(IpSetTest, V6SlashZeroIsEveryAddress) {
  const IpSet set = MustBuild({"::/0"});
  EXPECT_TRUE(In(set, "::"));
  EXPECT_TRUE(In(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(In(set, "2001:db8::1"));
  EXPECT_TRUE(In(set, "10.1.2.3"));
  EXPECT_EQ(set.range_count(), 1u);
}

TEST(IpSetTest, MaximumAddressMergesWithoutWrapping) {
  // The last range ends at the highest address: merging must not wrap to ::.
  const IpSet set = MustBuild({"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120",
                               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/128", "ffff::/16"});
  EXPECT_EQ(set.range_count(), 2u);
  EXPECT_TRUE(In(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(In(set, "ffff::"));
  EXPECT_TRUE(In(set, "::"));
  EXPECT_FALSE(In(set, "::1"));
  EXPECT_FALSE(In(set, "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(IpSetTest, MappedV6ClientMatchesV4Network) {
  const IpSet set = MustBuild({"10.0.0.0/8"});
  EXPECT_TRUE(In(set, "::ffff:10.1.2.3"));
  EXPECT_TRUE(In(set, "::ffff:a01:203"));  // the same address in hex
  EXPECT_TRUE(In(set, "10.1.2.3"));
  EXPECT_FALSE(In(set, "::ffff:11.0.0.0"));
  // An unrelated IPv6 address whose low 32 bits are 10.1.2.3 is not in a v4 list.
  EXPECT_FALSE(In(set, "::a01:203"));  // IPv4-compatible, not mapped
  EXPECT_FALSE(In(set, "2001:db8::a01:203"));
  EXPECT_FALSE(In(set, "64:ff9b::10.1.2.3"));
}

TEST(IpSetTest, MappedV6NetworkInTheListMatchesV4Client) {
  const IpSet set = MustBuild({"::ffff:192.0.2.0/120"});
  EXPECT_TRUE(In(set, "192.0.2.1"));
  EXPECT_FALSE(In(set, "192.0.3.0"));
}

TEST(IpSetTest, V6ListDoesNotMatchV4) {
  const IpSet set = MustBuild({"2001:db8::/32", "::/96"});
  EXPECT_FALSE(In(set, "10.1.2.3"));
  EXPECT_TRUE(In(set, "::10.1.2.3"));
}

TEST(IpSetTest, OverlappingAndAdjacentEntriesMerge) {
  const std::vector<absl::string_view> cidrs = {
      "10.0.0.0/24",   "10.0.1.0/24",   // adjacent: one range
      "10.0.0.128/25",                  // inside the first
      "10.0.3.0/24",                    // a gap (10.0.2.0/24) before it
      "10.0.3.5",      "10.0.4.0",      // inside, then adjacent to the end
      "192.0.2.0/24",  "192.0.2.0/24",  // a duplicate
      "2001:db8::/48", "2001:db8:1::/48", "2001:db8::5"};
  const IpSet set = MustBuild(cidrs);
  EXPECT_EQ(set.entry_count(), cidrs.size());
  // [10.0.0.0, 10.0.1.255] [10.0.3.0, 10.0.4.0] [192.0.2.0/24] [2001:db8::/47]
  EXPECT_EQ(set.range_count(), 4u);
  EXPECT_TRUE(In(set, "10.0.0.0"));
  EXPECT_TRUE(In(set, "10.0.0.255"));
  EXPECT_TRUE(In(set, "10.0.1.0"));
  EXPECT_TRUE(In(set, "10.0.1.255"));
  EXPECT_FALSE(In(set, "10.0.2.0"));
  EXPECT_FALSE(In(set, "10.0.2.255"));
  EXPECT_TRUE(In(set, "10.0.3.0"));
  EXPECT_TRUE(In(set, "10.0.4.0"));
  EXPECT_FALSE(In(set, "10.0.4.1"));
  EXPECT_FALSE(In(set, "9.255.255.255"));
  EXPECT_TRUE(In(set, "192.0.2.255"));
  EXPECT_FALSE(In(set, "192.0.3.0"));
  EXPECT_TRUE(In(set, "2001:db8:1:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(In(set, "2001:db8:2::"));
  EXPECT_FALSE(In(set, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));

  // The same entries in another order: the same set.
  std::vector<absl::string_view> reversed(cidrs.rbegin(), cidrs.rend());
  const IpSet again = MustBuild(reversed);
  EXPECT_EQ(again.range_count(), 4u);
  for (absl::string_view a : {"10.0.1.255", "10.0.2.0", "10.0.4.0", "10.0.4.1", "2001:db8::5"}) {
    EXPECT_EQ(In(again, a), In(set, a)) << a;
  }
}

TEST(IpSetTest, ContainedEntryAfterALargerOneDoesNotShrinkIt) {
  const IpSet set = MustBuild({"10.0.0.0/8", "10.1.0.0/16", "10.2.3.4"});
  EXPECT_EQ(set.range_count(), 1u);
  EXPECT_TRUE(In(set, "10.255.255.255"));
  EXPECT_TRUE(In(set, "10.3.0.0"));
}

TEST(IpSetTest, ErrorNotAnAddress) {
  const std::string expected_tail =
      " is not an IPv4 or IPv6 address or network (\"203.0.113.0/24\", \"2001:db8::/32\", "
      "\"198.51.100.7\")";
  EXPECT_EQ(BuildError({"10.0.0.0/8", "192.0.2.1", "example.com"}),
            absl::StrCat(kPath, "[2]: \"example.com\"", expected_tail));
  EXPECT_EQ(BuildError({""}), absl::StrCat(kPath, "[0]: \"\"", expected_tail));
  EXPECT_EQ(BuildError({"/8"}), absl::StrCat(kPath, "[0]: \"/8\"", expected_tail));
  EXPECT_EQ(BuildError({"10.0.0.256/8"}),
            absl::StrCat(kPath, "[0]: \"10.0.0.256/8\"", expected_tail));
  EXPECT_EQ(BuildError({"[2001:db8::]/32"}),
            absl::StrCat(kPath, "[0]: \"[2001:db8::]/32\"", expected_tail));
  EXPECT_EQ(BuildError({"10.0.0.0 /8"}),
            absl::StrCat(kPath, "[0]: \"10.0.0.0 /8\"", expected_tail));
}

TEST(IpSetTest, ErrorBadPrefixLength) {
  const std::string v4 = " has a bad prefix length: must be 0..32";
  const std::string v6 = " has a bad prefix length: must be 0..128";
  EXPECT_EQ(BuildError({"10.0.0.0/"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/33"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/33\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/-1"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/-1\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/ 8"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/ 8\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/8 "}), absl::StrCat(kPath, "[0]: \"10.0.0.0/8 \"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/+8"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/+8\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/0008"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/0008\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/8/8"}), absl::StrCat(kPath, "[0]: \"10.0.0.0/8/8\"", v4));
  EXPECT_EQ(BuildError({"10.0.0.0/99999999999"}),
            absl::StrCat(kPath, "[0]: \"10.0.0.0/99999999999\"", v4));
  EXPECT_EQ(BuildError({"2001:db8::/32", "2001:db8::/129"}),
            absl::StrCat(kPath, "[1]: \"2001:db8::/129\"", v6));
  EXPECT_EQ(BuildError({"::/"}), absl::StrCat(kPath, "[0]: \"::/\"", v6));
  // The boundaries themselves are fine.
  EXPECT_EQ(BuildError({"10.0.0.1/32", "0.0.0.0/0", "::/0", "::1/128", "10.0.0.0/08"}), "(built)");
}

TEST(IpSetTest, ErrorBitsAfterPrefixSuggestsTheNetwork) {
  EXPECT_EQ(BuildError({"192.0.2.0/24", "10.1.0.0/8"}),
            absl::StrCat(kPath,
                         "[1]: \"10.1.0.0/8\" has bits set after the /8 prefix (did you mean "
                         "\"10.0.0.0/8\"?)"));
  EXPECT_EQ(BuildError({"192.0.2.1/24"}),
            absl::StrCat(kPath,
                         "[0]: \"192.0.2.1/24\" has bits set after the /24 prefix (did you mean "
                         "\"192.0.2.0/24\"?)"));
  EXPECT_EQ(BuildError({"1.2.3.4/0"}),
            absl::StrCat(kPath,
                         "[0]: \"1.2.3.4/0\" has bits set after the /0 prefix (did you mean "
                         "\"0.0.0.0/0\"?)"));
  EXPECT_EQ(BuildError({"2001:db8::1/32"}),
            absl::StrCat(kPath,
                         "[0]: \"2001:db8::1/32\" has bits set after the /32 prefix (did you "
                         "mean \"2001:db8::/32\"?)"));
  EXPECT_EQ(BuildError({"2001:db8:0:1:4000::/65"}),
            absl::StrCat(kPath,
                         "[0]: \"2001:db8:0:1:4000::/65\" has bits set after the /65 prefix (did "
                         "you mean \"2001:db8:0:1::/65\"?)"));
}

TEST(IpSetTest, ErrorUsesTheGivenPath) {
  absl::StatusOr<IpSet> set = IpSet::Build({"nope"}, "x.y");
  ASSERT_FALSE(set.ok());
  EXPECT_TRUE(absl::StartsWith(set.status().message(), "x.y[0]: \"nope\" is not")) << set.status();
}

// --- Property test: IpSet against a linear scan over the entries as listed. ---

struct Network {
  U128 first, last;
};

constexpr U128 kMappedBase = U128{0xffff} << 32;
constexpr U128 kV6Cluster = U128{0x20010db8} << 96;  // 2001:db8::/108

// The address with the last (128 - bits) bits cleared.
U128 Mask(U128 a, int bits) { return bits == 0 ? 0 : a & (~U128{0} << (128 - bits)); }
U128 HostOnes(int bits) { return bits == 0 ? ~U128{0} : ~(~U128{0} << (128 - bits)); }

std::string FormatV6(U128 a) {
  unsigned char bytes[16];
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(a >> (120 - 8 * i));
  char text[INET6_ADDRSTRLEN];
  EXPECT_NE(inet_ntop(AF_INET6, bytes, text, sizeof(text)), nullptr);
  return text;
}

std::string FormatV4(uint32_t a) {
  return absl::StrCat(a >> 24, ".", (a >> 16) & 0xff, ".", (a >> 8) & 0xff, ".", a & 0xff);
}

// Random networks, clustered so that many overlap, nest or touch: v4 inside 10.0.0.0/12
// (prefixes /20../32) and anywhere (/8../32), v6 inside 2001:db8::/108 (/116../128) and
// anywhere (/16../128), and v4-mapped networks written as v6 (/104../128).
class NetworkGenerator {
 public:
  explicit NetworkGenerator(uint32_t seed) : rng_(seed) {}

  // Appends one entry's text and its network.
  void Next(std::vector<std::string>* texts, std::vector<Network>* networks) {
    const int kind = Uniform(0, 9);
    if (kind < 6) {  // IPv4
      const bool clustered = kind < 4;
      uint32_t a = static_cast<uint32_t>(rng_());
      if (clustered) a = 0x0a000000u | (a & 0x000fffffu);
      const int prefix = clustered ? Uniform(20, 32) : Uniform(8, 32);
      if (prefix < 32) a &= ~uint32_t{0} << (32 - prefix);
      const U128 first = kMappedBase | a;
      texts->push_back(Uniform(0, 3) == 0 && prefix == 32 ? FormatV4(a)
                                                          : absl::StrCat(FormatV4(a), "/", prefix));
      networks->push_back({first, first | HostOnes(96 + prefix)});
      return;
    }
    U128 a = Random128();
    int prefix;
    if (kind < 9) {  // clustered v6
      a = kV6Cluster | (a & HostOnes(108));
      prefix = Uniform(116, 128);
    } else if (Uniform(0, 1) == 0) {  // v4-mapped, written as v6
      a = kMappedBase | (a & 0xffffffffu);
      prefix = Uniform(104, 128);
    } else {
      prefix = Uniform(16, 128);
    }
    a = Mask(a, prefix);
    texts->push_back(absl::StrCat(FormatV6(a), "/", prefix));
    networks->push_back({a, a | HostOnes(prefix)});
  }

  U128 Random128() {
    U128 v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 32) | static_cast<uint32_t>(rng_());
    return v;
  }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  std::mt19937 rng_;
};

bool NaiveContains(const std::vector<Network>& networks, U128 a) {
  return std::any_of(networks.begin(), networks.end(),
                     [a](const Network& n) { return n.first <= a && a <= n.last; });
}

size_t NaiveMergedCount(std::vector<Network> networks) {
  std::sort(networks.begin(), networks.end(),
            [](const Network& x, const Network& y) { return x.first < y.first; });
  size_t count = 0;
  U128 end = 0;  // last address of the current merged range
  for (const Network& n : networks) {
    if (count > 0 && (end == ~U128{0} || n.first <= end + 1)) {
      end = std::max(end, n.last);
      continue;
    }
    ++count;
    end = n.last;
  }
  return count;
}

TEST(IpSetPropertyTest, AgreesWithALinearScan) {
  NetworkGenerator gen(20240611);
  std::vector<std::string> texts;
  std::vector<Network> networks;
  for (int i = 0; i < 2000; ++i) gen.Next(&texts, &networks);
  const std::vector<absl::string_view> views(texts.begin(), texts.end());
  const IpSet set = MustBuild(views);
  EXPECT_EQ(set.entry_count(), 2000u);
  EXPECT_EQ(set.range_count(), NaiveMergedCount(networks));
  EXPECT_LT(set.range_count(), 2000u);  // the clusters do overlap

  int inside = 0;
  for (int i = 0; i < 20000; ++i) {
    U128 a;
    const int how = gen.Uniform(0, 9);
    if (how < 7) {  // at or next to an edge of a listed network
      const Network& n = networks[static_cast<size_t>(gen.Uniform(0, 1999))];
      const U128 edge = gen.Uniform(0, 1) == 0 ? n.first : n.last;
      a = edge + static_cast<U128>(static_cast<__int128>(gen.Uniform(-2, 2)));  // wraps at 0/max
    } else if (how < 8) {
      a = kMappedBase | (gen.Random128() & 0xffffffffu);
    } else if (how < 9) {
      a = kV6Cluster | (gen.Random128() & HostOnes(108));
    } else {
      a = gen.Random128();
    }
    const bool expected = NaiveContains(networks, a);
    inside += expected;
    ASSERT_EQ(set.Contains(FromU128(a)), expected) << FormatV6(a) << " (query " << i << ")";
    if (i % 50 == 0) {  // through the text form too
      ASSERT_EQ(In(set, FormatV6(a)), expected) << FormatV6(a);
    }
  }
  // Both answers are well represented (the test would be weak otherwise).
  EXPECT_GT(inside, 4000);
  EXPECT_LT(inside, 16000);
}

TEST(IpSetPropertyTest, HundredThousandEntriesBuild) {
  std::mt19937 rng(7);
  std::vector<std::string> texts;
  texts.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    const int prefix = std::uniform_int_distribution<int>(24, 32)(rng);
    if (i % 2 == 0) {
      uint32_t a = static_cast<uint32_t>(rng());
      if (prefix < 32) a &= ~uint32_t{0} << (32 - prefix);
      texts.push_back(absl::StrCat(FormatV4(a), "/", prefix));
    } else {
      U128 a = 0;
      for (int w = 0; w < 4; ++w) a = (a << 32) | static_cast<uint32_t>(rng());
      texts.push_back(absl::StrCat(FormatV6(Mask(a, prefix + 96)), "/", prefix + 96));
    }
  }
  const std::vector<absl::string_view> views(texts.begin(), texts.end());
  absl::StatusOr<IpSet> set = IpSet::Build(views, kPath);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->entry_count(), 100000u);
  EXPECT_LE(set->range_count(), 100000u);
  EXPECT_GT(set->range_count(), 90000u);  // random networks this small rarely touch
  EXPECT_TRUE(set->Contains(Ip(texts[0].substr(0, texts[0].find('/')))));
  EXPECT_TRUE(set->Contains(Ip(texts[1].substr(0, texts[1].find('/')))));
}

}  // namespace
}  // namespace edgekit::rules
