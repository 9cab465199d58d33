// CEL's arithmetic operators, for the evaluator (arith.cc).
#ifndef EDGEKIT_CLI_VALIDATE_CEL_ARITH_H_
#define EDGEKIT_CLI_VALIDATE_CEL_ARITH_H_

#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {

// a op b for + - * / %; neither operand is an error.
Value Arithmetic(EvalContext& ctx, Op op, const Value& a, const Value& b);
// Unary minus.
Value Negate(const Value& a);

}  // namespace edgekit::cli::cel

#endif  // EDGEKIT_CLI_VALIDATE_CEL_ARITH_H_
