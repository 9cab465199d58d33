// The CRD's CEL rules (x-kubernetes-validations) run over an object, as the API server
// runs them after its OpenAPI check: each rule with `self` bound to the value it sits
// on, once per value (a rule on array items runs once per item), after defaulting. The
// evaluator is cli/validate/cel/; this file binds the validator's value trees to it
// (Kubernetes' typing of schema values in CEL) and turns results into findings.
// Internal to cli/validate/.
#ifndef EDGEKIT_CLI_VALIDATE_CEL_RULES_H_
#define EDGEKIT_CLI_VALIDATE_CEL_RULES_H_

#include <set>
#include <string>

#include "cli/validate/cel/cel.h"
#include "cli/validate/crd_schema.h"
#include "cli/validate/schema_checker.h"
#include "cli/validate/validation_result.h"
#include "cli/validate/yaml_value.h"

namespace edgekit::cli::crd {

// Sets every absent property that has a schema `default`, in objects that are present,
// as the API server does before validation (k8s apiextensions structural defaulting).
void ApplyDefaults(const Schema& s, Value& v, int depth = 0);

// `v` as CEL sees it under schema `s` (null = no schema, e.g. under
// x-kubernetes-preserve-unknown-fields): integers of `type: number` are doubles, strings
// of format date-time are timestamps, of format duration durations, of format byte bytes;
// objects are maps whose property names may be written escaped (`x__dash__y`). Lists and
// maps are views of `v`, which must outlive the returned value.
cel::Value ToCel(const Value& v, const Schema* s);

// Kubernetes' escaping of a property name in an expression undone: `__dash__` -> "-",
// `__dot__` -> ".", `__slash__` -> "/", `__underscores__` -> "__", and `__in__` (any CEL
// reserved word) -> "in" (k8s.io/apiserver/pkg/cel/escaping.go).
std::string UnescapePropertyName(absl::string_view name);

// Runs every rule of `s` and of the schemas under it on `v` (reached at `path`),
// reporting through `checker` (EK0401 not satisfied, EK0402 an evaluation error, EK0403 a
// rule the evaluator cannot run, once per rule and document) and counting in `result`.
class CelRuleRunner {
 public:
  CelRuleRunner(Checker* checker, ValidationResult* result) : checker_(checker), result_(result) {}
  void Run(const Schema& s, const Value& v, const std::string& path, int depth = 0);

 private:
  void RunRule(const CelRule& rule, const Value& v, const cel::Value& self,
               const std::string& path);

  Checker* checker_;
  ValidationResult* result_;
  std::set<const CelRule*> reported_not_run_;
};

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_CEL_RULES_H_
