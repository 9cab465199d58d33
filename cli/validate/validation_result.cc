// Formatting and counting of findings (validation_result.h), apart from the checks so
// that the Istio semantic checks can report without linking in the CRD schema code.
#include "cli/validate/validation_result.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"

namespace edgekit::cli {

const std::vector<FindingCodeInfo>& AllFindingCodes() {
  using C = FindingCode;
  static const auto* const kCodes = new std::vector<FindingCodeInfo>{
      {C::kUnreadableDocument, "EK0001", true,
       "the document cannot be read: duplicate or non-scalar keys, nesting too deep"},
      {C::kNotAnObject, "EK0002", true,
       "not a Kubernetes object: not a mapping, or apiVersion/kind missing or not strings"},
      {C::kUnknownType, "EK0101", true,
       "unknown kind or version in an API group the CRDs define, or a version not served"},
      {C::kUnknownGroup, "EK0102", true,
       "no CRD for the object's API group (a warning with --allow-unknown-groups)"},
      {C::kDeprecatedVersion, "EK0103", false, "the apiVersion is deprecated"},
      {C::kInvalidMetadata, "EK0201", true,
       "metadata: name, namespace, labels or annotations the API server refuses"},
      {C::kUnknownField, "EK0301", true, "a field the schema does not have"},
      {C::kWrongType, "EK0302", true, "a value of the wrong type (or null where not nullable)"},
      {C::kRequiredMissing, "EK0303", true, "a required field is missing"},
      {C::kNotInEnum, "EK0304", true, "a value outside the schema's enum"},
      {C::kFormatOrPattern, "EK0305", true, "a string that fails its format or pattern"},
      {C::kOutOfBounds, "EK0306", true, "a number, length or count outside the schema's bounds"},
      {C::kDuplicateItem, "EK0307", true, "a duplicate item in a set or a keyed list"},
      {C::kAlternatives, "EK0308", true, "oneOf/anyOf/not: a field combination not allowed"},
      {C::kNullDropped, "EK0309", false,
       "a null value the API server drops (the field is not nullable)"},
      {C::kCelRuleFailed, "EK0401", true,
       "a CEL validation rule (x-kubernetes-validations) is not satisfied"},
      {C::kCelRuleError, "EK0402", true,
       "a CEL validation rule fails to evaluate on this value (the API server refuses it)"},
      {C::kCelRuleNotRun, "EK0403", false,
       "CEL rules not run: a rule edgekit cannot run (named), or an object with type or enum "
       "errors (the API server skips its rules too)"},
      {C::kInvalidHeaderName, "EK0501", true, "a header match name Istio refuses"},
      {C::kUppercaseHeaderName, "EK0502", false,
       "a header match name with capitals: Envoy lowercases header names, so it never "
       "matches"},
      {C::kInvalidRegex, "EK0503", true, "a regex that is not RE2 (Istio refuses it)"},
      {C::kInvalidDirectResponse, "EK0504", true,
       "a direct response Istio refuses: combined with route, status outside 200-599, body "
       "over 1 MB"},
      {C::kLargeDirectResponse, "EK0505", false, "a direct-response body over 100 KB"},
      {C::kUnreachableRoute, "EK0506", false, "a route that can never match"},
      {C::kRepeatedMatch, "EK0507", false,
       "a match block that repeats an earlier route's, so never matches here"},
      {C::kInvalidAuthorizationPolicy, "EK0511", true,
       "an AuthorizationPolicy Istio refuses: provider without CUSTOM, CUSTOM without "
       "provider or rules, identity fields in a CUSTOM rule"},
  };
  return *kCodes;
}

const FindingCodeInfo& InfoOf(FindingCode code) {
  for (const FindingCodeInfo& info : AllFindingCodes()) {
    if (info.code == code) return info;
  }
  return AllFindingCodes().front();  // unreachable: every code is in the table
}

std::string FormatFinding(absl::string_view source, const Finding& finding) {
  std::string out(source);
  if (finding.line > 0) absl::StrAppend(&out, ":", finding.line, ":", finding.column);
  absl::StrAppend(&out, ": document ", finding.document + 1, ": ",
                  finding.severity == Finding::Severity::kError ? "error" : "warning", ": ");
  if (!finding.path.empty()) absl::StrAppend(&out, finding.path, ": ");
  absl::StrAppend(&out, finding.message, " [", InfoOf(finding.code).id, "]");
  return out;
}

std::string FindingJson(absl::string_view source, const Finding& finding) {
  const auto JsonQuote = [](absl::string_view s) {
    return JsonString(std::string_view(s.data(), s.size()));
  };
  return absl::StrCat("{\"file\":", JsonQuote(source), ",\"line\":", finding.line,
                      ",\"column\":", finding.column, ",\"document\":", finding.document + 1,
                      ",\"path\":", JsonQuote(finding.path), ",\"code\":\"",
                      InfoOf(finding.code).id, "\",\"severity\":\"",
                      finding.severity == Finding::Severity::kError ? "error" : "warning",
                      "\",\"message\":", JsonQuote(finding.message), "}");
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
  cel_rules_run += other.cel_rules_run;
  cel_transition_rules_skipped += other.cel_transition_rules_skipped;
}

}  // namespace edgekit::cli
