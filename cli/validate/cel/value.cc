// cel::Value: construction, accessors, printing, and CEL equality and ordering.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/validate/cel/functions.h"
#include "cli/validate/cel/value_internal.h"

namespace edgekit::cli::cel {
namespace {

std::shared_ptr<Value::Rep> NewRep(Value::Kind kind) {
  auto rep = std::make_shared<Value::Rep>();
  rep->kind = kind;
  return rep;
}

// Quoted the way CEL would print a string literal.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Value::Value(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

std::optional<Value> MapData::Select(absl::string_view field) const {
  return Find(Value::String(std::string(field)));
}

Value Value::Null() {
  static const auto* const kNull = new std::shared_ptr<const Rep>(NewRep(Kind::kNull));
  return Value(*kNull);
}
Value Value::Bool(bool b) {
  static const auto* const kTrue = new std::shared_ptr<const Rep>([] {
    auto rep = NewRep(Kind::kBool);
    rep->b = true;
    return rep;
  }());
  static const auto* const kFalse = new std::shared_ptr<const Rep>(NewRep(Kind::kBool));
  return Value(b ? *kTrue : *kFalse);
}
Value Value::Int(int64_t i) {
  auto rep = NewRep(Kind::kInt);
  rep->i = i;
  return Value(std::move(rep));
}
Value Value::Uint(uint64_t u) {
  auto rep = NewRep(Kind::kUint);
  rep->u = u;
  return Value(std::move(rep));
}
Value Value::Double(double d) {
  auto rep = NewRep(Kind::kDouble);
  rep->d = d;
  return Value(std::move(rep));
}
Value Value::String(std::string s) {
  auto rep = NewRep(Kind::kString);
  rep->s = std::move(s);
  return Value(std::move(rep));
}
Value Value::Bytes(std::string b) {
  auto rep = NewRep(Kind::kBytes);
  rep->s = std::move(b);
  return Value(std::move(rep));
}
Value Value::Duration(absl::Duration d) {
  auto rep = NewRep(Kind::kDuration);
  rep->dur = d;
  return Value(std::move(rep));
}
Value Value::Timestamp(absl::Time t) {
  auto rep = NewRep(Kind::kTimestamp);
  rep->time = t;
  return Value(std::move(rep));
}
Value Value::List(std::shared_ptr<const ListData> list) {
  auto rep = NewRep(Kind::kList);
  rep->list = std::move(list);
  return Value(std::move(rep));
}
Value Value::Map(std::shared_ptr<const MapData> map) {
  auto rep = NewRep(Kind::kMap);
  rep->map = std::move(map);
  return Value(std::move(rep));
}
Value Value::Error(absl::Status status) {
  auto rep = NewRep(Kind::kError);
  rep->status = status.ok() ? absl::InternalError("error value without a status") : status;
  return Value(std::move(rep));
}

Value::Kind Value::kind() const { return rep_->kind; }
bool Value::bool_value() const { return rep_->b; }
int64_t Value::int_value() const { return rep_->i; }
const std::string& Value::string_value() const { return rep_->s; }
const absl::Status& Value::error() const { return rep_->status; }

Value MakeList(std::vector<Value> items) {
  return Value::List(std::make_shared<VectorList>(std::move(items)));
}
Value MakeType(std::string name) {
  auto rep = NewRep(Value::Kind::kType);
  rep->s = std::move(name);
  return Value(std::move(rep));
}
Value MakeIp(const std::array<uint8_t, 16>& addr, int family) {
  auto rep = NewRep(Value::Kind::kIp);
  rep->addr = addr;
  rep->family = family;
  return Value(std::move(rep));
}
Value MakeCidr(const std::array<uint8_t, 16>& addr, int family, int prefix) {
  auto rep = NewRep(Value::Kind::kCidr);
  rep->addr = addr;
  rep->family = family;
  rep->prefix = prefix;
  return Value(std::move(rep));
}
Value MakeUrl(std::shared_ptr<const UrlParts> url) {
  auto rep = NewRep(Value::Kind::kUrl);
  rep->url = std::move(url);
  return Value(std::move(rep));
}
Value ErrorValue(absl::string_view message) {
  return Value::Error(absl::InvalidArgumentError(message));
}
Value NoSuchOverload(absl::string_view function, const std::vector<Value>& args) {
  std::vector<std::string> types;
  for (const Value& a : args) types.push_back(TypeName(a));
  return ErrorValue(
      absl::StrCat("no such overload: ", function, "(", absl::StrJoin(types, ", "), ")"));
}

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "null_type";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kUint:
      return "uint";
    case Value::Kind::kDouble:
      return "double";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kBytes:
      return "bytes";
    case Value::Kind::kDuration:
      return "google.protobuf.Duration";
    case Value::Kind::kTimestamp:
      return "google.protobuf.Timestamp";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kMap:
      return "map";
    case Value::Kind::kType:
      return "type";
    case Value::Kind::kUrl:
      return "kubernetes.URL";
    case Value::Kind::kIp:
      return "net.IP";
    case Value::Kind::kCidr:
      return "net.CIDR";
    case Value::Kind::kQuantity:
      return "kubernetes.Quantity";
    case Value::Kind::kOptional:
      return "optional_type";
    case Value::Kind::kError:
      return "error";
  }
  return "unknown";
}

