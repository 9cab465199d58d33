// Kubernetes' CEL ip and cidr libraries (k8s.io/apiserver/pkg/cel/library/ip.go,
// cidr.go): isIP, ip, family, isCIDR, cidr, containsIP, containsCIDR, prefixLength, and
// cidr.ip(). Parsing is Go's netip.ParseAddr / ParsePrefix (IPv4 dotted quads without
// leading zeros, IPv6 with one '::' and an optional dotted tail), and Kubernetes rejects
// what netip accepts beyond that: a zone ("fe80::1%eth0") and IPv4-mapped IPv6
// ("::ffff:1.2.3.4").
#include <array>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;
using Addr = std::array<uint8_t, 16>;

// netip.parseIPv4: exactly four fields of 1-3 digits, each <= 255, no leading zeros.
bool ParseV4(absl::string_view s, uint8_t* out) {
  int field = 0;
  size_t i = 0;
  while (field < 4) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && absl::ascii_isdigit(s[i]) && i - start < 3) {
      v = v * 10 + (s[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
    out[field++] = static_cast<uint8_t>(v);
    if (field < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

// netip.parseIPv6 (no zone: the caller rejects '%').
bool ParseV6(absl::string_view s, Addr* out) {
  Addr a{};
  int ellipsis = -1;  // byte index of '::'
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    i = 2;
    if (i == s.size()) {
      *out = a;
      return true;
    }
  }
  int n = 0;  // bytes filled
  while (n < 16) {
    size_t start = i;
    uint32_t v = 0;
    while (i < s.size() && absl::ascii_isxdigit(s[i])) {
      v = v * 16 +
          static_cast<uint32_t>(s[i] <= '9' ? s[i] - '0' : (absl::ascii_tolower(s[i]) - 'a' + 10));
      ++i;
      if (i - start > 4) return false;
    }
    if (i == start) return false;
    if (i < s.size() && s[i] == '.') {
      // A dotted IPv4 tail fills the last four bytes.
      if (ellipsis < 0 && n != 12) return false;
      if (n + 4 > 16) return false;
      if (!ParseV4(s.substr(start), &a[static_cast<size_t>(n)])) return false;
      n += 4;
      i = s.size();
      break;
    }
    a[static_cast<size_t>(n)] = static_cast<uint8_t>(v >> 8);
    a[static_cast<size_t>(n) + 1] = static_cast<uint8_t>(v);
    n += 2;
    if (i == s.size()) break;
    if (s[i] != ':' || i + 1 == s.size()) return false;
    ++i;
    if (s[i] == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = n;
      ++i;
      if (i == s.size()) break;
    }
  }
  if (i != s.size()) return false;
  if (ellipsis >= 0) {
    if (n == 16) return false;  // '::' must stand for at least one group
    int shift = 16 - n;
    for (int k = n - 1; k >= ellipsis; --k)
      a[static_cast<size_t>(k + shift)] = a[static_cast<size_t>(k)];
    for (int k = ellipsis; k < ellipsis + shift; ++k) a[static_cast<size_t>(k)] = 0;
  } else if (n != 16) {
    return false;
  }
  *out = a;
  return true;
}

bool Is4In6(const Addr& a) {
  for (int k = 0; k < 10; ++k) {
    if (a[static_cast<size_t>(k)] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

// An address as Kubernetes accepts it; the error says why not.
std::optional<std::string> ParseIp(absl::string_view s, Addr* addr, int* family) {
  if (s.find('%') != absl::string_view::npos) {
    return "IP address with zone value is not allowed";
  }
  *addr = Addr{};
  if (s.find(':') == absl::string_view::npos) {
    if (!ParseV4(s, addr->data())) return absl::StrCat("IP Address \"", s, "\" parse error");
    *family = 4;
    return std::nullopt;
  }
  if (!ParseV6(s, addr)) return absl::StrCat("IP Address \"", s, "\" parse error");
  if (Is4In6(*addr)) return "IPv4-mapped IPv6 address is not allowed";
  *family = 6;
  return std::nullopt;
}

std::optional<std::string> ParseCidr(absl::string_view s, Addr* addr, int* family, int* bits) {
  size_t slash = s.rfind('/');
  if (slash == absl::string_view::npos) return absl::StrCat("network address parse error: ", s);
  if (std::optional<std::string> err = ParseIp(s.substr(0, slash), addr, family)) return err;
  absl::string_view b = s.substr(slash + 1);
  // netip.ParsePrefix: decimal, no sign, no leading zero, within the family's width.
  if (b.empty() || b.size() > 3 || (b.size() > 1 && b[0] == '0')) {
    return absl::StrCat("network address parse error: ", s);
  }
  int v = 0;
  for (char c : b) {
    if (!absl::ascii_isdigit(c)) return absl::StrCat("network address parse error: ", s);
    v = v * 10 + (c - '0');
  }
  if (v > (*family == 4 ? 32 : 128)) return absl::StrCat("network address parse error: ", s);
  *bits = v;
  return std::nullopt;
}

bool PrefixContains(const Addr& net, int bits, const Addr& ip) {
  for (int k = 0; k < bits; ++k) {
    size_t byte = static_cast<size_t>(k / 8);
    int mask = 0x80 >> (k % 8);
    if ((net[byte] & mask) != (ip[byte] & mask)) return false;
  }
  return true;
}

Value IsIp(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (target || args.size() != 1 || !IsString(args[0]))
    return NoSuchOverload("isIP", All(target, args));
  Addr a;
  int family = 0;
  return Value::Bool(!ParseIp(args[0].string_value(), &a, &family).has_value());
}

Value Ip(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (target && args.empty() && target->kind() == K::kCidr) {
    return MakeIp(target->rep().addr, target->rep().family);  // cidr.ip()
  }
  if (target || args.size() != 1 || !IsString(args[0]))
    return NoSuchOverload("ip", All(target, args));
  Addr a;
  int family = 0;
  if (std::optional<std::string> err = ParseIp(args[0].string_value(), &a, &family)) {
    return ErrorValue(*err);
  }
  return MakeIp(a, family);
}

Value Family(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (!target || !args.empty() || target->kind() != K::kIp)
    return NoSuchOverload("family", All(target, args));
  return Value::Int(target->rep().family);
}

Value IsCidr(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (target || args.size() != 1 || !IsString(args[0]))
    return NoSuchOverload("isCIDR", All(target, args));
  Addr a;
  int family = 0;
  int bits = 0;
  return Value::Bool(!ParseCidr(args[0].string_value(), &a, &family, &bits).has_value());
}

Value Cidr(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (target || args.size() != 1 || !IsString(args[0]))
    return NoSuchOverload("cidr", All(target, args));
  Addr a;
  int family = 0;
  int bits = 0;
  if (std::optional<std::string> err = ParseCidr(args[0].string_value(), &a, &family, &bits)) {
    return ErrorValue(*err);
  }
  return MakeCidr(a, family, bits);
}

// cidr.containsIP(ip or string), cidr.containsCIDR(cidr or string).
template <bool kCidrArg>
Value Contains(EvalContext&, const Value* target, const std::vector<Value>& args) {
  const char* name = kCidrArg ? "containsCIDR" : "containsIP";
  if (!target || target->kind() != K::kCidr || args.size() != 1) {
    return NoSuchOverload(name, All(target, args));
  }
  const Value::Rep& net = target->rep();
  Addr a;
  int family = 0;
  int bits = 0;
  if (IsString(args[0])) {
    std::optional<std::string> err = kCidrArg
                                         ? ParseCidr(args[0].string_value(), &a, &family, &bits)
                                         : ParseIp(args[0].string_value(), &a, &family);
    if (err) return ErrorValue(*err);
  } else if (args[0].kind() == (kCidrArg ? K::kCidr : K::kIp)) {
    a = args[0].rep().addr;
    family = args[0].rep().family;
    bits = args[0].rep().prefix;
  } else {
    return NoSuchOverload(name, All(target, args));
  }
  if (family != net.family) return Value::Bool(false);
  if (kCidrArg && bits < net.prefix) return Value::Bool(false);
  return Value::Bool(PrefixContains(net.addr, net.prefix, a));
}

Value PrefixLength(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (!target || !args.empty() || target->kind() != K::kCidr) {
    return NoSuchOverload("prefixLength", All(target, args));
  }
  return Value::Int(target->rep().prefix);
}

}  // namespace

Function LookupK8sIp(absl::string_view name) {
  if (name == "isIP") return IsIp;
  if (name == "ip") return Ip;
  if (name == "family") return Family;
  if (name == "isCIDR") return IsCidr;
  if (name == "cidr") return Cidr;
  if (name == "containsIP") return Contains<false>;
  if (name == "containsCIDR") return Contains<true>;
  if (name == "prefixLength") return PrefixLength;
  return nullptr;
}

}  // namespace edgekit::cli::cel
