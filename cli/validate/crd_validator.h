// Structural validation of Kubernetes objects against the OpenAPI v3 schemas of
// CustomResourceDefinitions: the engine of `edgekit validate`. It approximates what the
// API server checks before admission (types, unknown fields, required, enum, formats,
// bounds, patterns, oneOf/anyOf/allOf/not, metadata names and labels), so CI can reject a
// rendered manifest without a cluster. CEL rules (x-kubernetes-validations) are not
// evaluated; they are counted so callers can say so.
//
// Errors: absl::Status for I/O, YAML syntax and malformed CRDs; a list of Findings for
// objects that parse but are invalid. yaml-cpp exceptions never escape this library.
//
// This header is the validator's public face (the registry); its parts are internal to
// cli/validate/: the value model (yaml_value.h), schemas (crd_schema.h), the checker
// (schema_checker.h) and the ObjectMeta checks (object_meta.h). Findings and results are
// in validation_result.h, shared with the Istio semantic checks.
#ifndef EDGEKIT_CLI_VALIDATE_CRD_VALIDATOR_H_
#define EDGEKIT_CLI_VALIDATE_CRD_VALIDATOR_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/validate/validation_result.h"

namespace YAML {
class Node;
}

namespace edgekit::cli {

struct ValidateOptions {
  // An object whose group has no CRD in the registry (a Deployment, a Service) is an
  // error by default; with true it is a warning ("not validated"), for manifests that mix
  // Istio and core objects. An unknown version or kind of a known group stays an error.
  bool allow_unknown_groups = false;
};

// The CEL rules (x-kubernetes-validations) of the served versions in a registry: how many
// the validator runs, and which it cannot.
struct CelRuleInventory {
  int rules = 0;       // every rule, counted once per served (apiVersion, kind)
  int runnable = 0;    // compiled: run on every value they apply to
  int transition = 0;  // of the runnable, those reading oldSelf (run only on update)
  // "<apiVersion> <kind> <schema path>: <rule>: <why>" for each rule that did not compile.
  std::vector<std::string> not_runnable;
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
  CelRuleInventory CelRules() const;
  // Served apiVersions ("group/version") that have `kind`, sorted.
  std::vector<std::string> ApiVersionsOf(absl::string_view kind) const;

  // Validates one parsed YAML document and appends to `result`. Never fails: problems
  // with the document itself (not a mapping, duplicate keys) are findings too.
  void ValidateObject(const YAML::Node& document, int document_index,
                      const ValidateOptions& options, ValidationResult* result) const;
  // Checks of another kind run on each document after its schema check (the Istio
  // semantic checks: manifest_validation.h), appending to the same result so findings
  // stay in document order.
  using DocumentCheck =
      std::function<void(const YAML::Node& document, int document_index, ValidationResult*)>;
  // Parses a multi-document YAML stream (common/yaml_stream.h) and validates every
  // non-empty document, then runs `extra_check` on it if given: the one stream loop of
  // `edgekit validate`. Errors are the parser's: InvalidArgument
  // "<source>:<line>:<col>: invalid YAML: ...", ResourceExhausted past its size limits.
  absl::StatusOr<ValidationResult> ValidateYaml(absl::string_view text,
                                                absl::string_view source_name,
                                                const ValidateOptions& options = {},
                                                const DocumentCheck& extra_check = nullptr) const;
  // As ValidateYaml on the contents of `path` ("-" is stdin).
  absl::StatusOr<ValidationResult> ValidateFile(const std::string& path,
                                                const ValidateOptions& options = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_VALIDATE_CRD_VALIDATOR_H_