namespace {

// `budget`: characters left; nested lists and maps stop printing once it is spent (lists
// can share elements, so a small value may stand for a huge text).
std::string Print(const Value& v, int64_t* budget) {
  const Value::Rep& r = v.rep();
  using Kind = Value::Kind;
  switch (r.kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return r.b ? "true" : "false";
    case Kind::kInt:
      return absl::StrCat(r.i);
    case Kind::kUint:
      return absl::StrCat(r.u, "u");
    case Kind::kDouble:
      return ShortestDouble(r.d);
    case Kind::kString:
      return Quote(r.s);
    case Kind::kBytes:
      return "b" + Quote(r.s);
    case Kind::kDuration:
      return absl::StrCat("duration(\"", absl::FormatDuration(r.dur), "\")");
    case Kind::kTimestamp:
      return absl::StrCat("timestamp(\"",
                          absl::FormatTime(absl::RFC3339_full, r.time, absl::UTCTimeZone()), "\")");
    case Kind::kList: {
      std::vector<std::string> items;
      for (size_t i = 0; i < r.list->size(); ++i) {
        if (*budget <= 0) {
          items.push_back("...");
          break;
        }
        items.push_back(Print(r.list->at(i), budget));
        *budget -= static_cast<int64_t>(items.back().size()) + 2;
      }
      return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    }
    case Kind::kMap: {
      std::vector<std::string> items;
      r.map->ForEachKey([&](const Value& k) {
        if (*budget <= 0) {
          items.push_back("...");
          return false;
        }
        std::optional<Value> entry = r.map->Find(k);
        items.push_back(Print(k, budget) + ": " + (entry ? Print(*entry, budget) : "?"));
        *budget -= static_cast<int64_t>(items.back().size()) + 2;
        return true;
      });
      return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
    }
    case Kind::kType:
      return r.s;
    case Kind::kUrl:
      return absl::StrCat("url(", Quote(r.url->text), ")");
    case Kind::kIp:
      return "ip(...)";
    case Kind::kCidr:
      return "cidr(...)";
    case Kind::kQuantity:
      return "quantity(...)";
    case Kind::kOptional:
      return "optional";
    case Kind::kError:
      return absl::StrCat("error(", r.status.message(), ")");
  }
  return "?";
}

}  // namespace

std::string Value::DebugString() const {
  int64_t budget = 4096;
  return Print(*this, &budget);
}

// The shortest text that reads back as the same double, as Go's
// strconv.FormatFloat(d, 'g', -1, 64) (cel-go's string(double)) gives.
std::string ShortestDouble(double d) {
  for (int precision = 1; precision < 17; ++precision) {
    std::string s = absl::StrFormat("%.*g", precision, d);
    if (std::strtod(s.c_str(), nullptr) == d) return s;
  }
  return absl::StrFormat("%.17g", d);
}

std::optional<Value> VectorMap::Find(const Value& key) const {
  for (const auto& [k, v] : entries_) {
    Value eq = Equals(k, key);
    if (eq.kind() == Value::Kind::kBool && eq.bool_value()) return v;
  }
  return std::nullopt;
}

void VectorMap::ForEachKey(const std::function<bool(const Value&)>& fn) const {
  for (const auto& entry : entries_) {
    if (!fn(entry.first)) return;
  }
}

