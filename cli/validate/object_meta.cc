// ObjectMeta checks (object_meta.h), with the API server's rules and wording for names,
// label keys and values (k8s.io/apimachinery's validation), so a finding reads as the
// error `kubectl apply` would print.
#include "cli/validate/object_meta.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/validate/crd_internal.h"
#include "common/syntax.h"

namespace edgekit::cli::crd {
namespace {

// The API server's limit on the total size of an object's annotations.
constexpr size_t kMaxAnnotationBytes = 256 * 1024;

constexpr absl::string_view kSubdomainRule =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character";

// Label and annotation keys: [prefix/]name (Kubernetes "qualified names").
std::optional<std::string> QualifiedNameProblem(absl::string_view key) {
  std::vector<absl::string_view> parts = absl::StrSplit(key, '/');
  absl::string_view name = parts.back();
  if (parts.size() > 2) {
    return "must be a name with an optional DNS subdomain prefix and '/' "
           "(e.g. 'example.com/my-name')";
  }
  if (parts.size() == 2) {
    if (parts[0].empty()) return std::string("prefix part must be non-empty");
    if (!IsDns1123Subdomain(parts[0])) {
      return absl::StrCat("prefix part ", Quote(parts[0]), ": ", kSubdomainRule,
                          " and be at most 253 characters");
    }
  }
  if (name.empty()) return std::string("name part must be non-empty");
  if (name.size() > 63) return std::string("name part must be no more than 63 characters");
  if (!IsLabelValue(name, /*allow_empty=*/false)) {
    return std::string(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character");
  }
  return std::nullopt;
}

std::optional<std::string> LabelValueProblem(absl::string_view value) {
  if (value.size() > 63) return std::string("must be no more than 63 characters");
  if (!IsLabelValue(value, /*allow_empty=*/true)) {
    return std::string(
        "a label value must be empty or consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character");
  }
  return std::nullopt;
}

void CheckStringMap(const Field& field, const std::string& path, bool labels, Checker* checker) {
  const Value& map = field.value;
  if (map.kind == Value::Kind::kNull) return;
  if (map.kind != Value::Kind::kObject) {
    checker->Error(map, path, FindingCode::kInvalidMetadata,
                   absl::StrCat("expected object, got ", Describe(map)));
    return;
  }
  size_t total = 0;
  for (const Field& entry : map.fields) {
    const std::string entry_path = JoinKey(path, entry.name);
    if (std::optional<std::string> problem = QualifiedNameProblem(entry.name)) {
      checker->Report(Finding::Severity::kError, FindingCode::kInvalidMetadata, entry.line,
                      entry.column, entry_path,
                      absl::StrCat("invalid key ", Quote(entry.name), ": ", *problem));
    }
    const Value& value = entry.value;
    if (value.kind != Value::Kind::kString) {
      // Go decodes ObjectMeta into map[string]string: `inject: true` fails there.
      std::string message = absl::StrCat("expected string, got ", Describe(value));
      if (value.plain) absl::StrAppend(&message, " (quote it to make it a string)");
      checker->Error(value, entry_path, FindingCode::kInvalidMetadata, message);
      continue;
    }
    total += entry.name.size() + value.text.size();
    if (labels) {
      if (std::optional<std::string> problem = LabelValueProblem(value.text)) {
        checker->Error(value, entry_path, FindingCode::kInvalidMetadata,
                       absl::StrCat("invalid label value ", Quote(value.text), ": ", *problem));
      }
    }
  }
  if (!labels && total > kMaxAnnotationBytes) {
    checker->Error(
        map, path, FindingCode::kInvalidMetadata,
        absl::StrCat("annotations total ", total, " bytes, more than the ", kMaxAnnotationBytes,
                     " the API server accepts (client-side apply also copies the "
                     "object into an annotation; consider server-side apply)"));
  }
}

}  // namespace

void CheckMetadata(const Value& object, const std::string& prefix, Checker* checker) {
  const std::string path = JoinKey(prefix, "metadata");
  const Field* metadata = object.Find("metadata");
  if (metadata == nullptr || metadata->value.kind == Value::Kind::kNull) {
    checker->Error(object, JoinKey(path, "name"), FindingCode::kInvalidMetadata,
                   "required field is missing");
    return;
  }
  const Value& meta = metadata->value;
  if (meta.kind != Value::Kind::kObject) {
    checker->Error(meta, path, FindingCode::kInvalidMetadata,
                   absl::StrCat("expected object, got ", Describe(meta)));
    return;
  }
  static const std::set<std::string> kKnown = {"name",
                                               "generateName",
                                               "namespace",
                                               "selfLink",
                                               "uid",
                                               "resourceVersion",
                                               "generation",
                                               "creationTimestamp",
                                               "deletionTimestamp",
                                               "deletionGracePeriodSeconds",
                                               "labels",
                                               "annotations",
                                               "ownerReferences",
                                               "finalizers",
                                               "managedFields"};
  for (const Field& f : meta.fields) {
    const std::string field_path = JoinKey(path, f.name);
    if (kKnown.count(f.name) == 0) {
      checker->Report(Finding::Severity::kError, FindingCode::kInvalidMetadata, f.line, f.column,
                      field_path, absl::StrCat("unknown field ", Quote(f.name), " in ObjectMeta"));
      continue;
    }
    const Value& v = f.value;
    if (f.name == "labels" || f.name == "annotations") {
      CheckStringMap(f, field_path, f.name == "labels", checker);
    } else if (f.name == "name" || f.name == "generateName" || f.name == "namespace") {
      if (v.kind == Value::Kind::kNull) continue;
      if (v.kind != Value::Kind::kString) {
        checker->Error(v, field_path, FindingCode::kInvalidMetadata,
                       absl::StrCat("expected string, got ", Describe(v)));
      } else if (f.name == "name" && !IsDns1123Subdomain(v.text)) {
        checker->Error(v, field_path, FindingCode::kInvalidMetadata,
                       absl::StrCat(Quote(v.text), " is not a valid name: ", kSubdomainRule,
                                    v.text.size() > 253 ? ", at most 253 characters" : ""));
      } else if (f.name == "namespace" && !IsDns1123Label(v.text)) {
        checker->Error(v, field_path, FindingCode::kInvalidMetadata,
                       absl::StrCat(Quote(v.text),
                                    " is not a valid namespace: a lowercase RFC 1123 label "
                                    "must consist of lower case alphanumeric characters or "
                                    "'-', start and end with an alphanumeric character, and "
                                    "be at most 63 characters"));
      }
    }
  }
  const Field* name = meta.Find("name");
  if (name == nullptr || name->value.kind == Value::Kind::kNull) {
    // generateName works for `kubectl create` only; manifests are applied, which needs a
    // name.
    checker->Error(meta, JoinKey(path, "name"), FindingCode::kInvalidMetadata,
                   "required field is missing");
  }
}

}  // namespace edgekit::cli::crd
