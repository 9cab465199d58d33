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

// Each kind of finding has a stable code, as istioctl's analyzers do (IST0101...), so CI
// can suppress one kind (`--suppress EK0506`) and tools can key on it. The numbering
// groups them: 00xx the document, 01xx the object's type, 02xx metadata, 03xx the OpenAPI
// schema, 04xx CEL rules, 05xx Istio's validating webhook and Envoy's matching. Codes are
// never renumbered; the README lists them (a test keeps the two in step).
enum class FindingCode {
  kUnreadableDocument,          // EK0001
  kNotAnObject,                 // EK0002
  kUnknownType,                 // EK0101
  kUnknownGroup,                // EK0102
  kDeprecatedVersion,           // EK0103
  kInvalidMetadata,             // EK0201
  kUnknownField,                // EK0301
  kWrongType,                   // EK0302
  kRequiredMissing,             // EK0303
  kNotInEnum,                   // EK0304
  kFormatOrPattern,             // EK0305
  kOutOfBounds,                 // EK0306
  kDuplicateItem,               // EK0307
  kAlternatives,                // EK0308
  kNullDropped,                 // EK0309
  kCelRuleFailed,               // EK0401
  kCelRuleError,                // EK0402
  kCelRuleNotRun,               // EK0403
  kInvalidHeaderName,           // EK0501
  kUppercaseHeaderName,         // EK0502
  kInvalidRegex,                // EK0503
  kInvalidDirectResponse,       // EK0504
  kLargeDirectResponse,         // EK0505
  kUnreachableRoute,            // EK0506
  kRepeatedMatch,               // EK0507
  kInvalidAuthorizationPolicy,  // EK0511
};

struct FindingCodeInfo {
  FindingCode code;
  const char* id;       // "EK0301"
  bool refused;         // the API server (with Istio's webhook) refuses the object
  const char* summary;  // one line, as the README's table has it
};
// Every code, in numeric order.
const std::vector<FindingCodeInfo>& AllFindingCodes();
const FindingCodeInfo& InfoOf(FindingCode code);

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
  FindingCode code = FindingCode::kUnreadableDocument;
  int line = 0;  // 1-based position in the source; 0 if unknown
  int column = 0;
};

// "<source>:<line>:<col>: document <N>: error: <path>: <message> [EK0301]" (N counted
// from 1), the compiler-style line editors and CI log parsers understand; without a
// position, "<source>: document <N>: error: ...". `edgekit validate` prints findings so.
std::string FormatFinding(absl::string_view source, const Finding& finding);
// One JSON object on one line (`edgekit validate -o json`): file, line, column, document
// (from 1), path, code, severity, message.
std::string FindingJson(absl::string_view source, const Finding& finding);

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
  // CEL rule evaluations run, and transition rules skipped (they compare with the stored
  // object, which an offline check does not have), counted as cel_rules_not_checked is.
  int cel_rules_run = 0;
  int cel_transition_rules_skipped = 0;

  int error_count() const;
  int warning_count() const;
  bool ok() const { return error_count() == 0; }
  // Adds `other`'s findings and counters (for results of several files).
  void Merge(const ValidationResult& other);
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_VALIDATE_VALIDATION_RESULT_H_
