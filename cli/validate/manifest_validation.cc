// `edgekit validate` on one input (manifest_validation.h). The stream loop is the
// registry's (CrdRegistry::ValidateYaml), with the Istio semantic checks run on each
// document after its schema check, so that parsing, skipping empty documents and the
// order of findings are the same for the command, the fuzzer and the CRD tests.
#include "cli/validate/manifest_validation.h"

#include "absl/status/statusor.h"
#include "cli/validate/istio_checks.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {

absl::Status ValidateManifestText(const CrdRegistry& registry, absl::string_view text,
                                  absl::string_view source, const ValidateOptions& options,
                                  ValidationResult* result, int* documents) {
  absl::StatusOr<ValidationResult> checked = registry.ValidateYaml(
      text, source, options,
      [documents](const YAML::Node& document, int document_index, ValidationResult* into) {
        ++*documents;  // called once per non-empty document
        CheckIstioSemantics(document, document_index, into);
      });
  if (!checked.ok()) return checked.status();
  result->Merge(*checked);
  return absl::OkStatus();
}

}  // namespace edgekit::cli
