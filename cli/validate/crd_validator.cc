// CRD OpenAPI v3 structural validation (see crd_validator.h).
//
// Pipeline, mirroring the API server's: YAML -> a JSON-like value tree with YAML 1.1
// scalar typing (what kubectl's YAML decoder does, so an unquoted `on` is a boolean) ->
// per object: drop nulls of non-nullable fields (the server prunes them) -> check the
// value against the schema. yaml-cpp is touched only while building value trees, and its
// exceptions are caught there.
#include "cli/validate/crd_validator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/file_io.h"
#include "common/syntax.h"
#include "common/yaml_stream.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

// YAML aliases can build cyclic or exponentially large graphs; these caps turn both into a
// finding instead of a stack overflow or an endless walk. Real manifests and CRDs are a
// few dozen levels deep and far below the node budget.
constexpr int kMaxDepth = 100;
constexpr int64_t kMaxNodes = 500'000;

// Values echoed in messages are cut so one bad multi-kilobyte scalar cannot flood a log.
constexpr size_t kMaxQuotedChars = 64;

// The API server's limit on the total size of an object's annotations.
constexpr size_t kMaxAnnotationBytes = 256 * 1024;

// UTF-8 stays readable; control characters and quotes are escaped.
std::string Quote(absl::string_view text) {
  if (text.size() > kMaxQuotedChars) {
    size_t cut = kMaxQuotedChars;  // back to a character boundary, not mid-sequence
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return absl::StrCat("\"", absl::Utf8SafeCHexEscape(text.substr(0, cut)), "...\"");
  }
  return absl::StrCat("\"", absl::Utf8SafeCHexEscape(text), "\"");
}

// ---------------------------------------------------------------------------------------
// Values: a YAML document as the JSON the API server would receive.

struct Field;

struct Value {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;        // kInt
  long double number = 0;     // kInt and kFloat (long double holds every int64 exactly)
  std::string text;           // kString: the string; other scalars: their source text
  bool plain = false;         // an unquoted scalar, for "quote it" hints
  std::vector<Value> items;   // kArray
  std::vector<Field> fields;  // kObject, in document order
  int line = 0;               // 1-based; 0 if unknown
  int column = 0;

  const Field* Find(absl::string_view name) const;
  bool IsNumber() const { return kind == Kind::kInt || kind == Kind::kFloat; }
};

struct Field {
  std::string name;
  Value value;
  int line = 0;  // of the key
  int column = 0;
};

const Field* Value::Find(absl::string_view name) const {
  for (const Field& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

// JSON numbers above 2^53 lose integer precision; Kubernetes (go-openapi's
// IsFloat64AJSONInteger) accepts a float as an integer only within this range.
constexpr long double kMaxJsonInteger = 9007199254740992.0L;

bool IsIntegral(const Value& v) {
  if (v.kind == Value::Kind::kInt) return true;
  return v.kind == Value::Kind::kFloat && std::isfinite(v.number) &&
         std::floor(v.number) == v.number && std::fabs(v.number) <= kMaxJsonInteger;
}

// "string \"foo\"", "integer 42", for "expected X, got Y".
std::string Describe(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return absl::StrCat("boolean ", v.boolean ? "true" : "false");
    case Value::Kind::kInt:
      return absl::StrCat("integer ", v.text);
    case Value::Kind::kFloat:
      return absl::StrCat("number ", v.text);
    case Value::Kind::kString:
      return absl::StrCat("string ", Quote(v.text));
    case Value::Kind::kArray:
      return "array";
    case Value::Kind::kObject:
      return "object";
  }
  return "unknown";
}

// The value as it would be written in YAML, for enum lists and duplicates.
std::string Literal(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return v.boolean ? "true" : "false";
    case Value::Kind::kInt:
    case Value::Kind::kFloat:
      return v.text;
    case Value::Kind::kString:
      return Quote(v.text);
    case Value::Kind::kArray:
      return "[...]";
    case Value::Kind::kObject:
      return "{...}";
  }
  return "?";
}

bool Equal(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return a.number == b.number;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return a.boolean == b.boolean;
    case Value::Kind::kString:
      return a.text == b.text;
    case Value::Kind::kArray:
      if (a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (!Equal(a.items[i], b.items[i])) return false;
      }
      return true;
    case Value::Kind::kObject:
      if (a.fields.size() != b.fields.size()) return false;
      for (const Field& field : a.fields) {
        const Field* other = b.Find(field.name);
        if (other == nullptr || !Equal(field.value, other->value)) return false;
      }
      return true;
    default:
      return false;
  }
}

// --- YAML 1.1 scalar typing, as kubectl's decoder (go-yaml v2) resolves plain scalars.

bool IsYamlNull(absl::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> YamlBool(absl::string_view s) {
  static constexpr absl::string_view kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                "True", "TRUE", "on",  "On",  "ON"};
  static constexpr absl::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                 "False", "FALSE", "off", "Off", "OFF"};
  for (absl::string_view t : kTrue) {
    if (s == t) return true;
  }
  for (absl::string_view f : kFalse) {
    if (s == f) return false;
  }
  return std::nullopt;
}

