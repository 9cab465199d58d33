// cel-go's standard library as Kubernetes enables it: size, the type conversions, type(),
// duration() and timestamp(), and the string predicates contains, startsWith, endsWith and
// matches (RE2, unanchored like Go's regexp.MatchString). Also LookupFunction, which
// chains every library's table.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;

Value Size(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1) {
    const Value::Rep& r = a[0].rep();
    switch (r.kind) {
      case K::kString:
        return Value::Int(static_cast<int64_t>(CodePointCount(r.s)));
      case K::kBytes:
        return Value::Int(static_cast<int64_t>(r.s.size()));
      case K::kList:
        return Value::Int(static_cast<int64_t>(r.list->size()));
      case K::kMap:
        return Value::Int(static_cast<int64_t>(r.map->size()));
      default:
        break;
    }
  }
  return NoSuchOverload("size", a);
}

// Go's strconv rules for int/uint from strings: optional sign, decimal digits.
Value ToInt(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1) {
    const Value::Rep& r = a[0].rep();
    switch (r.kind) {
      case K::kInt:
        return a[0];
      case K::kUint:
        if (r.u > static_cast<uint64_t>(INT64_MAX)) return ErrorValue("int overflow");
        return Value::Int(static_cast<int64_t>(r.u));
      case K::kDouble:
        // cel-go: the value must fit int64 strictly inside its range.
        if (!(r.d > -9223372036854775808.0 && r.d < 9223372036854775807.0)) {
          return ErrorValue("int overflow");
        }
        return Value::Int(static_cast<int64_t>(r.d));
      case K::kString: {
        int64_t v = 0;
        // Go's strconv.ParseInt (cel-go): an optional sign, decimal digits, no spaces.
        if (r.s.empty() || absl::ascii_isspace(r.s[0]) || absl::ascii_isspace(r.s.back()) ||
            !absl::SimpleAtoi(r.s, &v)) {
          return ErrorValue(absl::StrCat("cannot convert string '", r.s, "' to int"));
        }
        return Value::Int(v);
      }
      case K::kTimestamp:
        return Value::Int(absl::ToUnixSeconds(r.time));
      case K::kDuration:
        return Value::Int(absl::ToInt64Nanoseconds(r.dur));
      default:
        break;
    }
  }
  return NoSuchOverload("int", a);
}

Value ToUint(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1) {
    const Value::Rep& r = a[0].rep();
    switch (r.kind) {
      case K::kUint:
        return a[0];
      case K::kInt:
        if (r.i < 0) return ErrorValue("uint overflow");
        return Value::Uint(static_cast<uint64_t>(r.i));
      case K::kDouble:
        if (!(r.d > -1.0 && r.d < 18446744073709551615.0)) return ErrorValue("uint overflow");
        return Value::Uint(static_cast<uint64_t>(r.d));
      case K::kString: {
        uint64_t v = 0;
        if (r.s.empty() || !absl::ascii_isdigit(r.s[0]) || !absl::ascii_isdigit(r.s.back()) ||
            !absl::SimpleAtoi(r.s, &v)) {
          return ErrorValue(absl::StrCat("cannot convert string '", r.s, "' to uint"));
        }
        return Value::Uint(v);
      }
      default:
        break;
    }
  }
  return NoSuchOverload("uint", a);
}

Value ToDouble(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1) {
    const Value::Rep& r = a[0].rep();
    switch (r.kind) {
      case K::kDouble:
        return a[0];
      case K::kInt:
        return Value::Double(static_cast<double>(r.i));
      case K::kUint:
        return Value::Double(static_cast<double>(r.u));
      case K::kString: {
        double v = 0;
        if (r.s.empty() || absl::ascii_isspace(r.s[0]) || absl::ascii_isspace(r.s.back()) ||
            !absl::SimpleAtod(r.s, &v)) {
          return ErrorValue(absl::StrCat("cannot convert string '", r.s, "' to double"));
        }
        return Value::Double(v);
      }
      default:
        break;
    }
  }
  return NoSuchOverload("double", a);
}

// cel-go formats a duration as seconds with up to 9 fraction digits: "1.5s".
std::string DurationString(absl::Duration d) {
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  std::string sign = nanos < 0 ? "-" : "";
  uint64_t mag = nanos < 0 ? 0 - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  std::string out = absl::StrCat(sign, mag / 1000000000);
  uint64_t frac = mag % 1000000000;
  if (frac != 0) {
    std::string f = absl::StrFormat("%09d", frac);
    while (!f.empty() && f.back() == '0') f.pop_back();
    absl::StrAppend(&out, ".", f);
  }
  return out + "s";
}

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    if (c < 0x80) {
      n = 0;
    } else if ((c >> 5) == 6) {
      n = 1;
    } else if ((c >> 4) == 14) {
      n = 2;
    } else if ((c >> 3) == 30) {
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

Value ToString(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1) {
    const Value::Rep& r = a[0].rep();
    switch (r.kind) {
      case K::kString:
        return a[0];
      case K::kInt:
        return Value::String(absl::StrCat(r.i));
      case K::kUint:
        return Value::String(absl::StrCat(r.u));
      case K::kDouble:
        return Value::String(ShortestDouble(r.d));
      case K::kBool:
        return Value::String(r.b ? "true" : "false");
      case K::kBytes:
        if (!ValidUtf8(r.s)) return ErrorValue("invalid UTF-8 in bytes, cannot convert to string");
        return Value::String(r.s);
      case K::kDuration:
        return Value::String(DurationString(r.dur));
      case K::kTimestamp:
        // Go's time.RFC3339Nano in UTC, as cel-go prints: "Z", no trailing fractional zeros.
        return Value::String(
            absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", r.time, absl::UTCTimeZone()));
      case K::kUrl:
        return Value::String(r.url->text);
      default:
        break;
    }
  }
  return NoSuchOverload("string", a);
}

Value ToBool(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1 && a[0].kind() == K::kBool) return a[0];
  if (a.size() == 1 && a[0].kind() == K::kString) {
    // Go's strconv.ParseBool, which cel-go uses.
    const std::string& s = a[0].string_value();
    if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") {
      return Value::Bool(true);
    }
    if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
      return Value::Bool(false);
    }
    return ErrorValue(absl::StrCat("cannot convert string '", s, "' to bool"));
  }
  return NoSuchOverload("bool", a);
}

