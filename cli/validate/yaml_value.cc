// The CRD validator's value model (yaml_value.h): building JSON-like trees from yaml-cpp
// nodes with YAML 1.1 scalar typing, and the comparisons and descriptions the checks use.
// The typing rules are go-yaml v2's, not yaml-cpp's (YAML 1.2), because kubectl decodes
// manifests with go-yaml: what matters is the type the API server ends up seeing.
#include "cli/validate/yaml_value.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cli/validate/crd_internal.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::crd {
namespace {

// The node budget of one document: with kMaxDepth (crd_internal.h), what keeps YAML alias
// graphs from an endless walk. Real manifests and CRDs are far below it.
constexpr int64_t kMaxNodes = 500'000;

// JSON numbers above 2^53 lose integer precision; Kubernetes (go-openapi's
// IsFloat64AJSONInteger) accepts a float as an integer only within this range.
constexpr long double kMaxJsonInteger = 9007199254740992.0L;

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

// Types a scalar by its tag; an explicit core tag (!!int, ...) types the text as a plain
// scalar would be, without the "quote it" hint.
void BuildScalar(const YAML::Node& node, Value* v) {
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

}  // namespace

const Field* Value::Find(absl::string_view name) const {
  for (const Field& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

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

Value ValueBuilder::Build(const YAML::Node& node, const std::string& path, int depth) {
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

void ValueBuilder::Report(int line, int column, const std::string& path, std::string message) {
  Finding finding;
  finding.document = document_;
  finding.path = path;
  finding.message = std::move(message);
  finding.line = line;
  finding.column = column;
  finding.code = FindingCode::kUnreadableDocument;
  findings_->push_back(std::move(finding));
}

}  // namespace edgekit::cli::crd
