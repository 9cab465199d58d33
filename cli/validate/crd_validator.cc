// The CRD registry (crd_validator.h): reading CRDs into per-version schemas, and the
// validation of whole objects against them.
//
// Pipeline, mirroring the API server's: YAML -> a JSON-like value tree with YAML 1.1
// scalar typing (yaml_value.h; what kubectl's YAML decoder does, so an unquoted `on` is a
// boolean) -> per object: apiVersion and kind pick the schema, ObjectMeta is checked
// (object_meta.h), then the rest against the schema (schema_checker.h), which drops nulls
// of non-nullable fields as the server prunes them. yaml-cpp is touched only while
// building value trees, and its exceptions are caught here.
#include "cli/validate/crd_validator.h"

#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "cli/validate/cel_rules.h"
#include "cli/validate/core_kinds.h"
#include "cli/validate/crd_internal.h"
#include "cli/validate/crd_schema.h"
#include "cli/validate/object_meta.h"
#include "cli/validate/schema_checker.h"
#include "cli/validate/yaml_value.h"
#include "common/file_io.h"
#include "common/yaml_stream.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {

using crd::CelRule;
using crd::Checker;
using crd::CheckMetadata;
using crd::Describe;
using crd::Field;
using crd::JoinIndex;
using crd::JoinKey;
using crd::Quote;
using crd::Schema;
using crd::SchemaParser;
using crd::Value;
using crd::ValueBuilder;

struct CrdRegistry::Impl {
  struct Version {
    std::string crd_name;
    std::shared_ptr<const Schema> schema;
    bool deprecated = false;
    std::string deprecation_warning;
  };
  using Key = std::pair<std::string, std::string>;  // (apiVersion, kind)

  std::map<Key, Version> served;
  std::map<Key, std::string> unserved;  // -> CRD name, for a precise message

  absl::Status AddCrd(const Value& crd, absl::string_view source);
  void ValidateRoot(Value& object, const std::string& prefix, int document,
                    const ValidateOptions& options, ValidationResult* result) const;
  void ReportUnknownType(const Value& object, const std::string& prefix,
                         const std::string& api_version, const std::string& kind,
                         const ValidateOptions& options, Checker* checker) const;
};