Value ToBytes(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1 && a[0].kind() == K::kBytes) return a[0];
  if (a.size() == 1 && a[0].kind() == K::kString) return Value::Bytes(a[0].string_value());
  return NoSuchOverload("bytes", a);
}

Value TypeOf(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() != 1) return NoSuchOverload("type", a);
  return MakeType(TypeName(a[0]));
}

Value Dyn(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() != 1) return NoSuchOverload("dyn", a);
  return a[0];
}

Value ToDuration(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1 && a[0].kind() == K::kDuration) return a[0];
  if (a.size() == 1 && a[0].kind() == K::kString) {
    std::optional<absl::Duration> d = ParseGoDuration(a[0].string_value());
    if (!d) {
      return ErrorValue(absl::StrCat("invalid duration: '", a[0].string_value(), "'"));
    }
    return Value::Duration(*d);
  }
  return NoSuchOverload("duration", a);
}

Value ToTimestamp(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() == 1 && a[0].kind() == K::kTimestamp) return a[0];
  if (a.size() == 1 && a[0].kind() == K::kString) {
    absl::Time t;
    std::string err;
    // RFC 3339 with a 'T' and an explicit offset (Go's time.RFC3339, which cel-go uses).
    if (!absl::ParseTime(absl::RFC3339_full, a[0].string_value(), &t, &err) ||
        a[0].string_value().find('T') == std::string::npos) {
      return ErrorValue(absl::StrCat("invalid timestamp: '", a[0].string_value(), "'"));
    }
    if (!TimestampInRange(t)) return ErrorValue("timestamp out of range");
    return Value::Timestamp(t);
  }
  if (a.size() == 1 && a[0].kind() == K::kInt) {
    absl::Time t = absl::FromUnixSeconds(a[0].int_value());
    if (!TimestampInRange(t)) return ErrorValue("timestamp out of range");
    return Value::Timestamp(t);
  }
  return NoSuchOverload("timestamp", a);
}

// contains / startsWith / endsWith on strings.
template <int kWhich>
Value StringTest(EvalContext&, const Value* target, const std::vector<Value>& args) {
  static const char* const kNames[] = {"contains", "startsWith", "endsWith"};
  std::vector<Value> a = All(target, args);
  if (a.size() != 2 || !IsString(a[0]) || !IsString(a[1])) return NoSuchOverload(kNames[kWhich], a);
  const std::string& s = a[0].string_value();
  const std::string& t = a[1].string_value();
  if (kWhich == 0) return Value::Bool(absl::StrContains(s, t));
  if (kWhich == 1) return Value::Bool(absl::StartsWith(s, t));
  return Value::Bool(absl::EndsWith(s, t));
}

Value Matches(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() != 2 || !IsString(a[0]) || !IsString(a[1])) return NoSuchOverload("matches", a);
  const std::string& s = a[0].string_value();
  std::shared_ptr<const RE2> re = ctx.call ? ctx.call->regex : nullptr;
  if (!re) {
    // A pattern computed at run time (or an invalid literal, whose error is reported here).
    const std::string& p = a[1].string_value();
    if (!ctx.Charge(1 + static_cast<int64_t>(p.size() / 16))) return BudgetExceeded();
    auto compiled = std::make_shared<RE2>(re2::StringPiece(p.data(), p.size()), RE2::Quiet);
    if (!compiled->ok()) {
      return ErrorValue(absl::StrCat("invalid regular expression '", p, "': ", compiled->error()));
    }
    re = std::move(compiled);
  }
  if (!ctx.Charge(1 + static_cast<int64_t>(s.size() / 64))) return BudgetExceeded();
  return Value::Bool(RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re));
}

}  // namespace

bool IsString(const Value& v) { return v.kind() == K::kString; }

std::vector<Value> All(const Value* target, const std::vector<Value>& args) {
  std::vector<Value> all;
  if (target) all.push_back(*target);
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

Function LookupStdlib(absl::string_view name) {
  struct Entry {
    const char* name;
    Function fn;
  };
  static const Entry kTable[] = {
      {"size", Size},
      {"int", ToInt},
      {"uint", ToUint},
      {"double", ToDouble},
      {"string", ToString},
      {"bool", ToBool},
      {"bytes", ToBytes},
      {"type", TypeOf},
      {"dyn", Dyn},
      {"duration", ToDuration},
      {"timestamp", ToTimestamp},
      {"contains", StringTest<0>},
      {"startsWith", StringTest<1>},
      {"endsWith", StringTest<2>},
      {"matches", Matches},
  };
  for (const Entry& e : kTable) {
    if (name == e.name) return e.fn;
  }
  return nullptr;
}

Function LookupFunction(absl::string_view name) {
  for (Function (*lookup)(absl::string_view) :
       {LookupStdlib, LookupTime, LookupStringsExt, LookupK8sLists, LookupK8sUrl, LookupK8sIp}) {
    if (Function fn = lookup(name)) return fn;
  }
  return nullptr;
}

}  // namespace edgekit::cli::cel
