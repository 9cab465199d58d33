// Durations and timestamps: Go's time.ParseDuration, which Kubernetes' CEL duration() uses
// (cel-go parses duration strings with it): a sign, then one or more decimal numbers each
// with a unit (ns, us, µs, μs, ms, s, m, h), or "0"; the valid ranges; and the accessors
// (getFullYear .. getMilliseconds) of cel-go's standard library.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;

// cel-go's timeZone(): with a ':' the text is an offset "[+-]HH:MM" (hours and minutes as
// Go's strconv.Atoi reads them); otherwise an IANA name as Go's time.LoadLocation takes it
// ("" and "UTC" are UTC).
std::optional<absl::TimeZone> ParseTimeZone(const std::string& tz) {
  size_t colon = tz.find(':');
  if (colon == std::string::npos) {
    if (tz.empty() || tz == "UTC") return absl::UTCTimeZone();
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(tz, &zone)) return std::nullopt;
    return zone;
  }
  int hours = 0;
  int minutes = 0;
  std::string h = tz.substr(0, colon);
  std::string m = tz.substr(colon + 1);
  if (h.empty() || m.empty() || absl::ascii_isspace(h.front()) || absl::ascii_isspace(m.front()) ||
      absl::ascii_isspace(h.back()) || absl::ascii_isspace(m.back()) ||
      !absl::SimpleAtoi(h, &hours) || !absl::SimpleAtoi(m, &minutes) || hours < -10000 ||
      hours > 10000 || minutes < -10000 || minutes > 10000) {
    return std::nullopt;
  }
  int offset = tz[0] == '-' ? hours * 60 - minutes : hours * 60 + minutes;
  return absl::FixedTimeZone(offset * 60);
}

enum Part {
  kFullYear,
  kMonth,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kHours,
  kMinutes,
  kSeconds,
  kMilliseconds
};

const char* const kPartNames[] = {"getFullYear",  "getMonth",       "getDate",  "getDayOfMonth",
                                  "getDayOfWeek", "getDayOfYear",   "getHours", "getMinutes",
                                  "getSeconds",   "getMilliseconds"};

// On a timestamp: the field in UTC or in the zone given (months, days of the month, of the
// week (Sunday 0) and of the year count from 0; getDate from 1). On a duration (hours ..
// milliseconds only, no zone): whole units, truncated; getMilliseconds is the milliseconds
// within the second, as cel-go has it.
template <Part kPart>
Value TimeAccessor(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a;
  if (target) a.push_back(*target);
  a.insert(a.end(), args.begin(), args.end());
  if (a.size() == 1 && a[0].kind() == K::kDuration && kPart >= kHours) {
    absl::Duration d = a[0].rep().dur;
    switch (kPart) {
      case kHours:
        return Value::Int(absl::ToInt64Hours(d));
      case kMinutes:
        return Value::Int(absl::ToInt64Minutes(d));
      case kSeconds:
        return Value::Int(absl::ToInt64Seconds(d));
      default:
        return Value::Int(absl::ToInt64Milliseconds(d) % 1000);
    }
  }
  if (a.empty() || a.size() > 2 || a[0].kind() != K::kTimestamp ||
      (a.size() == 2 && !IsString(a[1]))) {
    return NoSuchOverload(kPartNames[kPart], a);
  }
  absl::TimeZone zone = absl::UTCTimeZone();
  if (a.size() == 2) {
    std::optional<absl::TimeZone> z = ParseTimeZone(a[1].string_value());
    if (!z) return ErrorValue(absl::StrCat("invalid time zone: '", a[1].string_value(), "'"));
    zone = *z;
  }
  absl::TimeZone::CivilInfo ci = zone.At(a[0].rep().time);
  absl::CivilDay day(ci.cs);
  switch (kPart) {
    case kFullYear:
      return Value::Int(ci.cs.year());
    case kMonth:
      return Value::Int(ci.cs.month() - 1);
    case kDate:
      return Value::Int(ci.cs.day());
    case kDayOfMonth:
      return Value::Int(ci.cs.day() - 1);
    case kDayOfWeek:  // absl counts from Monday
      return Value::Int((static_cast<int>(absl::GetWeekday(day)) + 1) % 7);
    case kDayOfYear:
      return Value::Int(absl::GetYearDay(day) - 1);
    case kHours:
      return Value::Int(ci.cs.hour());
    case kMinutes:
      return Value::Int(ci.cs.minute());
    case kSeconds:
      return Value::Int(ci.cs.second());
    default:
      return Value::Int(absl::ToInt64Milliseconds(ci.subsecond));
  }
}

}  // namespace

bool TimestampInRange(absl::Time t) {
  static const absl::Time kMin = absl::FromUnixSeconds(-62135596800);
  static const absl::Time kMax = absl::FromUnixSeconds(253402300799);
  return t >= kMin && t <= kMax + absl::Nanoseconds(999999999);
}

bool DurationInRange(absl::Duration d) {
  return d >= absl::Nanoseconds(INT64_MIN) && d <= absl::Nanoseconds(INT64_MAX);
}

Function LookupTime(absl::string_view name) {
  static const Function kFns[] = {TimeAccessor<kFullYear>,  TimeAccessor<kMonth>,
                                  TimeAccessor<kDate>,      TimeAccessor<kDayOfMonth>,
                                  TimeAccessor<kDayOfWeek>, TimeAccessor<kDayOfYear>,
                                  TimeAccessor<kHours>,     TimeAccessor<kMinutes>,
                                  TimeAccessor<kSeconds>,   TimeAccessor<kMilliseconds>};
  for (int i = 0; i <= kMilliseconds; ++i) {
    if (name == kPartNames[i]) return kFns[i];
  }
  return nullptr;
}

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
