// The evaluator: walks the parsed tree with errors as values (cel-spec langdef.md
// "Evaluation"), short-circuiting && || ?: and the all/exists macros the way cel-go does
// (an error is absorbed when the other operand decides the result), within a step budget.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/validate/cel/arith.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {

Value BudgetExceeded() {
  return Value::Error(absl::ResourceExhaustedError(
      absl::StrCat("evaluation exceeded its budget of ", EvalContext::kBudget, " steps")));
}

namespace {

using K = Value::Kind;

Value NoSuchKey(const Value& key) {
  return ErrorValue(absl::StrCat(
      "no such key: ", key.kind() == K::kString ? key.string_value() : key.DebugString()));
}

class Evaluator {
 public:
  explicit Evaluator(EvalContext& ctx) : ctx_(ctx) {}

  Value Eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kConst:
        return e.value;
      case Expr::Kind::kIdent: {
        const Value& v = ctx_.slots[static_cast<size_t>(e.slot)];
        return v;
      }
      case Expr::Kind::kSelect:
        return Select(e);
      case Expr::Kind::kOp:
        return Operator(e);
      case Expr::Kind::kCall:
        return Call(e);
      case Expr::Kind::kList: {
        std::vector<Value> items;
        items.reserve(e.args.size());
        for (const auto& a : e.args) {
          Value v = Eval(*a);
          if (v.IsError()) return v;
          items.push_back(std::move(v));
        }
        return MakeList(std::move(items));
      }
      case Expr::Kind::kMap:
        return MapLiteral(e);
      case Expr::Kind::kMacro:
        return Comprehension(e);
    }
    return ErrorValue("unknown expression");
  }

 private:
  Value Select(const Expr& e) {
    if (!ctx_.Charge(1)) return BudgetExceeded();
    Value operand = Eval(*e.target);
    if (operand.IsError()) return operand;
    if (operand.kind() != K::kMap) {
      return ErrorValue(
          absl::StrCat("type '", TypeName(operand), "' does not support field selection"));
    }
    std::optional<Value> v = operand.rep().map->Select(e.name);
    if (e.test_only) return Value::Bool(v.has_value());
    if (!v) return ErrorValue(absl::StrCat("no such key: ", e.name));
    return *v;
  }

  Value MapLiteral(const Expr& e) {
    std::vector<std::pair<Value, Value>> entries;
    for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
      Value k = Eval(*e.args[i]);
      if (k.IsError()) return k;
      Value v = Eval(*e.args[i + 1]);
      if (v.IsError()) return v;
      K kind = k.kind();
      if (kind != K::kString && kind != K::kInt && kind != K::kUint && kind != K::kBool) {
        return ErrorValue(absl::StrCat("unsupported key type: ", TypeName(k)));
      }
      for (const auto& entry : entries) {
        Value eq = Equals(entry.first, k);
        if (eq.kind() == K::kBool && eq.bool_value()) {
          return ErrorValue(absl::StrCat("Failed with repeated key: ", k.DebugString()));
        }
      }
      entries.emplace_back(std::move(k), std::move(v));
    }
    return Value::Map(std::make_shared<VectorMap>(std::move(entries)));
  }

  Value Call(const Expr& e) {
    if (!ctx_.Charge(1)) return BudgetExceeded();
    std::optional<Value> target;
    if (e.target) {
      target = Eval(*e.target);
      if (target->IsError()) return *target;
    }
    std::vector<Value> args;
    args.reserve(e.args.size());
    for (const auto& a : e.args) {
      Value v = Eval(*a);
      if (v.IsError()) return v;
      args.push_back(std::move(v));
    }
    const Expr* saved = ctx_.call;
    ctx_.call = &e;
    Value r = e.fn(ctx_, target ? &*target : nullptr, args);
    ctx_.call = saved;
    return r;
  }

  // A bool, or an error for a non-bool operand of a logical operator.
  static Value AsBool(const Value& v, const char* op) {
    if (v.IsError() || v.kind() == K::kBool) return v;
    return NoSuchOverload(op, {v});
  }

  Value Operator(const Expr& e) {
    if (!ctx_.Charge(1)) return BudgetExceeded();
    switch (e.op) {
      case Op::kAnd:
      case Op::kOr: {
        // Either side may decide: false && error is false, error && false too (cel-spec
        // "Logical operators": commutative, errors absorbed).
        bool decider = e.op == Op::kOr;
        const char* name = decider ? "_||_" : "_&&_";
        Value a = AsBool(Eval(*e.args[0]), name);
        if (!a.IsError() && a.bool_value() == decider) return a;
        if (ctx_.exhausted()) return BudgetExceeded();
        Value b = AsBool(Eval(*e.args[1]), name);
        if (!b.IsError() && b.bool_value() == decider) return b;
        if (a.IsError()) return a;
        return b;
      }
      case Op::kCond: {
        Value c = Eval(*e.args[0]);
        if (c.IsError()) return c;
        if (c.kind() != K::kBool) return NoSuchOverload("_?_:_", {c});
        return Eval(*e.args[c.bool_value() ? 1 : 2]);
      }
      case Op::kNot: {
        Value a = Eval(*e.args[0]);
        if (a.IsError()) return a;
        if (a.kind() != K::kBool) return NoSuchOverload("!_", {a});
        return Value::Bool(!a.bool_value());
      }
      case Op::kNeg: {
        Value a = Eval(*e.args[0]);
        if (a.IsError()) return a;
        return Negate(a);
      }
      default:
        break;
    }
    Value a = Eval(*e.args[0]);
    if (a.IsError()) return a;
    Value b = Eval(*e.args[1]);
    if (b.IsError()) return b;
    switch (e.op) {
      case Op::kEq:
        return Equals(a, b, &ctx_);
      case Op::kNe: {
        Value eq = Equals(a, b, &ctx_);
        return eq.IsError() ? eq : Value::Bool(!eq.bool_value());
      }
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        return Relation(e.op, a, b);
      case Op::kIn:
        return In(a, b);
      case Op::kIndex:
        return Index(a, b);
      default:
        return Arithmetic(ctx_, e.op, a, b);
    }
  }

  static Value Relation(Op op, const Value& a, const Value& b) {
    bool no_overload = false;
    std::optional<int> c = Compare(a, b, &no_overload);
    const char* name = op == Op::kLt   ? "_<_"
                       : op == Op::kLe ? "_<=_"
                       : op == Op::kGt ? "_>_"
                                       : "_>=_";
    if (no_overload) return NoSuchOverload(name, {a, b});
    if (!c) return Value::Bool(false);  // NaN
    switch (op) {
      case Op::kLt:
        return Value::Bool(*c < 0);
      case Op::kLe:
        return Value::Bool(*c <= 0);
      case Op::kGt:
        return Value::Bool(*c > 0);
      default:
        return Value::Bool(*c >= 0);
    }
  }

  Value In(const Value& elem, const Value& container) {
    if (container.kind() == K::kMap) {
      return Value::Bool(container.rep().map->Find(elem).has_value());
    }
    if (container.kind() != K::kList) return NoSuchOverload("@in", {elem, container});
    const ListData& list = *container.rep().list;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!ctx_.Charge(1)) return BudgetExceeded();
      Value eq = Equals(list.at(i), elem, &ctx_);
      if (eq.kind() == K::kBool && eq.bool_value()) return eq;
    }
    return Value::Bool(false);
  }

  static Value Index(const Value& container, const Value& key) {
    if (container.kind() == K::kMap) {
      std::optional<Value> v = container.rep().map->Find(key);
      if (!v) return NoSuchKey(key);
      return *v;
    }
    if (container.kind() != K::kList) return NoSuchOverload("_[_]", {container, key});
    const ListData& list = *container.rep().list;
    int64_t i = 0;
    const Value::Rep& k = key.rep();
    if (k.kind == K::kInt) {
      i = k.i;
    } else if (k.kind == K::kUint) {
      i = k.u > static_cast<uint64_t>(INT64_MAX) ? -1 : static_cast<int64_t>(k.u);
    } else if (k.kind == K::kDouble && k.d == static_cast<double>(static_cast<int64_t>(k.d)) &&
               k.d > -9.2e18 && k.d < 9.2e18) {
      i = static_cast<int64_t>(k.d);  // heterogeneous: 1.0 indexes like 1 (cel-go)
    } else {
      return NoSuchOverload("_[_]", {container, key});
    }
    if (i < 0 || static_cast<uint64_t>(i) >= list.size()) {
      return ErrorValue(absl::StrCat("index out of bounds: ", i));
    }
    return list.at(static_cast<size_t>(i));
  }

  // The macros over a list's elements or a map's keys (cel-spec "Macros").
  Value Comprehension(const Expr& e) {
    Value range = Eval(*e.target);
    if (range.IsError()) return range;
    std::vector<Value> items;
    if (range.kind() == K::kList) {
      const ListData& list = *range.rep().list;
      for (size_t i = 0; i < list.size(); ++i) items.push_back(list.at(i));
    } else if (range.kind() == K::kMap) {
      range.rep().map->ForEachKey([&](const Value& k) {
        items.push_back(k);
        return true;
      });
    } else {
      return ErrorValue(absl::StrCat("expression of type '", TypeName(range),
                                     "' cannot be range of a comprehension"));
    }
    size_t slot = static_cast<size_t>(e.slot);
    std::optional<Value> error;  // all/exists: the first error, unless decided otherwise
    int64_t count = 0;
    std::vector<Value> out;
    for (const Value& item : items) {
      if (!ctx_.Charge(1)) return BudgetExceeded();
      ctx_.slots[slot] = item;
      Value p = Eval(*e.args[0]);
      if (ctx_.exhausted()) return BudgetExceeded();
      switch (e.macro) {
        case Macro::kAll:
        case Macro::kExists: {
          bool decider = e.macro == Macro::kExists;
          p = AsBool(p, e.name.c_str());
          if (p.IsError()) {
            if (!error) error = p;
          } else if (p.bool_value() == decider) {
            return p;
          }
          break;
        }
        case Macro::kExistsOne:
        case Macro::kFilter: {
          p = AsBool(p, e.name.c_str());
          if (p.IsError()) return p;
          if (!p.bool_value()) break;
          ++count;
          if (e.macro == Macro::kFilter) out.push_back(item);
          break;
        }
        case Macro::kMap: {
          if (e.args.size() == 2) {
            p = AsBool(p, e.name.c_str());
            if (p.IsError()) return p;
            if (!p.bool_value()) break;
            p = Eval(*e.args[1]);
          }
          if (p.IsError()) return p;
          out.push_back(std::move(p));
          break;
        }
      }
    }
    switch (e.macro) {
      case Macro::kAll:
      case Macro::kExists:
        if (error) return *error;
        return Value::Bool(e.macro == Macro::kAll);
      case Macro::kExistsOne:
        return Value::Bool(count == 1);
      default:
        return MakeList(std::move(out));
    }
  }

  EvalContext& ctx_;
};

}  // namespace

struct Program::Impl {
  ParsedExpr parsed;
};

Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::~Program() = default;

absl::StatusOr<std::unique_ptr<Program>> Program::Compile(absl::string_view expression) {
  absl::StatusOr<ParsedExpr> parsed = Parse(expression);
  if (!parsed.ok()) return parsed.status();
  auto impl = std::make_unique<Impl>();
  impl->parsed = *std::move(parsed);
  return std::unique_ptr<Program>(new Program(std::move(impl)));
}

bool Program::uses_old_self() const { return impl_->parsed.uses_old_self; }

Value Program::Evaluate(const Value& self) const {
  EvalContext ctx;
  ctx.slots.assign(static_cast<size_t>(impl_->parsed.slots), Value::Null());
  ctx.slots[0] = self;
  ctx.slots[1] = ErrorValue("oldSelf is not available: no previous version of the object");
  return Evaluator(ctx).Eval(*impl_->parsed.root);
}

}  // namespace edgekit::cli::cel
