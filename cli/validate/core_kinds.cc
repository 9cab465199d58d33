// The core kinds validate checks without a CRD (core_kinds.h).
#include "cli/validate/core_kinds.h"

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cli/validate/crd_internal.h"

namespace edgekit::cli::crd {
namespace {

constexpr size_t kMaxConfigMapBytes = 1024 * 1024;  // core validation: MaxSecretSize

bool IsConfigKey(const std::string& key) {
  if (key.empty() || key.size() > 253 || key == "." || key == "..") return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

void CheckConfigMap(const Value& object, const std::string& prefix, Checker* checker) {
  size_t bytes = 0;
  std::set<std::string> keys;
  for (const Field& f : object.fields) {
    const std::string path = JoinKey(prefix, f.name);
    if (f.name == "apiVersion" || f.name == "kind" || f.name == "metadata") continue;
    if (f.name == "immutable") {
      if (f.value.kind != Value::Kind::kBool && f.value.kind != Value::Kind::kNull) {
        checker->Error(f.value, path, FindingCode::kWrongType,
                       absl::StrCat("expected boolean, got ", Describe(f.value)));
      }
      continue;
    }
    if (f.name != "data" && f.name != "binaryData") {
      checker->Report(Finding::Severity::kError, FindingCode::kUnknownField, f.line, f.column, path,
                      absl::StrCat("unknown field ", Quote(f.name),
                                   "; known fields: binaryData, data, immutable"));
      continue;
    }
    if (f.value.kind == Value::Kind::kNull) continue;
    if (f.value.kind != Value::Kind::kObject) {
      checker->Error(f.value, path, FindingCode::kWrongType,
                     absl::StrCat("expected object, got ", Describe(f.value)));
      continue;
    }
    const bool binary = f.name == "binaryData";
    for (const Field& entry : f.value.fields) {
      const std::string entry_path = JoinKey(path, entry.name);
      if (!IsConfigKey(entry.name)) {
        checker->Report(
            Finding::Severity::kError, FindingCode::kFormatOrPattern, entry.line, entry.column,
            entry_path,
            absl::StrCat(Quote(entry.name), " is not a config key ([-._a-zA-Z0-9]+, at most 253)"));
      }
      if (!keys.insert(entry.name).second) {
        checker->Report(Finding::Severity::kError, FindingCode::kDuplicateItem, entry.line,
                        entry.column, entry_path,
                        absl::StrCat(Quote(entry.name), " is in both data and binaryData"));
      }
      if (entry.value.kind != Value::Kind::kString) {
        checker->Error(entry.value, entry_path, FindingCode::kWrongType,
                       absl::StrCat("expected string, got ", Describe(entry.value)));
        continue;
      }
      std::string decoded;
      if (binary && !absl::Base64Unescape(entry.value.text, &decoded)) {
        checker->Error(entry.value, entry_path, FindingCode::kFormatOrPattern,
                       "binaryData values must be base64");
      }
      bytes += entry.name.size() + (binary ? decoded.size() : entry.value.text.size());
    }
  }
  if (bytes > kMaxConfigMapBytes) {
    checker->Error(object, prefix, FindingCode::kOutOfBounds,
                   absl::StrCat("a ConfigMap holds at most 1 MiB (1048576 bytes) of data, this "
                                "one ",
                                bytes));
  }
}

}  // namespace edgekit::cli::crd
