// What `edgekit validate`'s checks produce: findings (one problem in one object) and the
// result of checking a stream. Its own header because both the CRD schema check
// (crd_validator.h) and the Istio semantic checks (istio_checks.h) report into it, and the
// semantic checks need no schema registry.
#ifndef EDGEKIT_CLI_VALIDATE_VALIDATION_RESULT_H_
#define EDGEKIT_CLI_VALIDATE_VALIDATION_RESULT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace edgekit::cli {

// One problem in one object.
struct Finding {
  enum class Severity { kError, kWarning };

  int document = 0;  // 0-based position of the YAML document in its stream
  // Where in the object: "spec.http[0].match[1].headers.x-foo". Map keys that are not
  // plain identifiers are quoted: `metadata.labels["app.kubernetes.io/name"]`. Items of a
  // `kind: List` start with "items[N].". Empty for the document as a whole.
  std::string path;
  std::string message;
  Severity severity = Severity::kError;
  int line = 0;  // 1-based position in the source; 0 if unknown
  int column = 0;
};

// "<source>:<line>:<col>: document <N>: error: <path>: <message>" (N counted from 1),
// the compiler-style line editors and CI log parsers understand; without a position,
// "<source>: document <N>: error: ...". `edgekit validate` prints findings this way.
std::string FormatFinding(absl::string_view source, const Finding& finding);

struct ValidationResult {
  // In document order, and within a document in the order the fields appear.
  std::vector<Finding> findings;
  // Objects that had a schema and were checked against it.
  int objects_validated = 0;
  // How many CEL rule evaluations the API server would run on these objects that this
  // validator skipped: each x-kubernetes-validations rule counts once per value it
  // applies to (a rule on array items counts once per item). Non-zero means "valid here"
  // is weaker than "the API server accepts it".
  int cel_rules_not_checked = 0;

  int error_count() const;
  int warning_count() const;
  bool ok() const { return error_count() == 0; }
  // Adds `other`'s findings and counters (for results of several files).
  void Merge(const ValidationResult& other);
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_VALIDATE_VALIDATION_RESULT_H_
