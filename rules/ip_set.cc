#include "rules/ip_set.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace edgekit::rules {
namespace {

IpAddress FromBytes(const unsigned char* bytes) {
  IpAddress a;
  for (int i = 0; i < 8; ++i) a.hi = (a.hi << 8) | bytes[i];
  for (int i = 8; i < 16; ++i) a.lo = (a.lo << 8) | bytes[i];
  return a;
}

// The address with its last (128 - prefix) bits cleared (ones: set).
IpAddress WithHostBits(IpAddress a, int prefix, bool ones) {
  auto mask = [](int keep) -> uint64_t {  // high `keep` bits of 64 set
    return keep <= 0 ? 0 : keep >= 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - keep);
  };
  const uint64_t hi_mask = mask(prefix), lo_mask = mask(prefix - 64);
  if (ones) return {a.hi | ~hi_mask, a.lo | ~lo_mask};
  return {a.hi & hi_mask, a.lo & lo_mask};
}

std::string Format(const IpAddress& a, bool v4) {
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(a.hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(a.lo >> (56 - 8 * i));
  char text[INET6_ADDRSTRLEN];
  if (v4) {
    inet_ntop(AF_INET, bytes + 12, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, bytes, text, sizeof(text));
  }
  return text;
}

// ParseIpAddress, also saying whether the text was IPv4.
std::optional<IpAddress> Parse(absl::string_view text, bool* v4) {
  char buffer[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof(buffer)) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char bytes[16] = {0};
  if (inet_pton(AF_INET, buffer, bytes + 12) == 1) {
    bytes[10] = bytes[11] = 0xff;
    *v4 = true;
    return FromBytes(bytes);
  }
  if (inet_pton(AF_INET6, buffer, bytes) == 1) {
    *v4 = false;
    return FromBytes(bytes);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<IpAddress, IpAddress>> CidrRange(absl::string_view cidr) {
  absl::StatusOr<IpSet> set = IpSet::Build({cidr}, "");
  if (!set.ok()) return std::nullopt;
  const size_t slash = cidr.find('/');
  bool v4 = false;
  const std::optional<IpAddress> first = Parse(cidr.substr(0, slash), &v4);
  int prefix = v4 ? 32 : 128;
  if (slash != absl::string_view::npos) {
    if (!absl::SimpleAtoi(cidr.substr(slash + 1), &prefix)) return std::nullopt;
  }
  const int bits = v4 ? prefix + 96 : prefix;
  return std::make_pair(*first, WithHostBits(*first, bits, true));
}

std::optional<IpAddress> ParseIpAddress(absl::string_view text) {
  bool v4 = false;
  return Parse(text, &v4);
}

absl::Status IpSet::Builder::Add(absl::string_view entry) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("\"", entry, "\" ", why));
  };
  const size_t slash = entry.find('/');
  const absl::string_view address_text = entry.substr(0, slash);
  bool v4 = false;
  std::optional<IpAddress> address = Parse(address_text, &v4);
  if (!address) {
    return error(
        "is not an IPv4 or IPv6 address or network (\"203.0.113.0/24\", \"2001:db8::/32\", "
        "\"198.51.100.7\")");
  }
  const int max_prefix = v4 ? 32 : 128;
  int prefix = max_prefix;
  if (slash != absl::string_view::npos) {
    const absl::string_view digits = entry.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        !absl::SimpleAtoi(digits, &prefix) || prefix > max_prefix) {
      return error(absl::StrCat("has a bad prefix length: must be 0..", max_prefix));
    }
  }
  const int bits = v4 ? prefix + 96 : prefix;
  const IpAddress first = WithHostBits(*address, bits, false);
  if (!(first == *address)) {
    return error(absl::StrCat("has bits set after the /", prefix, " prefix (did you mean \"",
                              Format(first, v4), "/", prefix, "\"?)"));
  }
  ranges_.emplace_back(first, WithHostBits(*address, bits, true));
  return absl::OkStatus();
}

IpSet IpSet::Builder::Finish() && {
  IpSet set;
  set.entries_ = ranges_.size();
  std::sort(ranges_.begin(), ranges_.end());
  // Merge overlapping and adjacent ranges.
  for (const auto& [first, last] : ranges_) {
    if (!set.ranges_.empty()) {
      Range& prev = set.ranges_.back();
      const bool prev_is_max = prev.last.hi == ~uint64_t{0} && prev.last.lo == ~uint64_t{0};
      IpAddress after = prev.last;
      if (!prev_is_max && ++after.lo == 0) ++after.hi;
      if (prev_is_max || first <= after) {
        if (prev.last < last) prev.last = last;
        continue;
      }
    }
    set.ranges_.push_back({first, last});
  }
  set.ranges_.shrink_to_fit();
  ranges_.clear();
  return set;
}

absl::StatusOr<IpSet> IpSet::Build(const std::vector<absl::string_view>& cidrs,
                                   absl::string_view path) {
  Builder builder;
  builder.Reserve(cidrs.size());
  for (size_t i = 0; i < cidrs.size(); ++i) {
    if (absl::Status s = builder.Add(cidrs[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, "[", i, "]: ", s.message()));
    }
  }
  return std::move(builder).Finish();
}

bool IpSet::Contains(const IpAddress& address) const {
  // The last range starting at or before the address is the only one that can hold it.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](const IpAddress& a, const Range& r) { return a < r.first; });
  if (it == ranges_.begin()) return false;
  --it;
  return address <= it->last;
}

std::string FormatIpAddress(const IpAddress& address) {
  return Format(address, address.hi == 0 && (address.lo >> 32) == 0xffff);
}

}  // namespace edgekit::rules