// Go's strconv.ParseInt(s, 0, 64) after removing '_': sign, then 0x / 0o / 0b / leading-0
// octal / decimal. Returns false if not an integer or out of int64 range.
bool ParseYamlInt(absl::string_view s, int64_t* out) {
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  absl::string_view rest = digits;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  int base = 10;
  if (rest.size() > 1 && rest[0] == '0') {
    const char p = absl::ascii_tolower(rest[1]);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : (p == 'o' ? 8 : 2);
      rest.remove_prefix(2);
    } else {
      base = 8;
      rest.remove_prefix(1);
    }
  }
  if (rest.empty()) return false;
  uint64_t magnitude = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX};
  for (char c : rest) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    if (magnitude > (limit - d) / base) return false;
    magnitude = magnitude * base + d;
  }
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

// go-yaml v2's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool LooksLikeYamlFloat(absl::string_view s) {
  size_t i = 0;
  auto digits = [&]() {
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

void SetString(Value* v, std::string text) {
  v->kind = Value::Kind::kString;
  v->text = std::move(text);
}

// Types a plain (unquoted, untagged) scalar.
void ResolvePlain(const std::string& text, Value* v) {
  v->text = text;
  v->plain = true;
  if (IsYamlNull(text)) {
    v->kind = Value::Kind::kNull;
    return;
  }
  if (std::optional<bool> b = YamlBool(text)) {
    v->kind = Value::Kind::kBool;
    v->boolean = *b;
    return;
  }
  for (absl::string_view inf : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (text == inf) {
      v->kind = Value::Kind::kFloat;
      v->number = std::numeric_limits<long double>::infinity();
      return;
    }
  }
  for (absl::string_view inf : {"-.inf", "-.Inf", "-.INF"}) {
    if (text == inf) {
      v->kind = Value::Kind::kFloat;
      v->number = -std::numeric_limits<long double>::infinity();
      return;
    }
  }
  for (absl::string_view nan : {".nan", ".NaN", ".NAN"}) {
    if (text == nan) {
      v->kind = Value::Kind::kFloat;
      v->number = std::numeric_limits<long double>::quiet_NaN();
      return;
    }
  }
  int64_t integer = 0;
  if (ParseYamlInt(text, &integer)) {
    v->kind = Value::Kind::kInt;
    v->integer = integer;
    v->number = static_cast<long double>(integer);
    return;
  }
  std::string without_underscores;
  for (char c : text) {
    if (c != '_') without_underscores.push_back(c);
  }
  // Integers beyond int64 land here too: JSON carries them as floats, as Kubernetes sees
  // them.
  double d = 0;
  if (LooksLikeYamlFloat(without_underscores) && absl::SimpleAtod(without_underscores, &d)) {
    v->kind = Value::Kind::kFloat;
    v->number = d;
    return;
  }
  v->kind = Value::Kind::kString;
}

// "a.b", or `a["x.y"]` when the key would be ambiguous dotted.
std::string JoinKey(const std::string& path, absl::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      plain = false;
      break;
    }
  }
  if (!plain) return absl::StrCat(path, "[\"", absl::Utf8SafeCHexEscape(key), "\"]");
  if (path.empty()) return std::string(key);
  return absl::StrCat(path, ".", key);
}

std::string JoinIndex(const std::string& path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

// Builds value trees from yaml-cpp nodes. Problems that belong to the document (duplicate
// keys, non-scalar keys, nesting too deep) become findings.
class ValueBuilder {
 public:
  ValueBuilder(int document, std::vector<Finding>* findings)
      : document_(document), findings_(findings) {}

  // True once a depth or size cap cut the tree short: the value is then incomplete and
  // checking it against a schema would only add noise.
  bool truncated() const { return truncated_; }

  // Throws YAML::Exception only on yaml-cpp internal errors; callers catch.
  Value Build(const YAML::Node& node, const std::string& path, int depth) {
    Value v;
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) {
      v.line = mark.line + 1;
      v.column = mark.column + 1;
    }
    if (++nodes_ > kMaxNodes) {
      truncated_ = true;
      if (nodes_ == kMaxNodes + 1) {
        Report(v.line, v.column, path,
               absl::StrCat("document has more than ", kMaxNodes,
                            " values (YAML aliases expanding?); the rest is not checked"));
      }
      return v;
    }
    if (depth > kMaxDepth) {
      truncated_ = true;
      Report(v.line, v.column, path,
             absl::StrCat("nested more than ", kMaxDepth, " levels deep; not checked"));
      return v;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        v.kind = Value::Kind::kNull;
        v.text = "null";
        break;
      case YAML::NodeType::Scalar:
        BuildScalar(node, &v);
        break;
      case YAML::NodeType::Sequence: {
        v.kind = Value::Kind::kArray;
        size_t i = 0;
        for (const YAML::Node& item : node) {
          v.items.push_back(Build(item, absl::StrCat(path, "[", i, "]"), depth + 1));
          ++i;
        }
        break;
      }
      case YAML::NodeType::Map: {
        v.kind = Value::Kind::kObject;
        std::set<std::string> seen;
        for (const auto& entry : node) {
          const YAML::Node& key = entry.first;
          Field field;
          const YAML::Mark key_mark = key.Mark();
          if (!key_mark.is_null()) {
            field.line = key_mark.line + 1;
            field.column = key_mark.column + 1;
          }
          if (key.IsNull()) {
            field.name = "null";
          } else if (key.IsScalar()) {
            field.name = key.Scalar();
          } else {
            Report(field.line, field.column, path,
                   "mapping keys must be scalars (JSON objects have string keys)");
            continue;
          }
          std::string field_path = JoinKey(path, field.name);
          if (!seen.insert(field.name).second) {
            // kubectl's default strict field validation rejects these;
            // the first occurrence is the one checked.
            Report(field.line, field.column, field_path,
                   absl::StrCat("duplicate field ", Quote(field.name)));
            continue;
          }
          field.value = Build(entry.second, field_path, depth + 1);
          v.fields.push_back(std::move(field));
        }
        break;
      }
    }
    return v;
  }

 private:
  static void BuildScalar(const YAML::Node& node, Value* v) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    // yaml-cpp tags quoted and block scalars "!" and plain ones "?".
    if (tag == "?" || tag.empty()) {
      ResolvePlain(text, v);
      return;
    }
    static constexpr absl::string_view kCore = "tag:yaml.org,2002:";
    if (absl::string_view(tag).substr(0, kCore.size()) == kCore) {
      const absl::string_view type = absl::string_view(tag).substr(kCore.size());
      if (type == "int" || type == "float" || type == "bool" || type == "null") {
        ResolvePlain(text, v);
        v->plain = false;
        return;
      }
    }
    SetString(v, text);
  }

  void Report(int line, int column, const std::string& path, std::string message) {
    Finding finding;
    finding.document = document_;
    finding.path = path;
    finding.message = std::move(message);
    finding.line = line;
    finding.column = column;
    findings_->push_back(std::move(finding));
  }

  int document_;
  std::vector<Finding>* findings_;
  int64_t nodes_ = 0;
  bool truncated_ = false;
};

