// One input of `edgekit validate`: a YAML stream checked document by document against
// the CRD schemas (crd_validator.h) and the Istio semantic checks (istio_checks.h).
#ifndef EDGEKIT_CLI_VALIDATE_MANIFEST_VALIDATION_H_
#define EDGEKIT_CLI_VALIDATE_MANIFEST_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/validate/crd_validator.h"

namespace edgekit::cli {

// What `validate` does with one input's text: parse (common/yaml_stream.h), then the
// schema and the semantic checks of every non-empty document, appended to `*result`.
// `*documents` counts the documents checked. A stream that is not YAML is the parse
// error (InvalidArgument / ResourceExhausted, naming `source`).
absl::Status ValidateManifestText(const CrdRegistry& registry, absl::string_view text,
                                  absl::string_view source, const ValidateOptions& options,
                                  ValidationResult* result, int* documents);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_VALIDATE_MANIFEST_VALIDATION_H_
