// cel-go's ext strings library, version 2 as Kubernetes enables it: charAt, indexOf,
// lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim and list join.
// Indexes and lengths count Unicode code points, not bytes (cel-go works on runes).
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;

bool IsInt(const Value& v) { return v.kind() == K::kInt; }

Value OutOfRange(int64_t i) { return ErrorValue(absl::StrCat("index out of range: ", i)); }

Value CharAt(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() != 2 || !IsString(a[0]) || !IsInt(a[1])) return NoSuchOverload("charAt", a);
  std::vector<size_t> off = CodePointOffsets(a[0].string_value());
  int64_t i = a[1].int_value();
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  if (i < 0 || i > n) return OutOfRange(i);
  if (i == n) return Value::String("");  // cel-go: charAt(size) is ""
  size_t b = off[static_cast<size_t>(i)];
  return Value::String(a[0].string_value().substr(b, off[static_cast<size_t>(i) + 1] - b));
}

// indexOf(sub[, from]) / lastIndexOf(sub[, from]) in code points; -1 if absent.
template <bool kLast>
Value IndexOf(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  const char* name = kLast ? "lastIndexOf" : "indexOf";
  if (a.size() >= 1 && a[0].kind() == K::kList) {
    // Kubernetes lists library: list.indexOf(value).
    if (a.size() != 2) return NoSuchOverload(name, a);
    const ListData& list = *a[0].rep().list;
    int64_t found = -1;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!ctx.Charge(1)) return BudgetExceeded();
      Value eq = Equals(list.at(i), a[1], &ctx);
      if (eq.IsError()) return eq;
      if (eq.bool_value()) {
        found = static_cast<int64_t>(i);
        if (!kLast) break;
      }
    }
    return Value::Int(found);
  }
  if (a.size() < 2 || a.size() > 3 || !IsString(a[0]) || !IsString(a[1]) ||
      (a.size() == 3 && !IsInt(a[2]))) {
    return NoSuchOverload(name, a);
  }
  const std::string& s = a[0].string_value();
  const std::string& sub = a[1].string_value();
  std::vector<size_t> off = CodePointOffsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  int64_t from = a.size() == 3 ? a[2].int_value() : (kLast ? n : 0);
  if (from < 0 || from > n) return OutOfRange(from);
  if (!ctx.Charge(1 + static_cast<int64_t>(s.size() / 64))) return BudgetExceeded();
  size_t pos = kLast ? s.rfind(sub, off[static_cast<size_t>(from)])
                     : s.find(sub, off[static_cast<size_t>(from)]);
  if (pos == std::string::npos) return Value::Int(-1);
  return Value::Int(static_cast<int64_t>(CodePointCount(absl::string_view(s).substr(0, pos))));
}

template <bool kUpper>
Value CaseAscii(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() != 1 || !IsString(a[0]))
    return NoSuchOverload(kUpper ? "upperAscii" : "lowerAscii", a);
  return Value::String(kUpper ? absl::AsciiStrToUpper(a[0].string_value())
                              : absl::AsciiStrToLower(a[0].string_value()));
}

Value Replace(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() < 3 || a.size() > 4 || !IsString(a[0]) || !IsString(a[1]) || !IsString(a[2]) ||
      (a.size() == 4 && !IsInt(a[3]))) {
    return NoSuchOverload("replace", a);
  }
  const std::string& s = a[0].string_value();
  const std::string& from = a[1].string_value();
  const std::string& to = a[2].string_value();
  int64_t limit = a.size() == 4 ? a[3].int_value() : -1;
  std::string out;
  int64_t done = 0;
  if (!ctx.Charge(1 + static_cast<int64_t>(s.size() / 64))) return BudgetExceeded();
  if (from.empty()) {
    // Go's strings.Replace: an empty `from` matches before each code point and at the end.
    std::vector<size_t> off = CodePointOffsets(s);
    for (size_t k = 0; k < off.size(); ++k) {
      if (limit >= 0 && done >= limit) {
        out.append(s, off[k], std::string::npos);
        break;
      }
      out += to;
      ++done;
      if (k + 1 < off.size()) out.append(s, off[k], off[k + 1] - off[k]);
      if (!ctx.Charge(1 + static_cast<int64_t>(to.size() / 64))) return BudgetExceeded();
    }
    return Value::String(std::move(out));
  }
  size_t pos = 0;
  while (limit < 0 || done < limit) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
    ++done;
    if (!ctx.Charge(1 + static_cast<int64_t>(to.size() / 64))) return BudgetExceeded();
  }
  if (pos < s.size()) out.append(s, pos, std::string::npos);
  return Value::String(std::move(out));
}

// split(sep[, limit]) as Go's strings.SplitN: limit 0 gives [], negative means all.
Value Split(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() < 2 || a.size() > 3 || !IsString(a[0]) || !IsString(a[1]) ||
      (a.size() == 3 && !IsInt(a[2]))) {
    return NoSuchOverload("split", a);
  }
  const std::string& s = a[0].string_value();
  const std::string& sep = a[1].string_value();
  int64_t limit = a.size() == 3 ? a[2].int_value() : -1;
  std::vector<Value> parts;
  if (limit == 0) return MakeList({});
  if (sep.empty()) {
    // Split into code points; the last part holds the rest once the limit is reached.
    std::vector<size_t> off = CodePointOffsets(s);
    for (size_t i = 0; i + 1 < off.size(); ++i) {
      if (!ctx.Charge(1)) return BudgetExceeded();
      if (limit > 0 && static_cast<int64_t>(parts.size()) == limit - 1) {
        parts.push_back(Value::String(s.substr(off[i])));
        break;
      }
      parts.push_back(Value::String(s.substr(off[i], off[i + 1] - off[i])));
    }
    return MakeList(std::move(parts));
  }
  size_t pos = 0;
  while (true) {
    if (!ctx.Charge(1)) return BudgetExceeded();
    size_t hit = s.find(sep, pos);
    if (hit == std::string::npos ||
        (limit > 0 && static_cast<int64_t>(parts.size()) == limit - 1)) {
      parts.push_back(Value::String(s.substr(pos)));
      break;
    }
    parts.push_back(Value::String(s.substr(pos, hit - pos)));
    pos = hit + sep.size();
  }
  return MakeList(std::move(parts));
}