// ---------------------------------------------------------------------------------------
// Schemas.

struct Schema {
  std::string type;  // "" = any
  std::string format;
  bool nullable = false;
  bool int_or_string = false;
  bool preserve_unknown_fields = false;
  bool embedded_resource = false;
  std::map<std::string, std::unique_ptr<Schema>> properties;
  std::unique_ptr<Schema> items;
  std::unique_ptr<Schema> additional_properties;
  bool additional_properties_allowed = false;  // `additionalProperties: true`
  std::vector<std::string> required;
  bool has_enum = false;
  std::vector<Value> enum_values;
  std::optional<long double> minimum;
  std::optional<long double> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  std::optional<long double> multiple_of;
  std::optional<int64_t> min_length;
  std::optional<int64_t> max_length;
  std::optional<int64_t> min_items;
  std::optional<int64_t> max_items;
  std::optional<int64_t> min_properties;
  std::optional<int64_t> max_properties;
  bool unique_items = false;
  std::string pattern;
  std::unique_ptr<RE2> pattern_re;
  std::vector<std::unique_ptr<Schema>> all_of;
  std::vector<std::unique_ptr<Schema>> any_of;
  std::vector<std::unique_ptr<Schema>> one_of;
  std::unique_ptr<Schema> not_schema;
  std::string list_type;
  std::vector<std::string> list_map_keys;
  int cel_rules = 0;

  // Keywords other than documentation ones; shapes below are recognised by it.
  int keyword_count = 0;
  // Istio expresses each proto oneof as
  //   oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}}, {required: [a]},
  //           {required: [b]}]
  // i.e. "at most one of a, b". When oneOf has that shape these hold its field names, so
  // a violation can say which fields clash instead of "matched 2 schemas".
  std::vector<std::string> oneof_fields;
  bool oneof_allows_none = false;
};

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

// Reads schemas out of CRD value trees. Errors name the CRD, the schema path and the
// source position.
class SchemaParser {
 public:
  SchemaParser(absl::string_view source, std::string context)
      : source_(source), context_(std::move(context)) {}

  absl::StatusOr<std::unique_ptr<Schema>> Parse(const Value& v, const std::string& path,
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
          key == "default" || key == "x-kubernetes-map-type" ||
          key == "x-kubernetes-list-map-keys-order") {
        continue;  // documentation, or nothing this validator acts on
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
        if (x.kind != Value::Kind::kArray) {
          status = Error(x, fp, absl::StrCat("expected a list of rules, got ", Describe(x)));
        } else {
          s->cel_rules = static_cast<int>(x.items.size());
        }
      } else {
        --s->keyword_count;  // a keyword this validator does not act on
      }
      if (!status.ok()) return status;
    }
    if (!s->one_of.empty()) DetectProtoOneof(s.get());
    return s;
  }

 private:
  absl::Status Error(const Value& at, const std::string& path, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", at.line, ":", at.column, ": ", context_, path, ": ", what));
  }
  absl::Status String(const Value& x, const std::string& path, std::string* out) const {
    if (x.kind != Value::Kind::kString) {
      return Error(x, path, absl::StrCat("expected a string, got ", Describe(x)));
    }
    *out = x.text;
    return absl::OkStatus();
  }
  absl::Status Bool(const Value& x, const std::string& path, bool* out) const {
    if (x.kind != Value::Kind::kBool) {
      return Error(x, path, absl::StrCat("expected a boolean, got ", Describe(x)));
    }
    *out = x.boolean;
    return absl::OkStatus();
  }
  absl::Status Count(const Value& x, const std::string& path, std::optional<int64_t>* out) const {
    if (x.kind != Value::Kind::kInt || x.integer < 0) {
      return Error(x, path, absl::StrCat("expected a non-negative integer, got ", Describe(x)));
    }
    *out = x.integer;
    return absl::OkStatus();
  }
  absl::Status Strings(const Value& x, const std::string& path,
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
  absl::Status Child(const Value& x, const std::string& path, int depth,
                     std::unique_ptr<Schema>* out) const {
    absl::StatusOr<std::unique_ptr<Schema>> child = Parse(x, path, depth + 1);
    if (!child.ok()) return child.status();
    *out = *std::move(child);
    return absl::OkStatus();
  }

  std::string source_;
  std::string context_;
};

