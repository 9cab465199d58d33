// The structural check of one value against one CRD schema (crd_schema.h), as the API
// server runs it before admission: types, unknown fields, required, enum, formats,
// bounds, patterns, list types and oneOf/anyOf/allOf/not. The same checker, run quietly,
// decides which alternatives of a oneOf/anyOf/not a value matches, so that the answer
// and the findings come from one set of rules. CEL rules run apart (cel_rules.h).
#ifndef EDGEKIT_CLI_VALIDATE_SCHEMA_CHECKER_H_
#define EDGEKIT_CLI_VALIDATE_SCHEMA_CHECKER_H_

#include <string>
#include <utility>
#include <vector>

#include "cli/validate/crd_schema.h"
#include "cli/validate/validation_result.h"
#include "cli/validate/yaml_value.h"

namespace edgekit::cli::crd {

class Checker {
 public:
  // `findings` null = quiet: stop at the first problem and only remember that there was
  // one (for oneOf/anyOf/not alternatives).
  Checker(int document, std::vector<Finding>* findings)
      : document_(document), findings_(findings) {}

  bool failed() const { return failed_; }

  // Checks `v` against `s`. `structural` is true on the schema's own tree (where unknown
  // fields are rejected and non-nullable nulls pruned, as the API server does) and false
  // inside allOf/anyOf/oneOf/not alternatives, which only add constraints. `v` is
  // modified: pruned nulls are removed.
  void Check(const Schema& s, Value& v, const std::string& path, bool structural);

  // Findings of checks outside the schema (ObjectMeta, apiVersion and kind) go through the
  // checker too, so they land in the same list in document order.
  void Error(const Value& at, const std::string& path, FindingCode code, std::string message) {
    Report(Finding::Severity::kError, code, at.line, at.column, path, std::move(message));
  }
  void Report(Finding::Severity severity, FindingCode code, int line, int column,
              const std::string& path, std::string message);

 private:
  bool Stopped() const { return findings_ == nullptr && failed_; }

  void CheckString(const Schema& s, const Value& v, const std::string& path);
  void CheckNumber(const Schema& s, const Value& v, const std::string& path);
  void CheckArray(const Schema& s, Value& v, const std::string& path, bool structural);
  // x-kubernetes-list-type: map — items are identified by their key fields, which must be
  // unique across the list (the API server rejects duplicates).
  void CheckListMapKeys(const Schema& s, const Value& v, const std::string& path);
  void CheckObject(const Schema& s, Value& v, const std::string& path, bool structural);
  void CheckEnum(const Schema& s, const Value& v, const std::string& path);
  // Whether `v` satisfies `s` on its own, without reporting anything.
  bool Matches(const Schema& s, Value& v, const std::string& path) const;
  void CheckAlternatives(const Schema& s, Value& v, const std::string& path);
  void CheckOneOf(const Schema& s, Value& v, const std::string& path);

  int document_;
  std::vector<Finding>* findings_;
  bool failed_ = false;
};

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_SCHEMA_CHECKER_H_