namespace {

const Value* Get(const Value& object, absl::string_view name) {
  if (object.kind != Value::Kind::kObject) return nullptr;
  const Field* f = object.Find(name);
  return f == nullptr ? nullptr : &f->value;
}

const Value* GetPath(const Value& object, std::initializer_list<absl::string_view> names) {
  const Value* v = &object;
  for (absl::string_view name : names) {
    v = Get(*v, name);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string StringOr(const Value* v, absl::string_view fallback) {
  return v != nullptr && v->kind == Value::Kind::kString ? v->text : std::string(fallback);
}

}  // namespace

absl::Status CrdRegistry::Impl::AddCrd(const Value& crd, absl::string_view source) {
  const std::string name = StringOr(GetPath(crd, {"metadata", "name"}), "(unnamed)");
  auto error = [&](const Value& at, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", at.line, ":", at.column, ": CustomResourceDefinition ", name, ": ", what));
  };
  const Value* spec = Get(crd, "spec");
  if (spec == nullptr || spec->kind != Value::Kind::kObject) {
    return error(crd, "spec: required mapping is missing");
  }
  const Value* group = Get(*spec, "group");
  const Value* kind = GetPath(*spec, {"names", "kind"});
  if (group == nullptr || group->kind != Value::Kind::kString || group->text.empty()) {
    return error(*spec, "spec.group: required string is missing");
  }
  if (kind == nullptr || kind->kind != Value::Kind::kString || kind->text.empty()) {
    return error(*spec, "spec.names.kind: required string is missing");
  }
  // apiextensions.k8s.io/v1beta1 CRDs may carry one schema for all versions.
  const Value* shared_schema = GetPath(*spec, {"validation", "openAPIV3Schema"});

  struct Parsed {
    std::string version;
    bool is_served;
    Version entry;
  };
  std::vector<Parsed> parsed;
  auto parse_version = [&](const std::string& version, bool is_served, const Value* schema_value,
                           const Value* version_value,
                           const std::string& schema_path) -> absl::Status {
    Parsed p{version, is_served, {}};
    p.entry.crd_name = name;
    if (version_value != nullptr) {
      const Value* deprecated = Get(*version_value, "deprecated");
      p.entry.deprecated =
          deprecated != nullptr && deprecated->kind == Value::Kind::kBool && deprecated->boolean;
      p.entry.deprecation_warning = StringOr(Get(*version_value, "deprecationWarning"), "");
    }
    if (schema_value == nullptr) schema_value = shared_schema;
    if (schema_value == nullptr) {
      // No schema: the API server accepts any content, and so does this validator.
      auto any = std::make_unique<Schema>();
      any->type = "object";
      any->preserve_unknown_fields = true;
      p.entry.schema = std::move(any);
    } else {
      SchemaParser parser(source, absl::StrCat("CustomResourceDefinition ", name, ": "));
      absl::StatusOr<std::unique_ptr<Schema>> schema = parser.Parse(*schema_value, schema_path, 0);
      if (!schema.ok()) return schema.status();
      p.entry.schema = *std::move(schema);
    }
    parsed.push_back(std::move(p));
    return absl::OkStatus();
  };

  const Value* versions = Get(*spec, "versions");
  if (versions != nullptr && versions->kind == Value::Kind::kArray && !versions->items.empty()) {
    for (size_t i = 0; i < versions->items.size(); ++i) {
      const Value& version = versions->items[i];
      const Value* version_name = Get(version, "name");
      if (version_name == nullptr || version_name->kind != Value::Kind::kString) {
        return error(version,
                     absl::StrCat("spec.versions[", i, "].name: required string is missing"));
      }
      // `served` is required in v1; v1beta1's single-version form implies it.
      const Value* served_value = Get(version, "served");
      const bool is_served = served_value == nullptr ||
                             (served_value->kind == Value::Kind::kBool && served_value->boolean);
      absl::Status status = parse_version(
          version_name->text, is_served, GetPath(version, {"schema", "openAPIV3Schema"}), &version,
          absl::StrCat("spec.versions[", i, "].schema.openAPIV3Schema"));
      if (!status.ok()) return status;
    }
  } else if (const Value* single = Get(*spec, "version");
             single != nullptr && single->kind == Value::Kind::kString) {
    absl::Status status =
        parse_version(single->text, true, nullptr, nullptr, "spec.validation.openAPIV3Schema");
    if (!status.ok()) return status;
  } else {
    return error(*spec, "spec.versions: at least one version is required");
  }

  for (Parsed& p : parsed) {
    Key key{absl::StrCat(group->text, "/", p.version), kind->text};
    if (p.is_served) {
      unserved.erase(key);
      served.insert_or_assign(key, std::move(p.entry));
    } else {
      served.erase(key);
      unserved.insert_or_assign(key, name);
    }
  }
  return absl::OkStatus();
}

void CrdRegistry::Impl::ReportUnknownType(const Value& object, const std::string& prefix,
                                          const std::string& api_version, const std::string& kind,
                                          const ValidateOptions& options, Checker* checker) const {
  const Field* api_field = object.Find("apiVersion");
  const Field* kind_field = object.Find("kind");
  const std::string api_path = JoinKey(prefix, "apiVersion");
  const std::string kind_path = JoinKey(prefix, "kind");
  auto it = unserved.find({api_version, kind});
  if (it != unserved.end()) {
    checker->Error(
        api_field->value, api_path, FindingCode::kUnknownType,
        absl::StrCat(api_version, " ", kind, " is defined by ", it->second, " but not served"));
    return;
  }
  // Everything below is within the object's own API group: a kind name may exist in
  // several groups (Gateway is both networking.istio.io's and gateway.networking.k8s.io's),
  // and another group's kind says nothing about this object.
  std::vector<std::string> versions_of_kind;
  std::set<std::string> kinds_of_group;
  std::string case_insensitive_match;
  const std::string group = api_version.substr(0, api_version.rfind('/'));
  for (const auto& [key, unused] : served) {
    if (key.first.substr(0, key.first.rfind('/')) != group) continue;
    kinds_of_group.insert(key.second);
    if (key.second == kind) versions_of_kind.push_back(key.first);
    if (absl::EqualsIgnoreCase(key.second, kind)) case_insensitive_match = key.second;
  }
  if (!versions_of_kind.empty()) {
    checker->Error(
        api_field->value, api_path, FindingCode::kUnknownType,
        absl::StrCat("no schema for ", kind, " in apiVersion ", Quote(api_version),
                     "; known versions of ", kind, ": ", absl::StrJoin(versions_of_kind, ", ")));
    return;
  }
  if (!case_insensitive_match.empty()) {
    checker->Error(kind_field->value, kind_path, FindingCode::kUnknownType,
                   absl::StrCat("unknown kind ", Quote(kind), " (did you mean ",
                                Quote(case_insensitive_match), "?)"));
    return;
  }
  if (!kinds_of_group.empty()) {
    checker->Error(
        kind_field->value, kind_path, FindingCode::kUnknownType,
        absl::StrCat("unknown kind ", Quote(kind), " in group ", group, "; known kinds: ",
                     absl::StrJoin(kinds_of_group.begin(), kinds_of_group.end(), ", ")));
    return;
  }
  checker->Report(
      options.allow_unknown_groups ? Finding::Severity::kWarning : Finding::Severity::kError,
      FindingCode::kUnknownGroup, kind_field->value.line, kind_field->value.column, prefix,
      absl::StrCat(options.allow_unknown_groups ? "not validated: " : "", "no CRD schema for ",
                   api_version, " ", kind));
}

void CrdRegistry::Impl::ValidateRoot(Value& object, const std::string& prefix, int document,
                                     const ValidateOptions& options,
                                     ValidationResult* result) const {
  Checker checker(document, &result->findings);
  if (object.kind != Value::Kind::kObject) {
    checker.Error(object, prefix, FindingCode::kNotAnObject,
                  absl::StrCat("expected a Kubernetes object (a mapping with apiVersion and "
                               "kind), got ",
                               Describe(object)));
    return;
  }
  std::string header[2];
  bool header_ok = true;
  const char* const kHeader[2] = {"apiVersion", "kind"};
  for (int i = 0; i < 2; ++i) {
    const Field* f = object.Find(kHeader[i]);
    const std::string path = JoinKey(prefix, kHeader[i]);
    if (f == nullptr || f->value.kind == Value::Kind::kNull) {
      checker.Error(object, path, FindingCode::kNotAnObject, "required field is missing");
      header_ok = false;
    } else if (f->value.kind != Value::Kind::kString || f->value.text.empty()) {
      checker.Error(f->value, path, FindingCode::kNotAnObject,
                    absl::StrCat("expected a non-empty string, got ", Describe(f->value)));
      header_ok = false;
    } else {
      header[i] = f->value.text;
    }
  }
  if (!header_ok) return;
  const std::string& api_version = header[0];
  const std::string& kind = header[1];

  if (api_version == "v1" && kind == "List") {
    Field* items = nullptr;
    for (Field& f : object.fields) {
      if (f.name == "items") items = &f;
    }
    const std::string items_path = JoinKey(prefix, "items");
    if (items == nullptr || items->value.kind == Value::Kind::kNull) return;  // empty list
    if (items->value.kind != Value::Kind::kArray) {
      checker.Error(items->value, items_path, FindingCode::kNotAnObject,
                    absl::StrCat("expected array, got ", Describe(items->value)));
      return;
    }
    for (size_t i = 0; i < items->value.items.size(); ++i) {
      ValidateRoot(items->value.items[i], JoinIndex(items_path, i), document, options, result);
    }
    return;
  }

  auto it = served.find({api_version, kind});
  const bool builtin_config_map = it == served.end() && api_version == "v1" && kind == "ConfigMap";
  if (it == served.end() && !builtin_config_map) {
    ReportUnknownType(object, prefix, api_version, kind, options, &checker);
    return;
  }
  if (builtin_config_map) {
    CheckMetadata(object, prefix, &checker);
    crd::CheckConfigMap(object, prefix, &checker);
    ++result->objects_validated;
    return;
  }
  const Version& version = it->second;
  if (version.deprecated) {
    const Field* f = object.Find("apiVersion");
    checker.Report(Finding::Severity::kWarning, FindingCode::kDeprecatedVersion, f->value.line,
                   f->value.column, JoinKey(prefix, "apiVersion"),
                   version.deprecation_warning.empty()
                       ? absl::StrCat(api_version, " ", kind, " is deprecated")
                       : version.deprecation_warning);
  }
  CheckMetadata(object, prefix, &checker);
  // apiVersion, kind and metadata are implicit in every CRD schema (the API server checks
  // them itself, as above); the schema covers the rest.
  std::vector<Field> rest;
  std::vector<Field> header_fields;
  for (Field& f : object.fields) {
    if (f.name != "apiVersion" && f.name != "kind" && f.name != "metadata") {
      rest.push_back(std::move(f));
    } else {
      header_fields.push_back(std::move(f));
    }
  }
  object.fields = std::move(rest);
  // The API server defaults, checks the OpenAPI schema, then runs the CEL rules; those
  // are skipped when a value has the wrong type or is outside its enum, since rules
  // written for the schema's types would fail on it (apiextensions-apiserver
  // customresource/strategy.go, hasBlockingErr), and it says so.
  crd::ApplyDefaults(*version.schema, object);
  const size_t first = result->findings.size();
  checker.Check(*version.schema, object, prefix, /*structural=*/true);
  ++result->objects_validated;
  for (size_t i = first; i < result->findings.size(); ++i) {
    const Finding& f = result->findings[i];
    if (f.severity == Finding::Severity::kError &&
        (f.code == FindingCode::kWrongType || f.code == FindingCode::kNotInEnum)) {
      checker.Report(Finding::Severity::kWarning, FindingCode::kCelRuleNotRun, object.line,
                     object.column, prefix,
                     "CEL rules not checked: the object has type or enum errors; correct them "
                     "to complete validation (the API server skips them too)");
      return;
    }
  }
  // A root rule sees apiVersion, kind, and metadata's name and generateName.
  for (Field& f : header_fields) {
    if (f.name == "metadata" && f.value.kind == Value::Kind::kObject) {
      std::vector<Field> names;
      for (Field& m : f.value.fields) {
        if (m.name == "name" || m.name == "generateName") names.push_back(std::move(m));
      }
      f.value.fields = std::move(names);
    }
    object.fields.push_back(std::move(f));
  }
  crd::CelRuleRunner(&checker, result).Run(*version.schema, object, prefix);
}

namespace {

void InventoryOf(const Schema& s, const std::string& where, const std::string& path, int depth,
                 CelRuleInventory* out) {
  if (depth > crd::kMaxDepth) return;
  for (const CelRule& rule : s.cel_rules) {
    ++out->rules;
    if (rule.program == nullptr) {
      out->not_runnable.push_back(absl::StrCat(where, " ", path.empty() ? "<root>" : path, ": ",
                                               rule.rule, ": ", rule.not_run));
      continue;
    }
    ++out->runnable;
    if (rule.transition) ++out->transition;
  }
  for (const auto& [name, child] : s.properties) {
    InventoryOf(*child, where, JoinKey(path, name), depth + 1, out);
  }
  if (s.items != nullptr) InventoryOf(*s.items, where, path + "[*]", depth + 1, out);
  if (s.additional_properties != nullptr) {
    InventoryOf(*s.additional_properties, where, path + "[*]", depth + 1, out);
  }
}

}  // namespace

CelRuleInventory CrdRegistry::CelRules() const {
  CelRuleInventory out;
  for (const auto& [key, version] : impl_->served) {
    InventoryOf(*version.schema, absl::StrCat(key.first, " ", key.second), "", 0, &out);
  }
  return out;
}

CrdRegistry::CrdRegistry() : impl_(std::make_unique<Impl>()) {}
CrdRegistry::~CrdRegistry() = default;
CrdRegistry::CrdRegistry(CrdRegistry&&) noexcept = default;
CrdRegistry& CrdRegistry::operator=(CrdRegistry&&) noexcept = default;

absl::StatusOr<CrdRegistry> CrdRegistry::FromFile(const std::string& path) {
  CrdRegistry registry;
  absl::Status status = registry.AddFile(path);
  if (!status.ok()) return status;
  return registry;
}

absl::Status CrdRegistry::AddYaml(absl::string_view text, absl::string_view source_name) {
  absl::StatusOr<std::vector<YAML::Node>> documents =
      ParseYamlStream(text, source_name, kManifestYamlLimits);
  if (!documents.ok()) return documents.status();
  int crds = 0;
  for (size_t i = 0; i < documents->size(); ++i) {
    std::vector<Finding> problems;
    Value document;
    try {
      document = ValueBuilder(static_cast<int>(i), &problems).Build((*documents)[i], "", 0);
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": document ", i, ": cannot read YAML: ", e.what()));
    }
    if (!problems.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ":", problems[0].line, ":",
                                                     problems[0].column, ": ", problems[0].path,
                                                     ": ", problems[0].message));
    }
    if (document.kind == Value::Kind::kNull) continue;
    std::vector<const Value*> candidates;
    if (StringOr(Get(document, "kind"), "") == "List" ||
        StringOr(Get(document, "kind"), "") == "CustomResourceDefinitionList") {
      const Value* items = Get(document, "items");
      if (items != nullptr && items->kind == Value::Kind::kArray) {
        for (const Value& item : items->items) candidates.push_back(&item);
      }
    } else {
      candidates.push_back(&document);
    }
    for (const Value* candidate : candidates) {
      const std::string api_version = StringOr(Get(*candidate, "apiVersion"), "");
      if (StringOr(Get(*candidate, "kind"), "") != "CustomResourceDefinition" ||
          api_version.rfind("apiextensions.k8s.io/", 0) != 0) {
        continue;  // a CRD file may carry other objects; they are not schemas
      }
      absl::Status status = impl_->AddCrd(*candidate, source_name);
      if (!status.ok()) return status;
      ++crds;
    }
  }
  if (crds == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": no CustomResourceDefinition found"));
  }
  return absl::OkStatus();
}