namespace {

bool IsNumber(Value::Kind k) {
  return k == Value::Kind::kInt || k == Value::Kind::kUint || k == Value::Kind::kDouble;
}

// Orders two numbers of any of int, uint, double exactly (no rounding of int64 through
// double where it matters); nullopt for NaN.
std::optional<int> CompareNumbers(const Value::Rep& a, const Value::Rep& b) {
  using K = Value::Kind;
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.kind == K::kInt && b.kind == K::kInt) return sign(a.i, b.i);
  if (a.kind == K::kUint && b.kind == K::kUint) return sign(a.u, b.u);
  if (a.kind == K::kInt && b.kind == K::kUint) {
    return a.i < 0 ? -1 : sign(static_cast<uint64_t>(a.i), b.u);
  }
  if (a.kind == K::kUint && b.kind == K::kInt) {
    return b.i < 0 ? 1 : sign(a.u, static_cast<uint64_t>(b.i));
  }
  // At least one double.
  double x = a.kind == K::kDouble
                 ? a.d
                 : (a.kind == K::kInt ? static_cast<double>(a.i) : static_cast<double>(a.u));
  double y = b.kind == K::kDouble
                 ? b.d
                 : (b.kind == K::kInt ? static_cast<double>(b.i) : static_cast<double>(b.u));
  if (std::isnan(x) || std::isnan(y)) return std::nullopt;
  return sign(x, y);
}

}  // namespace

Value Equals(const Value& a, const Value& b, EvalContext* ctx) {
  using K = Value::Kind;
  if (a.IsError()) return a;
  if (b.IsError()) return b;
  const Value::Rep& x = a.rep();
  const Value::Rep& y = b.rep();
  if (IsNumber(x.kind) && IsNumber(y.kind)) {
    std::optional<int> c = CompareNumbers(x, y);
    return Value::Bool(c.has_value() && *c == 0);
  }
  if (x.kind != y.kind) return Value::Bool(false);
  switch (x.kind) {
    case K::kNull:
      return Value::Bool(true);
    case K::kBool:
      return Value::Bool(x.b == y.b);
    case K::kString:
    case K::kBytes:
    case K::kType:
      return Value::Bool(x.s == y.s);
    case K::kDuration:
      return Value::Bool(x.dur == y.dur);
    case K::kTimestamp:
      return Value::Bool(x.time == y.time);
    case K::kIp:
      return Value::Bool(x.family == y.family && x.addr == y.addr);
    case K::kCidr:
      return Value::Bool(x.family == y.family && x.addr == y.addr && x.prefix == y.prefix);
    case K::kUrl:
      return Value::Bool(x.url->text == y.url->text);
    case K::kList: {
      if (x.list->size() != y.list->size()) return Value::Bool(false);
      // An error element makes the result an error unless another pair already differs
      // (cel-go: && over the elements).
      std::optional<Value> error;
      for (size_t i = 0; i < x.list->size(); ++i) {
        if (ctx && !ctx->Charge(1)) return BudgetExceeded();
        Value eq = Equals(x.list->at(i), y.list->at(i), ctx);
        if (eq.IsError()) {
          if (!error) error = eq;
        } else if (!eq.bool_value()) {
          return Value::Bool(false);
        }
      }
      return error ? *error : Value::Bool(true);
    }
    case K::kMap: {
      if (x.map->size() != y.map->size()) return Value::Bool(false);
      bool equal = true;
      std::optional<Value> error;
      x.map->ForEachKey([&](const Value& k) {
        std::optional<Value> other = y.map->Find(k);
        std::optional<Value> mine = x.map->Find(k);
        if (!other || !mine) {
          equal = false;
          return false;
        }
        if (ctx && !ctx->Charge(1)) {
          error = BudgetExceeded();
          return false;
        }
        Value eq = Equals(*mine, *other, ctx);
        if (eq.IsError()) {
          if (!error) error = eq;
        } else if (!eq.bool_value()) {
          equal = false;
          return false;
        }
        return true;
      });
      if (!equal && !(ctx && ctx->exhausted())) return Value::Bool(false);
      return error ? *error : Value::Bool(true);
    }
    default:
      return Value::Bool(false);
  }
}

std::optional<int> Compare(const Value& a, const Value& b, bool* no_overload) {
  using K = Value::Kind;
  *no_overload = false;
  const Value::Rep& x = a.rep();
  const Value::Rep& y = b.rep();
  auto sign = [](const auto& p, const auto& q) { return p < q ? -1 : (q < p ? 1 : 0); };
  if (IsNumber(x.kind) && IsNumber(y.kind)) return CompareNumbers(x, y);
  if (x.kind == y.kind) {
    switch (x.kind) {
      case K::kBool:
        return sign(x.b, y.b);
      case K::kString:
      case K::kBytes:
        return sign(x.s, y.s);
      case K::kDuration:
        return sign(x.dur, y.dur);
      case K::kTimestamp:
        return sign(x.time, y.time);
      default:
        break;
    }
  }
  *no_overload = true;
  return std::nullopt;
}

size_t CodePointCount(absl::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::vector<size_t> CodePointOffsets(absl::string_view s) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(s.size());
  return offsets;
}

}  // namespace edgekit::cli::cel
