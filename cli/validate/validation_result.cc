// Formatting and counting of findings (validation_result.h), apart from the checks so
// that the Istio semantic checks can report without linking in the CRD schema code.
#include "cli/validate/validation_result.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace edgekit::cli {

std::string FormatFinding(absl::string_view source, const Finding& finding) {
  std::string out(source);
  if (finding.line > 0) absl::StrAppend(&out, ":", finding.line, ":", finding.column);
  absl::StrAppend(&out, ": document ", finding.document + 1, ": ",
                  finding.severity == Finding::Severity::kError ? "error" : "warning", ": ");
  if (!finding.path.empty()) absl::StrAppend(&out, finding.path, ": ");
  absl::StrAppend(&out, finding.message);
  return out;
}

int ValidationResult::error_count() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Finding::Severity::kError;
  }));
}

int ValidationResult::warning_count() const {
  return static_cast<int>(findings.size()) - error_count();
}

void ValidationResult::Merge(const ValidationResult& other) {
  findings.insert(findings.end(), other.findings.begin(), other.findings.end());
  objects_validated += other.objects_validated;
  cel_rules_not_checked += other.cel_rules_not_checked;
}

}  // namespace edgekit::cli
