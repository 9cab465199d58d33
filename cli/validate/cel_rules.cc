// Running the CRDs' CEL rules (cel_rules.h). Kubernetes' typing of schema values follows
// k8s.io/apiserver/pkg/cel (types.go SchemaDeclType, value.go UnstructuredToVal), and the
// messages its apiextensions validator gives (schema/cel/validation.go): the rule's
// message, or "failed rule: <rule>".
#include "cli/validate/cel_rules.h"

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli/validate/crd_internal.h"

namespace edgekit::cli::crd {
namespace {

// CEL reserved words a property may be named after; Kubernetes writes them `__word__`.
constexpr absl::string_view kReserved[] = {
    "true",     "false", "null",   "in",  "as",   "break",   "const",     "continue", "else", "for",
    "function", "if",    "import", "let", "loop", "package", "namespace", "return",   "var"};

class ArrayData final : public cel::ListData {
 public:
  ArrayData(const Value* v, const Schema* items) : v_(v), items_(items) {}
  size_t size() const override { return v_->items.size(); }
  cel::Value at(size_t i) const override { return ToCel(v_->items[i], items_); }

 private:
  const Value* v_;
  const Schema* items_;
};

class ObjectData final : public cel::MapData {
 public:
  ObjectData(const Value* v, const Schema* s) : v_(v), s_(s) {}
  size_t size() const override { return v_->fields.size(); }
  std::optional<cel::Value> Find(const cel::Value& key) const override {
    if (key.kind() != cel::Value::Kind::kString) return std::nullopt;
    return Field(key.string_value());
  }
  std::optional<cel::Value> Select(absl::string_view field) const override {
    // Only declared properties are escaped; keys of a map (additionalProperties) are not.
    if (s_ != nullptr && !s_->properties.empty()) return Field(UnescapePropertyName(field));
    return Field(field);
  }
  void ForEachKey(const std::function<bool(const cel::Value&)>& fn) const override {
    for (const crd::Field& f : v_->fields) {
      if (!fn(cel::Value::String(f.name))) return;
    }
  }

 private:
  std::optional<cel::Value> Field(absl::string_view name) const {
    const crd::Field* f = v_->Find(name);
    if (f == nullptr) return std::nullopt;
    return ToCel(f->value, s_ == nullptr ? nullptr : ChildSchema(*s_, f->name));
  }

