// Go's time.ParseDuration, which Kubernetes' CEL duration() uses (cel-go parses duration
// strings with it): a sign, then one or more decimal numbers each with a unit (ns, us, µs,
// μs, ms, s, m, h), or "0".
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {

std::optional<absl::Duration> ParseGoDuration(absl::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return std::nullopt;
  // Accumulated in nanoseconds as Go does; over 2^63 ns is an error ("invalid duration").
  uint64_t total = 0;
  const uint64_t kMax = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
  while (!s.empty()) {
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && absl::ascii_isdigit(s[i])) {
      if (whole > (UINT64_MAX - 9) / 10) overflow = true;
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      ++i;
    }
    bool had_whole = i > 0;
    uint64_t frac = 0;
    uint64_t scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && absl::ascii_isdigit(s[i])) {
        had_frac = true;
        // Digits beyond what fits are dropped (Go keeps 19 significant digits too).
        if (scale < 1000000000000000000ULL) {
          frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
          scale *= 10;
        }
        ++i;
      }
    }
    if ((!had_whole && !had_frac) || overflow) return std::nullopt;
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !absl::ascii_isdigit(s[u])) ++u;
    absl::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit_ns = 0;
    if (unit == "ns") {
      unit_ns = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      unit_ns = 1000;
    } else if (unit == "ms") {
      unit_ns = 1000000;
    } else if (unit == "s") {
      unit_ns = 1000000000;
    } else if (unit == "m") {
      unit_ns = 60ULL * 1000000000;
    } else if (unit == "h") {
      unit_ns = 3600ULL * 1000000000;
    } else {
      return std::nullopt;  // missing or unknown unit
    }
    if (whole > kMax / unit_ns) return std::nullopt;
    uint64_t v = whole * unit_ns;
    // frac/scale of a unit, computed in long double to keep ns precision for h and m.
    v += static_cast<uint64_t>(static_cast<long double>(frac) * unit_ns / scale);
    if (v > kMax || total > kMax - v) return std::nullopt;
    total += v;
  }
  if (negative) return absl::Nanoseconds(-static_cast<int64_t>(total - 1) - 1);
  return absl::Nanoseconds(static_cast<int64_t>(total));
}

}  // namespace edgekit::cli::cel
