#include "cli/validate/manifest_validation.h"

#include <vector>

#include "absl/status/statusor.h"
#include "cli/validate/istio_checks.h"
#include "common/yaml_stream.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {

absl::Status ValidateManifestText(const CrdRegistry& registry, absl::string_view text,
                                  absl::string_view source, const ValidateOptions& options,
                                  ValidationResult* result, int* documents) {
  absl::StatusOr<std::vector<YAML::Node>> parsed =
      ParseYamlStream(text, source, kManifestYamlLimits);
  if (!parsed.ok()) return parsed.status();
  for (size_t i = 0; i < parsed->size(); ++i) {
    const YAML::Node& document = (*parsed)[i];
    // Empty documents (a trailing `---`, comments only) are skipped, as kubectl does.
    if (!document.IsDefined() || document.IsNull()) continue;
    ++*documents;
    registry.ValidateObject(document, static_cast<int>(i), options, result);
    CheckIstioSemantics(document, static_cast<int>(i), result);
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