// ---------------------------------------------------------------------------------------
// Checking values against schemas.

// Debian's Abseil has its own string_view type, which RE2's StringPiece does not take.
re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

// Number of Unicode code points: Kubernetes measures minLength/maxLength in runes.
int64_t Utf8Length(absl::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string FormatBound(long double x) {
  if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 1e18L) {
    return absl::StrCat(static_cast<int64_t>(x));
  }
  return absl::StrFormat("%.17g", static_cast<double>(x));
}

// Standard, padded base64: what Go's encoding/base64.StdEncoding (format "byte") accepts.
bool IsBase64(absl::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t padding = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=') {
      ++padding;
      if (i + 2 < s.size()) return false;  // '=' only in the last two positions
      continue;
    }
    if (padding > 0) return false;
    if (!absl::ascii_isalnum(c) && c != '+' && c != '/') return false;
  }
  return padding <= 2;
}

bool IsDateTime(absl::string_view s) {
  static const LazyRE2 kDateTime = {
      R"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))"};
  return RE2::FullMatch(Piece(s), *kDateTime);
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "a, b and c"
std::string EnglishList(const std::vector<std::string>& names) {
  if (names.size() <= 1) return absl::StrJoin(names, "");
  return absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "), " and ", names.back());
}

class Checker {
 public:
  // `findings` null = quiet: stop at the first problem and only remember that there was
  // one (for oneOf/anyOf/not alternatives). `cel_rules` null = do not count.
  Checker(int document, std::vector<Finding>* findings, int* cel_rules)
      : document_(document), findings_(findings), cel_rules_(cel_rules) {}

  bool failed() const { return failed_; }

  // Checks `v` against `s`. `structural` is true on the schema's own tree (where unknown
  // fields are rejected and non-nullable nulls pruned, as the API server does) and false
  // inside allOf/anyOf/oneOf/not alternatives, which only add constraints.
  void Check(const Schema& s, Value& v, const std::string& path, bool structural) {
    if (Stopped()) return;
    if (structural && cel_rules_ != nullptr) *cel_rules_ += s.cel_rules;
    if (v.kind == Value::Kind::kNull) {
      if (s.nullable || (s.type.empty() && !s.int_or_string)) return;
      Error(v, path, absl::StrCat("expected ", Expected(s), ", got null"));
      return;
    }
    if (!TypeMatches(s, v)) {
      std::string message = absl::StrCat("expected ", Expected(s), ", got ", Describe(v));
      if (v.plain && (s.type == "string" || s.int_or_string) && v.kind != Value::Kind::kArray &&
          v.kind != Value::Kind::kObject) {
        absl::StrAppend(&message, " (quote it to make it a string)");
      } else if (v.kind == Value::Kind::kFloat && s.type == "integer" && std::isfinite(v.number) &&
                 std::floor(v.number) == v.number) {
        absl::StrAppend(&message, " (too large for an integer in JSON)");
      }
      Error(v, path, message);
      return;
    }
    if (v.kind == Value::Kind::kFloat && !std::isfinite(v.number)) {
      Error(v, path, absl::StrCat(v.text, " cannot be represented in JSON"));
      return;
    }
    switch (v.kind) {
      case Value::Kind::kString:
        CheckString(s, v, path);
        break;
      case Value::Kind::kInt:
      case Value::Kind::kFloat:
        CheckNumber(s, v, path);
        break;
      case Value::Kind::kArray:
        CheckArray(s, v, path, structural);
        break;
      case Value::Kind::kObject:
        CheckObject(s, v, path, structural);
        break;
      default:
        break;
    }
    if (s.has_enum && !Stopped()) CheckEnum(s, v, path);
    CheckAlternatives(s, v, path);
  }

  void Error(const Value& at, const std::string& path, std::string message) {
    Report(Finding::Severity::kError, at.line, at.column, path, std::move(message));
  }
  void Report(Finding::Severity severity, int line, int column, const std::string& path,
              std::string message) {
    if (severity == Finding::Severity::kError) failed_ = true;
    if (findings_ == nullptr) return;
    Finding finding;
    finding.document = document_;
    finding.path = path;
    finding.message = std::move(message);
    finding.severity = severity;
    finding.line = line;
    finding.column = column;
    findings_->push_back(std::move(finding));
  }

 private:
  bool Stopped() const { return findings_ == nullptr && failed_; }

  static std::string Expected(const Schema& s) {
    if (s.int_or_string) return "integer or string";
    return s.type.empty() ? "a value" : s.type;
  }

  static bool TypeMatches(const Schema& s, const Value& v) {
    if (s.int_or_string) return v.kind == Value::Kind::kString || IsIntegral(v);
    if (s.type.empty()) return true;
    if (s.type == "object") return v.kind == Value::Kind::kObject;
    if (s.type == "array") return v.kind == Value::Kind::kArray;
    if (s.type == "string") return v.kind == Value::Kind::kString;
    if (s.type == "boolean") return v.kind == Value::Kind::kBool;
    if (s.type == "integer") return IsIntegral(v);
    if (s.type == "number") return v.IsNumber();
    return false;
  }

  void CheckString(const Schema& s, const Value& v, const std::string& path) {
    if (s.min_length || s.max_length) {
      const int64_t length = Utf8Length(v.text);
      if (s.min_length && length < *s.min_length) {
        Error(v, path,
              absl::StrCat("must be at least ", *s.min_length, " characters long, got ", length));
      }
      if (s.max_length && length > *s.max_length) {
        Error(v, path,
              absl::StrCat("must be at most ", *s.max_length, " characters long, got ", length));
      }
    }
    // Go's MatchString is unanchored, as RE2::PartialMatch is.
    if (s.pattern_re != nullptr && !RE2::PartialMatch(Piece(v.text), *s.pattern_re)) {
      Error(v, path, absl::StrCat(Quote(v.text), " does not match the pattern ", Quote(s.pattern)));
    }
    if (s.format == "byte" && !IsBase64(v.text)) {
      Error(v, path, "must be standard base64 with padding (format byte)");
    } else if (s.format == "date-time" && !IsDateTime(v.text)) {
      Error(v, path,
            absl::StrCat("must be an RFC 3339 date-time (format date-time), got ", Quote(v.text)));
    }
  }

  void CheckNumber(const Schema& s, const Value& v, const std::string& path) {
    if (s.format == "int32" || s.format == "int64") {
      const bool is32 = s.format == "int32";
      const long double lo = is32 ? INT32_MIN : static_cast<long double>(INT64_MIN);
      const long double hi = is32 ? INT32_MAX : static_cast<long double>(INT64_MAX);
      if (v.number < lo || v.number > hi) {
        Error(v, path,
              absl::StrCat(v.text, " is out of range for format ", s.format, " [", FormatBound(lo),
                           ", ", FormatBound(hi), "]"));
        return;
      }
    } else if (s.format == "float" && std::fabs(v.number) > std::numeric_limits<float>::max()) {
      Error(v, path, absl::StrCat(v.text, " is out of range for format float"));
      return;
    }
    if (s.minimum) {
      const bool below = s.exclusive_minimum ? v.number <= *s.minimum : v.number < *s.minimum;
      if (below) {
        Error(v, path,
              absl::StrCat("must be ", s.exclusive_minimum ? ">" : ">=", " ",
                           FormatBound(*s.minimum), ", got ", v.text));
      }
    }
    if (s.maximum) {
      const bool above = s.exclusive_maximum ? v.number >= *s.maximum : v.number > *s.maximum;
      if (above) {
        Error(v, path,
              absl::StrCat("must be ", s.exclusive_maximum ? "<" : "<=", " ",
                           FormatBound(*s.maximum), ", got ", v.text));
      }
    }
    if (s.multiple_of && *s.multiple_of > 0) {
      const long double quotient = v.number / *s.multiple_of;
      if (std::floor(quotient) != quotient) {
        Error(
            v, path,
            absl::StrCat("must be a multiple of ", FormatBound(*s.multiple_of), ", got ", v.text));
      }
    }
  }

  void CheckArray(const Schema& s, Value& v, const std::string& path, bool structural) {
    const int64_t n = static_cast<int64_t>(v.items.size());
    if (s.min_items && n < *s.min_items) {
      Error(v, path, absl::StrCat("must have at least ", *s.min_items, " item(s), got ", n));
    }
    if (s.max_items && n > *s.max_items) {
      Error(v, path, absl::StrCat("must have at most ", *s.max_items, " items, got ", n));
    }
    if (s.items != nullptr) {
      for (size_t i = 0; i < v.items.size() && !Stopped(); ++i) {
        Check(*s.items, v.items[i], JoinIndex(path, i), structural);
      }
    }
    if (s.list_type == "set" || s.unique_items) {
      for (size_t j = 1; j < v.items.size() && !Stopped(); ++j) {
        for (size_t i = 0; i < j; ++i) {
          if (Equal(v.items[i], v.items[j])) {
            Error(v.items[j], JoinIndex(path, j),
                  absl::StrCat("duplicate value ", Literal(v.items[j]), " (same as item ", i,
                               "; the list is a set)"));
            break;
          }
        }
      }
    } else if (s.list_type == "map" && !s.list_map_keys.empty()) {
      CheckListMapKeys(s, v, path);
    }
  }

  // x-kubernetes-list-type: map — items are identified by their key fields, which must be
  // unique across the list (the API server rejects duplicates).
  void CheckListMapKeys(const Schema& s, const Value& v, const std::string& path) {
    std::vector<std::pair<std::vector<const Value*>, size_t>> seen;
    for (size_t j = 0; j < v.items.size() && !Stopped(); ++j) {
      const Value& item = v.items[j];
      if (item.kind != Value::Kind::kObject) continue;
      std::vector<const Value*> key;
      for (const std::string& name : s.list_map_keys) {
        const Field* f = item.Find(name);
        key.push_back(f == nullptr ? nullptr : &f->value);
      }
      for (const auto& [other, i] : seen) {
        bool same = true;
        for (size_t k = 0; k < key.size() && same; ++k) {
          same = (key[k] == nullptr && other[k] == nullptr) ||
                 (key[k] != nullptr && other[k] != nullptr && Equal(*key[k], *other[k]));
        }
        if (same) {
          std::vector<std::string> parts;
          for (size_t k = 0; k < key.size(); ++k) {
            parts.push_back(absl::StrCat(s.list_map_keys[k], " ",
                                         key[k] == nullptr ? "unset" : Literal(*key[k])));
          }
          Error(item, JoinIndex(path, j),
                absl::StrCat("duplicate entry with ", absl::StrJoin(parts, ", "), " (same as item ",
                             i, "; entries are keyed by ", absl::StrJoin(s.list_map_keys, ", "),
                             ")"));
          break;
        }
      }
      seen.emplace_back(std::move(key), j);
    }
  }

  static const Schema* FieldSchema(const Schema& s, const std::string& name) {
    auto it = s.properties.find(name);
    if (it != s.properties.end()) return it->second.get();
    return s.additional_properties.get();
  }

  static bool IsEmbeddedObjectKey(absl::string_view name) {
    return name == "apiVersion" || name == "kind" || name == "metadata";
  }

  void CheckObject(const Schema& s, Value& v, const std::string& path, bool structural) {
    if (structural) {
      // The API server prunes nulls of non-nullable fields before validating, so such a
      // field is simply absent (which matters for `required` and oneOf). Worth a warning:
      // the author probably meant something.
      std::vector<Field> kept;
      kept.reserve(v.fields.size());
      for (Field& f : v.fields) {
        const Schema* child = FieldSchema(s, f.name);
        if (child != nullptr && f.value.kind == Value::Kind::kNull && !child->nullable) {
          Report(Finding::Severity::kWarning, f.line, f.column, JoinKey(path, f.name),
                 "null value is dropped by the API server (the field is not nullable)");
          continue;
        }
        kept.push_back(std::move(f));
      }
      v.fields = std::move(kept);
    }
    for (Field& f : v.fields) {
      if (Stopped()) return;
      const std::string field_path = JoinKey(path, f.name);
      if (const Schema* child = FieldSchema(s, f.name)) {
        Check(*child, f.value, field_path, structural);
      } else if (structural && !s.preserve_unknown_fields && !s.additional_properties_allowed &&
                 !(s.embedded_resource && IsEmbeddedObjectKey(f.name))) {
        Report(Finding::Severity::kError, f.line, f.column, field_path,
               UnknownFieldMessage(s, f.name));
      }
    }
    const int64_t n = static_cast<int64_t>(v.fields.size());
    if (s.min_properties && n < *s.min_properties) {
      Error(v, path, absl::StrCat("must have at least ", *s.min_properties, " entries, got ", n));
    }
    if (s.max_properties && n > *s.max_properties) {
      Error(v, path, absl::StrCat("must have at most ", *s.max_properties, " entries, got ", n));
    }
    for (const std::string& name : s.required) {
      if (v.Find(name) == nullptr) Error(v, JoinKey(path, name), "required field is missing");
    }
  }

  static std::string UnknownFieldMessage(const Schema& s, const std::string& name) {
    std::string message = absl::StrCat("unknown field ", Quote(name));
    if (s.properties.empty()) {
      absl::StrAppend(&message, " (this object has no fields)");
      return message;
    }
    // One clear nearest name is a better hint than the whole list.
    const std::string* best = nullptr;
    size_t best_distance = 3;
    bool tie = false;
    for (const auto& [known, unused] : s.properties) {
      const size_t d = EditDistance(name, known);
      if (d < best_distance) {
        best = &known;
        best_distance = d;
        tie = false;
      } else if (d == best_distance) {
        tie = true;
      }
    }
    if (best != nullptr && !tie) {
      absl::StrAppend(&message, " (did you mean ", Quote(*best), "?)");
      return message;
    }
    std::vector<std::string> names;
    for (const auto& [known, unused] : s.properties) names.push_back(known);
    absl::StrAppend(&message, "; known fields: ", absl::StrJoin(names, ", "));
    return message;
  }

  void CheckEnum(const Schema& s, const Value& v, const std::string& path) {
    for (const Value& allowed : s.enum_values) {
      if (Equal(allowed, v)) return;
    }
    std::vector<std::string> literals;
    for (const Value& allowed : s.enum_values) literals.push_back(Literal(allowed));
    Error(v, path,
          absl::StrCat("unsupported value ", Literal(v),
                       "; supported values: ", absl::StrJoin(literals, ", ")));
  }

  // Whether `v` satisfies `s` on its own, without reporting anything.
  bool Matches(const Schema& s, Value& v, const std::string& path) const {
    Checker quiet(document_, nullptr, nullptr);
    quiet.Check(s, v, path, /*structural=*/false);
    return !quiet.failed();
  }

  void CheckAlternatives(const Schema& s, Value& v, const std::string& path) {
    // allOf alternatives are checked loudly: each of their problems is a real one, and
    // Istio nests its proto-oneof checks inside allOf.
    for (const auto& branch : s.all_of) {
      if (Stopped()) return;
      Check(*branch, v, path, /*structural=*/false);
    }
    if (Stopped()) return;
    if (!s.any_of.empty()) {
      bool any = false;
      for (const auto& branch : s.any_of) {
        if (Matches(*branch, v, path)) {
          any = true;
          break;
        }
      }
      if (!any) Error(v, path, "must match at least one of the anyOf alternatives");
    }
    if (!s.one_of.empty() && !Stopped()) CheckOneOf(s, v, path);
    if (s.not_schema != nullptr && !Stopped() && Matches(*s.not_schema, v, path)) {
      Error(v, path, "must not match the `not` schema");
    }
  }

  void CheckOneOf(const Schema& s, Value& v, const std::string& path) {
    if (!s.oneof_fields.empty() && v.kind == Value::Kind::kObject) {
      std::vector<std::string> set;
      for (const std::string& name : s.oneof_fields) {
        if (v.Find(name) != nullptr) set.push_back(name);
      }
      const std::string all = absl::StrJoin(s.oneof_fields, ", ");
      if (set.size() > 1) {
        Error(v, path,
              absl::StrCat(s.oneof_allows_none ? "at most" : "exactly", " one of ", all,
                           " may be set, got ", EnglishList(set)));
      } else if (set.empty() && !s.oneof_allows_none) {
        Error(v, path, absl::StrCat("exactly one of ", all, " must be set, got none"));
      }
      return;
    }
    int matched = 0;
    for (const auto& branch : s.one_of) {
      if (Matches(*branch, v, path)) ++matched;
    }
    if (matched != 1) {
      Error(v, path,
            absl::StrCat("must match exactly one of the ", s.one_of.size(),
                         " oneOf alternatives, matched ", matched));
    }
  }

  int document_;
  std::vector<Finding>* findings_;
  int* cel_rules_;
  bool failed_ = false;
};

// --- Kubernetes object metadata (ObjectMeta), which CRD schemas do not describe.

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
    checker->Error(map, path, absl::StrCat("expected object, got ", Describe(map)));
    return;
  }
  size_t total = 0;
  for (const Field& entry : map.fields) {
    const std::string entry_path = JoinKey(path, entry.name);
    if (std::optional<std::string> problem = QualifiedNameProblem(entry.name)) {
      checker->Report(Finding::Severity::kError, entry.line, entry.column, entry_path,
                      absl::StrCat("invalid key ", Quote(entry.name), ": ", *problem));
    }
    const Value& value = entry.value;
    if (value.kind != Value::Kind::kString) {
      // Go decodes ObjectMeta into map[string]string: `inject: true` fails there.
      std::string message = absl::StrCat("expected string, got ", Describe(value));
      if (value.plain) absl::StrAppend(&message, " (quote it to make it a string)");
      checker->Error(value, entry_path, message);
      continue;
    }
    total += entry.name.size() + value.text.size();
    if (labels) {
      if (std::optional<std::string> problem = LabelValueProblem(value.text)) {
        checker->Error(value, entry_path,
                       absl::StrCat("invalid label value ", Quote(value.text), ": ", *problem));
      }
    }
  }
  if (!labels && total > kMaxAnnotationBytes) {
    checker->Error(
        map, path,
        absl::StrCat("annotations total ", total, " bytes, more than the ", kMaxAnnotationBytes,
                     " the API server accepts (client-side apply also copies the "
                     "object into an annotation; consider server-side apply)"));
  }
}

