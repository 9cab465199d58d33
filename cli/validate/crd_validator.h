// Structural validation of Kubernetes objects against the OpenAPI v3 schemas of
// CustomResourceDefinitions: the engine of `edgekit validate`. It approximates what the
// API server checks before admission (types, unknown fields, required, enum, formats,
// bounds, patterns, oneOf/anyOf/allOf/not, metadata names and labels), so CI can reject a
// rendered manifest without a cluster. CEL rules (x-kubernetes-validations) are not
// evaluated; they are counted so callers can say so.
//
// Errors: absl::Status for I/O, YAML syntax and malformed CRDs; a list of Findings for
// objects that parse but are invalid. yaml-cpp exceptions never escape this library.
#ifndef EDGEKIT_CLI_CRD_VALIDATOR_H_
#define EDGEKIT_CLI_CRD_VALIDATOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace YAML {
class Node;
}

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

struct ValidateOptions {
  // An object whose group has no CRD in the registry (a Deployment, a Service) is an
  // error by default; with true it is a warning ("not validated"), for manifests that mix
  // Istio and core objects. An unknown version or kind of a known group stays an error.
  bool allow_unknown_groups = false;
};

// Schemas of the served versions of a set of CRDs, keyed by (apiVersion, kind), and the
// validator that uses them. Load once, validate many; const methods are thread-safe.
class CrdRegistry {
 public:
  CrdRegistry();
  ~CrdRegistry();
  CrdRegistry(CrdRegistry&&) noexcept;
  CrdRegistry& operator=(CrdRegistry&&) noexcept;

  // A registry holding the CRDs of one file (see AddFile).
  static absl::StatusOr<CrdRegistry> FromFile(const std::string& path);

  // Adds the CustomResourceDefinitions (apiextensions.k8s.io/v1, or v1beta1 with
  // spec.validation) in a multi-document YAML stream. `kind: List` documents (as
  // `kubectl get crd -o yaml` prints) contribute their items; other kinds are skipped.
  // A version already present is replaced, as applying the later CRD would. Errors:
  // InvalidArgument "<source>:<line>:<col>: ..." for YAML syntax errors, malformed CRDs
  // or schemas (e.g. a `pattern` RE2 cannot compile), or a stream with no CRD at all.
  absl::Status AddYaml(absl::string_view text, absl::string_view source_name);
  // Reads `path` ("-" is stdin) and adds its CRDs; I/O errors are NotFound /
  // PermissionDenied / Unavailable naming the path.
  absl::Status AddFile(const std::string& path);

  // Number of (apiVersion, kind) schemas.
  size_t size() const;
  bool Has(absl::string_view api_version, absl::string_view kind) const;
  // Served apiVersions ("group/version") that have `kind`, sorted.
  std::vector<std::string> ApiVersionsOf(absl::string_view kind) const;

  // Validates one parsed YAML document and appends to `result`. Never fails: problems
  // with the document itself (not a mapping, duplicate keys) are findings too.
  void ValidateObject(const YAML::Node& document, int document_index,
                      const ValidateOptions& options, ValidationResult* result) const;
  // Parses a multi-document YAML stream and validates every non-empty document.
  // Errors: InvalidArgument "<source>:<line>:<col>: YAML syntax error: ...".
  absl::StatusOr<ValidationResult> ValidateYaml(absl::string_view text,
                                                absl::string_view source_name,
                                                const ValidateOptions& options = {}) const;
  // As ValidateYaml on the contents of `path` ("-" is stdin).
  absl::StatusOr<ValidationResult> ValidateFile(const std::string& path,
                                                const ValidateOptions& options = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_CRD_VALIDATOR_H_