  const Value* v_;
  const Schema* s_;
};

cel::Value StringToCel(const Value& v, const Schema* s) {
  if (s == nullptr) return cel::Value::String(v.text);
  if (s->format == "date-time" || s->format == "date") {
    absl::Time t;
    std::string error;
    const char* layout = s->format == "date" ? "%Y-%m-%d" : absl::RFC3339_full;
    if (!absl::ParseTime(layout, v.text, &t, &error)) {
      return cel::Value::Error(absl::InvalidArgumentError(
          absl::StrCat("cannot parse ", Quote(v.text), " as a ", s->format, ": ", error)));
    }
    return cel::Value::Timestamp(t);
  }
  if (s->format == "duration") {
    absl::Duration d;
    if (!absl::ParseDuration(v.text, &d)) {
      return cel::Value::Error(absl::InvalidArgumentError(
          absl::StrCat("cannot parse ", Quote(v.text), " as a duration")));
    }
    return cel::Value::Duration(d);
  }
  if (s->format == "byte") {
    std::string bytes;
    if (!absl::Base64Unescape(v.text, &bytes)) {
      return cel::Value::Error(absl::InvalidArgumentError("invalid base64"));
    }
    return cel::Value::Bytes(std::move(bytes));
  }
  return cel::Value::String(v.text);
}

}  // namespace

std::string UnescapePropertyName(absl::string_view name) {
  if (name.size() > 4 && absl::StartsWith(name, "__") && absl::EndsWith(name, "__")) {
    const absl::string_view inner = name.substr(2, name.size() - 4);
    for (absl::string_view word : kReserved) {
      if (inner == word) return std::string(word);
    }
  }
  static constexpr std::pair<absl::string_view, absl::string_view> kEscapes[] = {
      {"__underscores__", "__"}, {"__dot__", "."}, {"__dash__", "-"}, {"__slash__", "/"}};
  std::string out;
  for (size_t i = 0; i < name.size();) {
    bool replaced = false;
    for (const auto& [escaped, plain] : kEscapes) {
      if (name.substr(i, escaped.size()) == escaped) {
        out.append(plain.data(), plain.size());
        i += escaped.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push_back(name[i++]);
  }
  return out;
}

void ApplyDefaults(const Schema& s, Value& v, int depth) {
  if (depth > kMaxDepth) return;
  if (v.kind == Value::Kind::kObject) {
    for (const auto& [name, child] : s.properties) {
      if (child->default_value && v.Find(name) == nullptr) {
        v.fields.push_back(crd::Field{name, *child->default_value, 0, 0});
      }
    }
    for (crd::Field& f : v.fields) {
      if (const Schema* child = ChildSchema(s, f.name)) ApplyDefaults(*child, f.value, depth + 1);
    }
  } else if (v.kind == Value::Kind::kArray && s.items != nullptr) {
    for (Value& item : v.items) ApplyDefaults(*s.items, item, depth + 1);
  }
}

cel::Value ToCel(const Value& v, const Schema* s) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return cel::Value::Null();
    case Value::Kind::kBool:
      return cel::Value::Bool(v.boolean);
    case Value::Kind::kInt:
      if (s != nullptr && s->type == "number")
        return cel::Value::Double(static_cast<double>(v.integer));
      return cel::Value::Int(v.integer);
    case Value::Kind::kFloat:
      if (s != nullptr && (s->type == "integer" || s->int_or_string) && IsIntegral(v)) {
        return cel::Value::Int(static_cast<int64_t>(v.number));
      }
      return cel::Value::Double(static_cast<double>(v.number));
    case Value::Kind::kString:
      return StringToCel(v, s);
    case Value::Kind::kArray:
      return cel::Value::List(
          std::make_shared<ArrayData>(&v, s == nullptr ? nullptr : s->items.get()));
    case Value::Kind::kObject:
      return cel::Value::Map(std::make_shared<ObjectData>(&v, s));
  }
  return cel::Value::Null();
}

void CelRuleRunner::Run(const Schema& s, const Value& v, const std::string& path, int depth) {
  if (depth > kMaxDepth || v.kind == Value::Kind::kNull) return;  // nulls are not validated
  if (!s.cel_rules.empty()) {
    const cel::Value self = ToCel(v, &s);
    for (const CelRule& rule : s.cel_rules) RunRule(rule, v, self, path);
  }
  if (v.kind == Value::Kind::kObject) {
    for (const crd::Field& f : v.fields) {
      if (const Schema* child = ChildSchema(s, f.name)) {
        Run(*child, f.value, JoinKey(path, f.name), depth + 1);
      }
    }
  } else if (v.kind == Value::Kind::kArray && s.items != nullptr) {
    for (size_t i = 0; i < v.items.size(); ++i) {
      Run(*s.items, v.items[i], JoinIndex(path, i), depth + 1);
    }
  }
}

void CelRuleRunner::RunRule(const CelRule& rule, const Value& v, const cel::Value& self,
                            const std::string& path) {
  if (rule.transition) {
    ++result_->cel_transition_rules_skipped;
    return;
  }
  std::string where = path;
  if (!rule.field_path.empty()) {
    const absl::string_view relative = absl::StripPrefix(rule.field_path, ".");
    where = where.empty()
                ? std::string(relative)
                : absl::StrCat(where, rule.field_path.front() == '[' ? "" : ".", relative);
  }
  const std::string text(absl::StripAsciiWhitespace(rule.rule));
  if (rule.program == nullptr) {
    ++result_->cel_rules_not_checked;
    if (reported_not_run_.insert(&rule).second) {
      checker_->Report(Finding::Severity::kWarning, FindingCode::kCelRuleNotRun, v.line, v.column,
                       where, absl::StrCat("CEL rule not checked (", rule.not_run, "): ", text));
    }
    return;
  }
  ++result_->cel_rules_run;
  const cel::Value outcome = rule.program->Evaluate(self);
  if (outcome.IsError()) {
    checker_->Error(v, where, FindingCode::kCelRuleError,
                    absl::StrCat(outcome.error().message(), " evaluating rule: ", text));
    return;
  }
  if (outcome.kind() != cel::Value::Kind::kBool) {
    checker_->Error(
        v, where, FindingCode::kCelRuleError,
        absl::StrCat("rule did not evaluate to a bool (got ", outcome.DebugString(), "): ", text));
    return;
  }
  if (outcome.bool_value()) return;
  std::string message = rule.message.empty() ? absl::StrCat("failed rule: ", text) : rule.message;
  if (rule.message_program != nullptr) {
    const cel::Value custom = rule.message_program->Evaluate(self);
    if (custom.kind() == cel::Value::Kind::kString && !custom.string_value().empty()) {
      message = custom.string_value();
    }
  }
  checker_->Error(v, where, FindingCode::kCelRuleFailed, message);
}

}  // namespace edgekit::cli::crd
