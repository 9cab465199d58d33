// What the function libraries share with the evaluator: the per-evaluation context (the
// step budget) and each library's lookup, which LookupFunction (functions.cc) chains.
#ifndef EDGEKIT_CLI_VALIDATE_CEL_FUNCTIONS_H_
#define EDGEKIT_CLI_VALIDATE_CEL_FUNCTIONS_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli/validate/cel/ast.h"
#include "cli/validate/cel/value_internal.h"

namespace edgekit::cli::cel {

// One Evaluate's state: variable slots and the step budget (comprehension iterations and
// calls, plus the size of what concatenations and string functions build).
struct EvalContext {
  static constexpr int64_t kBudget = 1000000;
  std::vector<Value> slots;
  int64_t steps = 0;
  const Expr* call = nullptr;  // the call node being evaluated (its precompiled regex)

  // False once the budget is spent.
  bool Charge(int64_t n) {
    steps += n;
    return steps <= kBudget;
  }
  bool exhausted() const { return steps > kBudget; }
};

Value BudgetExceeded();

// Each library's table; nullptr if it has no function of that name.
Function LookupStdlib(absl::string_view name);
Function LookupStringsExt(absl::string_view name);
Function LookupK8sLists(absl::string_view name);
Function LookupK8sUrl(absl::string_view name);
Function LookupK8sIp(absl::string_view name);
Function LookupTime(absl::string_view name);  // duration.cc: the timestamp/duration accessors

// Shared helpers for the libraries.
bool IsString(const Value& v);
// The receiver (if any) followed by the arguments: f(a, b) and a.f(b) read alike in
// "no such overload" messages.
std::vector<Value> All(const Value* target, const std::vector<Value>& args);
// Go's time.ParseDuration syntax ("1h2m3.5s", "-1.5h", "0"); nullopt if invalid.
std::optional<absl::Duration> ParseGoDuration(absl::string_view s);
// Valid timestamps span years 0001..9999 (cel-spec, google.protobuf.Timestamp).
bool TimestampInRange(absl::Time t);
// Durations are Go's time.Duration in cel-go: int64 nanoseconds.
bool DurationInRange(absl::Duration d);

}  // namespace edgekit::cli::cel

#endif  // EDGEKIT_CLI_VALIDATE_CEL_FUNCTIONS_H_
