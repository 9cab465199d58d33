// A set of IPv4 and IPv6 networks, for the `client_ip` test of direct-response rules.
// Blocklists hold hundreds of thousands of entries and change often, so building is
// linear after one sort, and a lookup is a binary search over disjoint ranges: about 17
// comparisons for 100,000 networks, with no allocation.
//
// Addresses are 128-bit; IPv4 is kept as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so
// "10.0.0.0/8" and a client address "::ffff:10.1.2.3" (a dual-stack listener's view of an
// IPv4 client) meet.
#ifndef EDGEKIT_RULES_IP_SET_H_
#define EDGEKIT_RULES_IP_SET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgekit::rules {

struct IpAddress {
  uint64_t hi = 0, lo = 0;
  bool operator==(const IpAddress& o) const { return hi == o.hi && lo == o.lo; }
  bool operator<(const IpAddress& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  bool operator<=(const IpAddress& o) const { return !(o < *this); }
};

// "192.0.2.1", "2001:db8::1" (no brackets, no port, no zone); nullopt otherwise.
std::optional<IpAddress> ParseIpAddress(absl::string_view text);

// The address as text: an IPv4 (or IPv4-mapped) address dotted, "203.0.113.7"; an IPv6
// one in its canonical form, "2001:db8::5".
std::string FormatIpAddress(const IpAddress& address);

// The first and last address of a CIDR or single address as IpSet::Build accepts it;
// nullopt for anything Build refuses.
std::optional<std::pair<IpAddress, IpAddress>> CidrRange(absl::string_view cidr);

class IpSet {
 public:
  IpSet() = default;

  // Parses each of `cidrs` ("203.0.113.0/24", "2001:db8::/32", or a single address).
  // InvalidArgument "<path>[i]: ..." naming the first bad entry: not an address, a prefix
  // length out of range, or bits set after the prefix ("10.1.0.0/8": did you mean
  // "10.0.0.0/8"?). Overlapping entries are allowed (lists are often merged from feeds).
  static absl::StatusOr<IpSet> Build(const std::vector<absl::string_view>& cidrs,
                                     absl::string_view path);

  // Entries from several sources (a YAML list, a file), each error named by its caller.
  class Builder {
   public:
    void Reserve(size_t n) { ranges_.reserve(ranges_.size() + n); }
    // InvalidArgument "\"<cidr>\" ..." as Build, for the caller to say where.
    absl::Status Add(absl::string_view cidr);
    IpSet Finish() &&;

   private:
    std::vector<std::pair<IpAddress, IpAddress>> ranges_;
  };

  bool Contains(const IpAddress& address) const;

  size_t range_count() const { return ranges_.size(); }  // after merging
  size_t entry_count() const { return entries_; }        // as listed

 private:
  struct Range {
    IpAddress first, last;  // inclusive
  };
  std::vector<Range> ranges_;  // sorted, disjoint, not adjacent
  size_t entries_ = 0;
};

}  // namespace edgekit::rules

#endif  // EDGEKIT_RULES_IP_SET_H_