absl::Status CrdRegistry::AddFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileOrStdin(path, std::cin);
  if (!text.ok()) return text.status();
  return AddYaml(*text, path);
}

size_t CrdRegistry::size() const { return impl_->served.size(); }

bool CrdRegistry::Has(absl::string_view api_version, absl::string_view kind) const {
  return impl_->served.count({std::string(api_version), std::string(kind)}) > 0;
}

std::vector<std::string> CrdRegistry::ApiVersionsOf(absl::string_view kind) const {
  std::vector<std::string> out;
  for (const auto& [key, unused] : impl_->served) {
    if (key.second == kind) out.push_back(key.first);
  }
  return out;  // the map is ordered by apiVersion first
}

void CrdRegistry::ValidateObject(const YAML::Node& document, int document_index,
                                 const ValidateOptions& options, ValidationResult* result) const {
  Value object;
  ValueBuilder builder(document_index, &result->findings);
  try {
    object = builder.Build(document, "", 0);
  } catch (const YAML::Exception& e) {
    Finding finding;
    finding.document = document_index;
    finding.message = absl::StrCat("cannot read document: ", e.what());
    finding.code = FindingCode::kUnreadableDocument;
    result->findings.push_back(std::move(finding));
    return;
  }
  if (builder.truncated()) return;
  impl_->ValidateRoot(object, "", document_index, options, result);
}

absl::StatusOr<ValidationResult> CrdRegistry::ValidateYaml(absl::string_view text,
                                                           absl::string_view source_name,
                                                           const ValidateOptions& options,
                                                           const DocumentCheck& extra_check) const {
  absl::StatusOr<std::vector<YAML::Node>> documents =
      ParseYamlStream(text, source_name, kManifestYamlLimits);
  if (!documents.ok()) return documents.status();
  ValidationResult result;
  for (size_t i = 0; i < documents->size(); ++i) {
    const YAML::Node& document = (*documents)[i];
    // Empty documents (a trailing `---`, comments only) are skipped, as kubectl does.
    if (!document.IsDefined() || document.IsNull()) continue;
    ValidateObject(document, static_cast<int>(i), options, &result);
    if (extra_check) extra_check(document, static_cast<int>(i), &result);
  }
  return result;
}

absl::StatusOr<ValidationResult> CrdRegistry::ValidateFile(const std::string& path,
                                                           const ValidateOptions& options) const {
  absl::StatusOr<std::string> text = ReadFileOrStdin(path, std::cin);
  if (!text.ok()) return text.status();
  return ValidateYaml(*text, path, options);
}

}  // namespace edgekit::cli