Value Substring(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() < 2 || a.size() > 3 || !IsString(a[0]) || !IsInt(a[1]) ||
      (a.size() == 3 && !IsInt(a[2]))) {
    return NoSuchOverload("substring", a);
  }
  const std::string& s = a[0].string_value();
  std::vector<size_t> off = CodePointOffsets(s);
  int64_t n = static_cast<int64_t>(off.size()) - 1;
  int64_t begin = a[1].int_value();
  int64_t end = a.size() == 3 ? a[2].int_value() : n;
  if (begin < 0 || begin > n) return OutOfRange(begin);
  if (end < 0 || end > n) return OutOfRange(end);
  if (begin > end) {
    return ErrorValue(absl::StrCat("invalid substring range. start: ", begin, ", end: ", end));
  }
  size_t b = off[static_cast<size_t>(begin)];
  return Value::String(s.substr(b, off[static_cast<size_t>(end)] - b));
}

// trim: Unicode white space at both ends (cel-go uses strings.TrimSpace); the non-ASCII
// spaces recognized are U+0085, U+00A0, U+1680 and U+2000..U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000.
size_t SpaceAt(absl::string_view s, size_t i, bool backwards) {
  auto is_ascii_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  if (!backwards) {
    if (i < s.size() && is_ascii_space(s[i])) return 1;
    absl::string_view rest = s.substr(i);
    for (absl::string_view sp : {"\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8",
                                 "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"}) {
      if (rest.substr(0, sp.size()) == sp) return sp.size();
    }
    if (rest.size() >= 3 && rest.substr(0, 2) == "\xE2\x80" &&
        static_cast<unsigned char>(rest[2]) >= 0x80 &&
        static_cast<unsigned char>(rest[2]) <= 0x8A) {
      return 3;
    }
    return 0;
  }
  for (size_t len = 1; len <= 3 && len <= i; ++len) {
    if (SpaceAt(s, i - len, false) == len) return len;
  }
  return 0;
}

Value Trim(EvalContext&, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.size() != 1 || !IsString(a[0])) return NoSuchOverload("trim", a);
  absl::string_view s = a[0].string_value();
  size_t b = 0;
  while (size_t n = SpaceAt(s, b, false)) b += n;
  size_t e = s.size();
  while (e > b) {
    size_t n = SpaceAt(s, e, true);
    if (n == 0) break;
    e -= n;
  }
  return Value::String(std::string(s.substr(b, e - b)));
}

Value Join(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  std::vector<Value> a = All(target, args);
  if (a.empty() || a.size() > 2 || a[0].kind() != K::kList || (a.size() == 2 && !IsString(a[1]))) {
    return NoSuchOverload("join", a);
  }
  const ListData& list = *a[0].rep().list;
  std::string sep = a.size() == 2 ? a[1].string_value() : "";
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    Value item = list.at(i);
    if (!IsString(item)) return NoSuchOverload("join", a);
    if (i > 0) out += sep;
    out += item.string_value();
    if (!ctx.Charge(1 + static_cast<int64_t>((item.string_value().size() + sep.size()) / 64))) {
      return BudgetExceeded();
    }
  }
  return Value::String(std::move(out));
}

// strings.quote(s): s in double quotes with \a \b \f \n \r \t \v \\ and \" escaped, other
// characters as they are (cel-go's quote; CEL strings are valid UTF-8).
Value Quote(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  if (target || args.size() != 1 || !IsString(args[0])) {
    return NoSuchOverload("strings.quote", All(target, args));
  }
  const std::string& s = args[0].string_value();
  if (!ctx.Charge(1 + static_cast<int64_t>(s.size() / 64))) return BudgetExceeded();
  std::string out = "\"";
  for (char c : s) {
    static const char kFrom[] = "\a\b\f\n\r\t\v\\\"";
    static const char kTo[] = "abfnrtv\\\"";
    const char* hit = c == '\0' ? nullptr : strchr(kFrom, c);
    if (hit) {
      out += '\\';
      out += kTo[hit - kFrom];
    } else {
      out += c;
    }
  }
  out += '"';
  return Value::String(std::move(out));
}

}  // namespace

Function LookupStringsExt(absl::string_view name) {
  struct Entry {
    const char* name;
    Function fn;
  };
  static const Entry kTable[] = {
      {"charAt", CharAt},
      {"indexOf", IndexOf<false>},
      {"lastIndexOf", IndexOf<true>},
      {"lowerAscii", CaseAscii<false>},
      {"upperAscii", CaseAscii<true>},
      {"replace", Replace},
      {"split", Split},
      {"substring", Substring},
      {"trim", Trim},
      {"join", Join},
      {"strings.quote", Quote},
  };
  for (const Entry& e : kTable) {
    if (name == e.name) return e.fn;
  }
  return nullptr;
}

}  // namespace edgekit::cli::cel
