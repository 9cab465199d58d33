// CEL's arithmetic operators (cel-spec langdef.md "Arithmetic"): int64 with overflow as an
// error, uint64 likewise, IEEE doubles, and string/bytes/list concatenation, duration and
// timestamp arithmetic. No implicit numeric conversion: 1 + 1.0 is "no such overload".
#include "cli/validate/cel/arith.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;

Value Overflow() { return ErrorValue("return error for overflow"); }

const char* OpName(Op op) {
  switch (op) {
    case Op::kAdd:
      return "_+_";
    case Op::kSub:
      return "_-_";
    case Op::kMul:
      return "_*_";
    case Op::kDiv:
      return "_/_";
    case Op::kMod:
      return "_%_";
    default:
      return "_?_";
  }
}

Value IntOp(Op op, int64_t a, int64_t b) {
  int64_t r = 0;
  switch (op) {
    case Op::kAdd:
      if (__builtin_add_overflow(a, b, &r)) return Overflow();
      return Value::Int(r);
    case Op::kSub:
      if (__builtin_sub_overflow(a, b, &r)) return Overflow();
      return Value::Int(r);
    case Op::kMul:
      if (__builtin_mul_overflow(a, b, &r)) return Overflow();
      return Value::Int(r);
    case Op::kDiv:
      if (b == 0) return ErrorValue("division by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) return Overflow();
      return Value::Int(a / b);
    case Op::kMod:
      if (b == 0) return ErrorValue("modulus by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) return Overflow();
      return Value::Int(a % b);
    default:
      return ErrorValue("bad operator");
  }
}

Value UintOp(Op op, uint64_t a, uint64_t b) {
  uint64_t r = 0;
  switch (op) {
    case Op::kAdd:
      if (__builtin_add_overflow(a, b, &r)) return Overflow();
      return Value::Uint(r);
    case Op::kSub:
      if (__builtin_sub_overflow(a, b, &r)) return Overflow();
      return Value::Uint(r);
    case Op::kMul:
      if (__builtin_mul_overflow(a, b, &r)) return Overflow();
      return Value::Uint(r);
    case Op::kDiv:
      if (b == 0) return ErrorValue("division by zero");
      return Value::Uint(a / b);
    case Op::kMod:
      if (b == 0) return ErrorValue("modulus by zero");
      return Value::Uint(a % b);
    default:
      return ErrorValue("bad operator");
  }
}

Value DoubleOp(Op op, double a, double b) {
  switch (op) {
    case Op::kAdd:
      return Value::Double(a + b);
    case Op::kSub:
      return Value::Double(a - b);
    case Op::kMul:
      return Value::Double(a * b);
    case Op::kDiv:
      return Value::Double(a / b);  // IEEE: x/0 is ±inf or NaN, as in cel-go
    default:
      return ErrorValue("no such overload: _%_(double, double)");
  }
}

// Duration and timestamp arithmetic; cel-go reports results outside the valid range as
// overflow.
Value TimeOp(Op op, const Value::Rep& x, const Value::Rep& y) {
  if (x.kind == K::kDuration && y.kind == K::kDuration && (op == Op::kAdd || op == Op::kSub)) {
    absl::Duration r = op == Op::kAdd ? x.dur + y.dur : x.dur - y.dur;
    if (!DurationInRange(r)) return Overflow();
    return Value::Duration(r);
  }
  if (op == Op::kAdd && (x.kind == K::kTimestamp) != (y.kind == K::kTimestamp)) {
    const Value::Rep& t = x.kind == K::kTimestamp ? x : y;
    const Value::Rep& d = x.kind == K::kTimestamp ? y : x;
    if (d.kind != K::kDuration) return ErrorValue("");
    absl::Time r = t.time + d.dur;
    if (!TimestampInRange(r)) return Overflow();
    return Value::Timestamp(r);
  }
  if (op == Op::kSub && x.kind == K::kTimestamp && y.kind == K::kDuration) {
    absl::Time r = x.time - y.dur;
    if (!TimestampInRange(r)) return Overflow();
    return Value::Timestamp(r);
  }
  if (op == Op::kSub && x.kind == K::kTimestamp && y.kind == K::kTimestamp) {
    absl::Duration r = x.time - y.time;
    if (!DurationInRange(r)) return Overflow();
    return Value::Duration(r);
  }
  return ErrorValue("");
}

}  // namespace

Value Arithmetic(EvalContext& ctx, Op op, const Value& a, const Value& b) {
  const Value::Rep& x = a.rep();
  const Value::Rep& y = b.rep();
  if (x.kind == y.kind) {
    switch (x.kind) {
      case K::kInt:
        return IntOp(op, x.i, y.i);
      case K::kUint:
        return UintOp(op, x.u, y.u);
      case K::kDouble:
        return DoubleOp(op, x.d, y.d);
      case K::kString:
      case K::kBytes:
        if (op != Op::kAdd) break;
        if (!ctx.Charge(1 + static_cast<int64_t>((x.s.size() + y.s.size()) / 64))) {
          return BudgetExceeded();
        }
        return x.kind == K::kString ? Value::String(x.s + y.s) : Value::Bytes(x.s + y.s);
      case K::kList: {
        if (op != Op::kAdd) break;
        size_t n = x.list->size() + y.list->size();
        if (!ctx.Charge(1 + static_cast<int64_t>(n / 8))) return BudgetExceeded();
        std::vector<Value> items;
        items.reserve(n);
        for (size_t i = 0; i < x.list->size(); ++i) items.push_back(x.list->at(i));
        for (size_t i = 0; i < y.list->size(); ++i) items.push_back(y.list->at(i));
        return MakeList(std::move(items));
      }
      default:
        break;
    }
  }
  if (x.kind == K::kDuration || x.kind == K::kTimestamp) {
    Value r = TimeOp(op, x, y);
    if (!r.IsError() || !r.error().message().empty()) return r;
  }
  return NoSuchOverload(OpName(op), {a, b});
}

Value Negate(const Value& a) {
  const Value::Rep& x = a.rep();
  switch (x.kind) {
    case K::kInt:
      if (x.i == std::numeric_limits<int64_t>::min()) return Overflow();
      return Value::Int(-x.i);
    case K::kDouble:
      return Value::Double(-x.d);
    case K::kDuration:
      if (!DurationInRange(-x.dur)) return Overflow();
      return Value::Duration(-x.dur);
    default:
      return NoSuchOverload("-_", {a});
  }
}

}  // namespace edgekit::cli::cel
