// The parsed form of a CEL expression, as the parser builds it and the evaluator walks
// it. Names are resolved at parse time (variables to slots, functions to their
// implementation), so evaluation never looks anything up by name.
#ifndef EDGEKIT_CLI_VALIDATE_CEL_AST_H_
#define EDGEKIT_CLI_VALIDATE_CEL_AST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/validate/cel/cel.h"
#include "re2/re2.h"

namespace edgekit::cli::cel {

struct EvalContext;

// A library function: `target` is the receiver of a member call (x.f(a)), or nullptr for a
// global call f(a). Arguments are evaluated and none is an error.
using Function = Value (*)(EvalContext& ctx, const Value* target, const std::vector<Value>& args);

// Operators, each its own node kind so the evaluator can short-circuit && || ?: and
// skip the function table for the rest.
enum class Op {
  kAnd,
  kOr,
  kNot,
  kNeg,
  kCond,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kIndex
};

enum class Macro { kAll, kExists, kExistsOne, kFilter, kMap };

struct Expr {
  enum class Kind {
    kConst,   // value
    kIdent,   // slot (0 self, 1 oldSelf, 2+ comprehension variables)
    kSelect,  // operand.field, or has(operand.field) if test_only
    kOp,      // op(args...)
    kCall,    // fn(args...) or target.fn(args...)
    kList,    // [args...]
    kMap,     // {args[0]: args[1], ...}
    kMacro,   // target.macro(var, args...) — args: predicate/transform (map: filter too)
  };
  Kind kind = Kind::kConst;
  int position = 0;
  Value value = Value::Null();
  int slot = 0;
  std::string name;  // field, function or macro name (messages)
  bool test_only = false;
  Op op = Op::kAnd;
  Macro macro = Macro::kAll;
  Function fn = nullptr;
  std::unique_ptr<Expr> target;
  std::vector<std::unique_ptr<Expr>> args;
  // matches() with a literal pattern: compiled once here (nullptr if not literal).
  std::shared_ptr<const RE2> regex;
  int depth = 1;  // height of this subtree (nesting limit)
};

struct ParsedExpr {
  std::unique_ptr<Expr> root;
  bool uses_old_self = false;
  int slots = 2;  // self, oldSelf, then the deepest comprehension nesting
};

// Parses and resolves `text` (Program::Compile's errors).
absl::StatusOr<ParsedExpr> Parse(absl::string_view text);

// The function table: nullptr if CEL-as-Kubernetes-has-it has no such function here.
Function LookupFunction(absl::string_view name);

}  // namespace edgekit::cli::cel

#endif  // EDGEKIT_CLI_VALIDATE_CEL_AST_H_
