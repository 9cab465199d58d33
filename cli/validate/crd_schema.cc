// Reading CRD schemas (crd_schema.h). Keywords are checked for shape as the API server
// checks a CRD before accepting it, so that a malformed schema is an error at load time
// naming its place, rather than a validator that silently checks less than it should.
#include "cli/validate/crd_schema.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/validate/cel/cel.h"
#include "cli/validate/crd_internal.h"
#include "re2/re2.h"

namespace edgekit::cli::crd {
namespace {

bool IsSingleRequired(const Schema& s) { return s.keyword_count == 1 && s.required.size() == 1; }

// {not: {anyOf: [{required: [x]}, ...]}}: "none of x, ... is set". Returns the names.
std::optional<std::set<std::string>> NoneOfRequired(const Schema& s) {
  if (s.keyword_count != 1 || s.not_schema == nullptr) return std::nullopt;
  const Schema& inner = *s.not_schema;
  if (inner.keyword_count != 1 || inner.any_of.empty()) return std::nullopt;
  std::set<std::string> names;
  for (const auto& branch : inner.any_of) {
    if (!IsSingleRequired(*branch)) return std::nullopt;
    names.insert(branch->required[0]);
  }
  return names;
}

void DetectProtoOneof(Schema* s) {
  std::vector<std::string> fields;
  std::optional<std::set<std::string>> none_of;
  for (const auto& branch : s->one_of) {
    if (IsSingleRequired(*branch)) {
      fields.push_back(branch->required[0]);
    } else if (auto names = NoneOfRequired(*branch); names && !none_of) {
      none_of = std::move(names);
    } else {
      return;
    }
  }
  if (fields.empty()) return;
  const std::set<std::string> field_set(fields.begin(), fields.end());
  if (field_set.size() != fields.size()) return;
  // The "none" branch must name exactly the same fields, or the shortcut's semantics
  // (at most one present) would differ from oneOf's.
  if (none_of && *none_of != field_set) return;
  s->oneof_fields = std::move(fields);
  s->oneof_allows_none = none_of.has_value();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Schema>> SchemaParser::Parse(const Value& v, const std::string& path,
                                                            int depth) const {
  if (depth > kMaxDepth) return Error(v, path, "schema nested too deep");
  if (v.kind != Value::Kind::kObject) {
    return Error(v, path, absl::StrCat("expected a schema (a mapping), got ", Describe(v)));
  }
  auto s = std::make_unique<Schema>();
  for (const Field& f : v.fields) {
    const std::string fp = absl::StrCat(path, ".", f.name);
    const Value& x = f.value;
    const std::string& key = f.name;
    if (key == "description" || key == "title" || key == "example" || key == "externalDocs" ||
        key == "x-kubernetes-map-type" || key == "x-kubernetes-list-map-keys-order") {
      continue;  // documentation, or nothing this validator acts on
    }
    if (key == "default") {  // not a constraint: keyword_count is about constraints
      s->default_value = x;
      continue;
    }
    ++s->keyword_count;
    absl::Status status;
    if (key == "type") {
      status = String(x, fp, &s->type);
      if (status.ok() && s->type != "object" && s->type != "array" && s->type != "string" &&
          s->type != "integer" && s->type != "number" && s->type != "boolean") {
        status = Error(x, fp, absl::StrCat("unsupported type ", Quote(s->type)));
      }
    } else if (key == "format") {
      status = String(x, fp, &s->format);
    } else if (key == "nullable") {
      status = Bool(x, fp, &s->nullable);
    } else if (key == "x-kubernetes-int-or-string") {
      status = Bool(x, fp, &s->int_or_string);
    } else if (key == "x-kubernetes-preserve-unknown-fields") {
      status = Bool(x, fp, &s->preserve_unknown_fields);
    } else if (key == "x-kubernetes-embedded-resource") {
      status = Bool(x, fp, &s->embedded_resource);
    } else if (key == "properties") {
      if (x.kind != Value::Kind::kObject) {
        status = Error(x, fp, absl::StrCat("expected a mapping, got ", Describe(x)));
      }
      for (const Field& p : x.fields) {
        if (!status.ok()) break;
        absl::StatusOr<std::unique_ptr<Schema>> child =
            Parse(p.value, absl::StrCat(fp, ".", p.name), depth + 1);
        if (!child.ok()) return child.status();
        s->properties[p.name] = *std::move(child);
      }
    } else if (key == "items") {
      if (x.kind == Value::Kind::kArray) {
        status = Error(x, fp, "tuple `items` (a list of schemas) is not structural");
      } else {
        status = Child(x, fp, depth, &s->items);
      }
    } else if (key == "additionalProperties") {
      if (x.kind == Value::Kind::kBool) {
        s->additional_properties_allowed = x.boolean;
      } else {
        status = Child(x, fp, depth, &s->additional_properties);
      }
    } else if (key == "required" || key == "x-kubernetes-list-map-keys") {
      status = Strings(x, fp, key == "required" ? &s->required : &s->list_map_keys);
    } else if (key == "enum") {
      if (x.kind != Value::Kind::kArray) {
        status = Error(x, fp, absl::StrCat("expected a list, got ", Describe(x)));
      } else {
        s->has_enum = true;
        s->enum_values = x.items;
      }
    } else if (key == "minimum" || key == "maximum" || key == "multipleOf") {
      if (!x.IsNumber()) {
        status = Error(x, fp, absl::StrCat("expected a number, got ", Describe(x)));
      } else if (key == "minimum") {
        s->minimum = x.number;
      } else if (key == "maximum") {
        s->maximum = x.number;
      } else {
        s->multiple_of = x.number;
      }
    } else if (key == "exclusiveMinimum") {
      status = Bool(x, fp, &s->exclusive_minimum);
    } else if (key == "exclusiveMaximum") {
      status = Bool(x, fp, &s->exclusive_maximum);
    } else if (key == "minLength") {
      status = Count(x, fp, &s->min_length);
    } else if (key == "maxLength") {
      status = Count(x, fp, &s->max_length);
    } else if (key == "minItems") {
      status = Count(x, fp, &s->min_items);
    } else if (key == "maxItems") {
      status = Count(x, fp, &s->max_items);
    } else if (key == "minProperties") {
      status = Count(x, fp, &s->min_properties);
    } else if (key == "maxProperties") {
      status = Count(x, fp, &s->max_properties);
    } else if (key == "uniqueItems") {
      status = Bool(x, fp, &s->unique_items);
    } else if (key == "pattern") {
      status = String(x, fp, &s->pattern);
      if (status.ok()) {
        // Kubernetes evaluates `pattern` with Go's regexp, whose syntax is RE2's.
        RE2::Options options;
        options.set_log_errors(false);
        s->pattern_re = std::make_unique<RE2>(s->pattern, options);
        if (!s->pattern_re->ok()) {
          status = Error(x, fp,
                         absl::StrCat("invalid regular expression ", Quote(s->pattern), ": ",
                                      s->pattern_re->error()));
        }
      }
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
      auto* list = key == "allOf" ? &s->all_of : key == "anyOf" ? &s->any_of : &s->one_of;
      if (x.kind != Value::Kind::kArray) {
        status = Error(x, fp, absl::StrCat("expected a list of schemas, got ", Describe(x)));
      }
      for (size_t i = 0; status.ok() && i < x.items.size(); ++i) {
        absl::StatusOr<std::unique_ptr<Schema>> child =
            Parse(x.items[i], JoinIndex(fp, i), depth + 1);
        if (!child.ok()) return child.status();
        list->push_back(*std::move(child));
      }
    } else if (key == "not") {
      status = Child(x, fp, depth, &s->not_schema);
    } else if (key == "x-kubernetes-list-type") {
      status = String(x, fp, &s->list_type);
    } else if (key == "x-kubernetes-validations") {
      status = Rules(x, fp, &s->cel_rules);
    } else {
      --s->keyword_count;  // a keyword this validator does not act on
    }
    if (!status.ok()) return status;
  }
  if (!s->one_of.empty()) DetectProtoOneof(s.get());
  return s;
}

absl::Status SchemaParser::Error(const Value& at, const std::string& path,
                                 absl::string_view what) const {
  return absl::InvalidArgumentError(
      absl::StrCat(source_, ":", at.line, ":", at.column, ": ", context_, path, ": ", what));
}

absl::Status SchemaParser::String(const Value& x, const std::string& path, std::string* out) const {
  if (x.kind != Value::Kind::kString) {
    return Error(x, path, absl::StrCat("expected a string, got ", Describe(x)));
  }
  *out = x.text;
  return absl::OkStatus();
}

absl::Status SchemaParser::Bool(const Value& x, const std::string& path, bool* out) const {
  if (x.kind != Value::Kind::kBool) {
    return Error(x, path, absl::StrCat("expected a boolean, got ", Describe(x)));
  }
  *out = x.boolean;
  return absl::OkStatus();
}

absl::Status SchemaParser::Count(const Value& x, const std::string& path,
                                 std::optional<int64_t>* out) const {
  if (x.kind != Value::Kind::kInt || x.integer < 0) {
    return Error(x, path, absl::StrCat("expected a non-negative integer, got ", Describe(x)));
  }
  *out = x.integer;
  return absl::OkStatus();
}

absl::Status SchemaParser::Strings(const Value& x, const std::string& path,
                                   std::vector<std::string>* out) const {
  if (x.kind != Value::Kind::kArray) {
    return Error(x, path, absl::StrCat("expected a list of strings, got ", Describe(x)));
  }
  for (size_t i = 0; i < x.items.size(); ++i) {
    std::string s;
    absl::Status status = String(x.items[i], JoinIndex(path, i), &s);
    if (!status.ok()) return status;
    out->push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status SchemaParser::Rules(const Value& x, const std::string& path,
                                 std::vector<CelRule>* out) const {
  if (x.kind != Value::Kind::kArray) {
    return Error(x, path, absl::StrCat("expected a list of rules, got ", Describe(x)));
  }
  for (size_t i = 0; i < x.items.size(); ++i) {
    const Value& item = x.items[i];
    const std::string item_path = JoinIndex(path, i);
    if (item.kind != Value::Kind::kObject) {
      return Error(item, item_path,
                   absl::StrCat("expected a rule (a mapping), got ", Describe(item)));
    }
    CelRule rule;
    for (const Field& f : item.fields) {
      const std::string fp = absl::StrCat(item_path, ".", f.name);
      absl::Status status;
      if (f.name == "rule") {
        status = String(f.value, fp, &rule.rule);
      } else if (f.name == "message") {
        status = String(f.value, fp, &rule.message);
      } else if (f.name == "messageExpression") {
        status = String(f.value, fp, &rule.message_expression);
      } else if (f.name == "fieldPath") {
        status = String(f.value, fp, &rule.field_path);
      }  // reason, optionalOldSelf: nothing an offline check on create acts on
      if (!status.ok()) return status;
    }
    if (rule.rule.empty()) return Error(item, item_path, "a rule needs `rule`");
    absl::StatusOr<std::unique_ptr<cel::Program>> program = cel::Program::Compile(rule.rule);
    if (program.ok()) {
      rule.transition = (*program)->uses_old_self();
      rule.program = *std::move(program);
    } else {
      rule.not_run = std::string(program.status().message());
    }
    if (!rule.message_expression.empty()) {
      absl::StatusOr<std::unique_ptr<cel::Program>> message =
          cel::Program::Compile(rule.message_expression);
      if (message.ok()) rule.message_program = *std::move(message);
    }
    out->push_back(std::move(rule));
  }
  return absl::OkStatus();
}

absl::Status SchemaParser::Child(const Value& x, const std::string& path, int depth,
                                 std::unique_ptr<Schema>* out) const {
  absl::StatusOr<std::unique_ptr<Schema>> child = Parse(x, path, depth + 1);
  if (!child.ok()) return child.status();
  *out = *std::move(child);
  return absl::OkStatus();
}

}  // namespace edgekit::cli::crd