void CheckMetadata(const Value& object, const std::string& prefix, Checker* checker) {
  const std::string path = JoinKey(prefix, "metadata");
  const Field* metadata = object.Find("metadata");
  if (metadata == nullptr || metadata->value.kind == Value::Kind::kNull) {
    checker->Error(object, JoinKey(path, "name"), "required field is missing");
    return;
  }
  const Value& meta = metadata->value;
  if (meta.kind != Value::Kind::kObject) {
    checker->Error(meta, path, absl::StrCat("expected object, got ", Describe(meta)));
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
      checker->Report(Finding::Severity::kError, f.line, f.column, field_path,
                      absl::StrCat("unknown field ", Quote(f.name), " in ObjectMeta"));
      continue;
    }
    const Value& v = f.value;
    if (f.name == "labels" || f.name == "annotations") {
      CheckStringMap(f, field_path, f.name == "labels", checker);
    } else if (f.name == "name" || f.name == "generateName" || f.name == "namespace") {
      if (v.kind == Value::Kind::kNull) continue;
      if (v.kind != Value::Kind::kString) {
        checker->Error(v, field_path, absl::StrCat("expected string, got ", Describe(v)));
      } else if (f.name == "name" && !IsDns1123Subdomain(v.text)) {
        checker->Error(v, field_path,
                       absl::StrCat(Quote(v.text), " is not a valid name: ", kSubdomainRule,
                                    v.text.size() > 253 ? ", at most 253 characters" : ""));
      } else if (f.name == "namespace" && !IsDns1123Label(v.text)) {
        checker->Error(v, field_path,
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
    checker->Error(meta, JoinKey(path, "name"), "required field is missing");
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Findings and results.

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

// ---------------------------------------------------------------------------------------
// The registry.

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
        api_field->value, api_path,
        absl::StrCat(api_version, " ", kind, " is defined by ", it->second, " but not served"));
    return;
  }
  std::vector<std::string> versions_of_kind;
  std::set<std::string> kinds_of_group;
  std::string case_insensitive_match;
  const std::string group = api_version.substr(0, api_version.rfind('/'));
  for (const auto& [key, unused] : served) {
    if (key.second == kind) versions_of_kind.push_back(key.first);
    if (key.first.substr(0, key.first.rfind('/')) == group) kinds_of_group.insert(key.second);
    if (absl::EqualsIgnoreCase(key.second, kind)) case_insensitive_match = key.second;
  }
  if (!versions_of_kind.empty()) {
    checker->Error(
        api_field->value, api_path,
        absl::StrCat("no schema for ", kind, " in apiVersion ", Quote(api_version),
                     "; known versions of ", kind, ": ", absl::StrJoin(versions_of_kind, ", ")));
    return;
  }
  if (!case_insensitive_match.empty()) {
    checker->Error(kind_field->value, kind_path,
                   absl::StrCat("unknown kind ", Quote(kind), " (did you mean ",
                                Quote(case_insensitive_match), "?)"));
    return;
  }
  if (!kinds_of_group.empty()) {
    checker->Error(
        kind_field->value, kind_path,
        absl::StrCat("unknown kind ", Quote(kind), " in group ", group, "; known kinds: ",
                     absl::StrJoin(kinds_of_group.begin(), kinds_of_group.end(), ", ")));
    return;
  }
  checker->Report(
      options.allow_unknown_groups ? Finding::Severity::kWarning : Finding::Severity::kError,
      kind_field->value.line, kind_field->value.column, prefix,
      absl::StrCat(options.allow_unknown_groups ? "not validated: " : "", "no CRD schema for ",
                   api_version, " ", kind));
}

void CrdRegistry::Impl::ValidateRoot(Value& object, const std::string& prefix, int document,
                                     const ValidateOptions& options,
                                     ValidationResult* result) const {
  Checker checker(document, &result->findings, &result->cel_rules_not_checked);
  if (object.kind != Value::Kind::kObject) {
    checker.Error(object, prefix,
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
      checker.Error(object, path, "required field is missing");
      header_ok = false;
    } else if (f->value.kind != Value::Kind::kString || f->value.text.empty()) {
      checker.Error(f->value, path,
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
      checker.Error(items->value, items_path,
                    absl::StrCat("expected array, got ", Describe(items->value)));
      return;
    }
    for (size_t i = 0; i < items->value.items.size(); ++i) {
      ValidateRoot(items->value.items[i], JoinIndex(items_path, i), document, options, result);
    }
    return;
  }

  auto it = served.find({api_version, kind});
  if (it == served.end()) {
    ReportUnknownType(object, prefix, api_version, kind, options, &checker);
    return;
  }
  const Version& version = it->second;
  if (version.deprecated) {
    const Field* f = object.Find("apiVersion");
    checker.Report(
        Finding::Severity::kWarning, f->value.line, f->value.column, JoinKey(prefix, "apiVersion"),
        version.deprecation_warning.empty() ? absl::StrCat(api_version, " ", kind, " is deprecated")
                                            : version.deprecation_warning);
  }
  CheckMetadata(object, prefix, &checker);
  // apiVersion, kind and metadata are implicit in every CRD schema (the API server checks
  // them itself, as above); the schema covers the rest.
  std::vector<Field> rest;
  for (Field& f : object.fields) {
    if (f.name != "apiVersion" && f.name != "kind" && f.name != "metadata") {
      rest.push_back(std::move(f));
    }
  }
  object.fields = std::move(rest);
  checker.Check(*version.schema, object, prefix, /*structural=*/true);
  ++result->objects_validated;
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
  absl::StatusOr<std::vector<YAML::Node>> documents = ParseYamlStream(text, source_name, kManifestYamlLimits);
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
    result->findings.push_back(std::move(finding));
    return;
  }
  if (builder.truncated()) return;
  impl_->ValidateRoot(object, "", document_index, options, result);
}

absl::StatusOr<ValidationResult> CrdRegistry::ValidateYaml(absl::string_view text,
                                                           absl::string_view source_name,
                                                           const ValidateOptions& options) const {
  absl::StatusOr<std::vector<YAML::Node>> documents = ParseYamlStream(text, source_name, kManifestYamlLimits);
  if (!documents.ok()) return documents.status();
  ValidationResult result;
  for (size_t i = 0; i < documents->size(); ++i) {
    const YAML::Node& document = (*documents)[i];
    // Empty documents (a trailing `---`, comments only) are skipped, as kubectl does.
    if (!document.IsDefined() || document.IsNull()) continue;
    ValidateObject(document, static_cast<int>(i), options, &result);
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
