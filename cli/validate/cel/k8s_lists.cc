// Kubernetes' CEL lists library (k8s.io/apiserver/pkg/cel/library/lists.go): isSorted,
// sum, min and max on lists (indexOf and lastIndexOf live with the strings' ones, in
// strings_ext.cc, since both share their names).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/validate/cel/arith.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;

// The receiver list, or nullptr when the call is not list.f() with no arguments.
const ListData* Receiver(const Value* target, const std::vector<Value>& args) {
  if (!target || !args.empty() || target->kind() != K::kList) return nullptr;
  return target->rep().list.get();
}

Value IsSorted(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  const ListData* list = Receiver(target, args);
  if (!list) return NoSuchOverload("isSorted", All(target, args));
  for (size_t i = 1; i < list->size(); ++i) {
    if (!ctx.Charge(1)) return BudgetExceeded();
    bool no_overload = false;
    Value prev = list->at(i - 1);
    Value cur = list->at(i);
    std::optional<int> c = Compare(prev, cur, &no_overload);
    if (no_overload) return NoSuchOverload("isSorted", {prev, cur});
    if (c && *c > 0) return Value::Bool(false);
  }
  return Value::Bool(true);
}

// sum(): 0 for an empty list (Kubernetes returns the element type's zero; an untyped
// empty list sums to int 0).
Value Sum(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  const ListData* list = Receiver(target, args);
  if (!list) return NoSuchOverload("sum", All(target, args));
  if (list->size() == 0) return Value::Int(0);
  Value total = list->at(0);
  K kind = total.kind();
  if (kind != K::kInt && kind != K::kUint && kind != K::kDouble && kind != K::kDuration) {
    return NoSuchOverload("sum", {total});
  }
  for (size_t i = 1; i < list->size(); ++i) {
    if (!ctx.Charge(1)) return BudgetExceeded();
    total = Arithmetic(ctx, Op::kAdd, total, list->at(i));
    if (total.IsError()) return total;
  }
  return total;
}

template <bool kMax>
Value MinMax(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  const char* name = kMax ? "max" : "min";
  const ListData* list = Receiver(target, args);
  if (!list) return NoSuchOverload(name, All(target, args));
  if (list->size() == 0) return ErrorValue(absl::StrCat(name, " called on empty list"));
  Value best = list->at(0);
  for (size_t i = 1; i < list->size(); ++i) {
    if (!ctx.Charge(1)) return BudgetExceeded();
    Value cur = list->at(i);
    bool no_overload = false;
    std::optional<int> c = Compare(cur, best, &no_overload);
    if (no_overload) return NoSuchOverload(name, {best, cur});
    if (c && (kMax ? *c > 0 : *c < 0)) best = cur;
  }
  return best;
}

}  // namespace

Function LookupK8sLists(absl::string_view name) {
  if (name == "isSorted") return IsSorted;
  if (name == "sum") return Sum;
  if (name == "min") return MinMax<false>;
  if (name == "max") return MinMax<true>;
  return nullptr;
}

}  // namespace edgekit::cli::cel
