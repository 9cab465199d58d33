// Checking values against CRD schemas (schema_checker.h), keyword by keyword in the
// order the API server's validator applies them, so the findings read as the server's
// errors would. Messages name the expected and the actual value, and hint at the usual
// cause (an unquoted scalar, a misspelt field) where one can be told.
#include "cli/validate/schema_checker.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "cli/validate/crd_internal.h"
#include "re2/re2.h"

namespace edgekit::cli::crd {
namespace {

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
  // Built once, never destroyed (no exit-time destructor).
  static const RE2* const kDateTime =
      new RE2(R"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))");
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

std::string Expected(const Schema& s) {
  if (s.int_or_string) return "integer or string";
  return s.type.empty() ? "a value" : s.type;
}

bool TypeMatches(const Schema& s, const Value& v) {
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

bool IsEmbeddedObjectKey(absl::string_view name) {
  return name == "apiVersion" || name == "kind" || name == "metadata";
}

std::string UnknownFieldMessage(const Schema& s, const std::string& name) {
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

}  // namespace

void Checker::Check(const Schema& s, Value& v, const std::string& path, bool structural) {
  if (Stopped()) return;
  if (v.kind == Value::Kind::kNull) {
    if (s.nullable || (s.type.empty() && !s.int_or_string)) return;
    Error(v, path, FindingCode::kWrongType, absl::StrCat("expected ", Expected(s), ", got null"));
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
    Error(v, path, FindingCode::kWrongType, message);
    return;
  }
  if (v.kind == Value::Kind::kFloat && !std::isfinite(v.number)) {
    Error(v, path, FindingCode::kWrongType, absl::StrCat(v.text, " cannot be represented in JSON"));
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

void Checker::CheckString(const Schema& s, const Value& v, const std::string& path) {
  if (s.min_length || s.max_length) {
    const int64_t length = Utf8Length(v.text);
    if (s.min_length && length < *s.min_length) {
      Error(v, path, FindingCode::kOutOfBounds,
            absl::StrCat("must be at least ", *s.min_length, " characters long, got ", length));
    }
    if (s.max_length && length > *s.max_length) {
      Error(v, path, FindingCode::kOutOfBounds,
            absl::StrCat("must be at most ", *s.max_length, " characters long, got ", length));
    }
  }
  // Go's MatchString is unanchored, as RE2::PartialMatch is.
  if (s.pattern_re != nullptr && !RE2::PartialMatch(Piece(v.text), *s.pattern_re)) {
    Error(v, path, FindingCode::kFormatOrPattern,
          absl::StrCat(Quote(v.text), " does not match the pattern ", Quote(s.pattern)));
  }
  if (s.format == "byte" && !IsBase64(v.text)) {
    Error(v, path, FindingCode::kFormatOrPattern,
          "must be standard base64 with padding (format byte)");
  } else if (s.format == "date-time" && !IsDateTime(v.text)) {
    Error(v, path, FindingCode::kFormatOrPattern,
          absl::StrCat("must be an RFC 3339 date-time (format date-time), got ", Quote(v.text)));
  }
}

void Checker::CheckNumber(const Schema& s, const Value& v, const std::string& path) {
  if (s.format == "int32" || s.format == "int64") {
    const bool is32 = s.format == "int32";
    const long double lo = is32 ? INT32_MIN : static_cast<long double>(INT64_MIN);
    const long double hi = is32 ? INT32_MAX : static_cast<long double>(INT64_MAX);
    if (v.number < lo || v.number > hi) {
      Error(v, path, FindingCode::kOutOfBounds,
            absl::StrCat(v.text, " is out of range for format ", s.format, " [", FormatBound(lo),
                         ", ", FormatBound(hi), "]"));
      return;
    }
  } else if (s.format == "float" && std::fabs(v.number) > std::numeric_limits<float>::max()) {
    Error(v, path, FindingCode::kOutOfBounds,
          absl::StrCat(v.text, " is out of range for format float"));
    return;
  }
  if (s.minimum) {
    const bool below = s.exclusive_minimum ? v.number <= *s.minimum : v.number < *s.minimum;
    if (below) {
      Error(v, path, FindingCode::kOutOfBounds,
            absl::StrCat("must be ", s.exclusive_minimum ? ">" : ">=", " ", FormatBound(*s.minimum),
                         ", got ", v.text));
    }
  }
  if (s.maximum) {
    const bool above = s.exclusive_maximum ? v.number >= *s.maximum : v.number > *s.maximum;
    if (above) {
      Error(v, path, FindingCode::kOutOfBounds,
            absl::StrCat("must be ", s.exclusive_maximum ? "<" : "<=", " ", FormatBound(*s.maximum),
                         ", got ", v.text));
    }
  }
  if (s.multiple_of && *s.multiple_of > 0) {
    const long double quotient = v.number / *s.multiple_of;
    if (std::floor(quotient) != quotient) {
      Error(v, path, FindingCode::kOutOfBounds,
            absl::StrCat("must be a multiple of ", FormatBound(*s.multiple_of), ", got ", v.text));
    }
  }
}

void Checker::CheckArray(const Schema& s, Value& v, const std::string& path, bool structural) {
  const int64_t n = static_cast<int64_t>(v.items.size());
  if (s.min_items && n < *s.min_items) {
    Error(v, path, FindingCode::kOutOfBounds,
          absl::StrCat("must have at least ", *s.min_items, " item(s), got ", n));
  }
  if (s.max_items && n > *s.max_items) {
    Error(v, path, FindingCode::kOutOfBounds,
          absl::StrCat("must have at most ", *s.max_items, " items, got ", n));
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
          Error(v.items[j], JoinIndex(path, j), FindingCode::kDuplicateItem,
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

void Checker::CheckListMapKeys(const Schema& s, const Value& v, const std::string& path) {
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
        Error(
            item, JoinIndex(path, j), FindingCode::kDuplicateItem,
            absl::StrCat("duplicate entry with ", absl::StrJoin(parts, ", "), " (same as item ", i,
                         "; entries are keyed by ", absl::StrJoin(s.list_map_keys, ", "), ")"));
        break;
      }
    }
    seen.emplace_back(std::move(key), j);
  }
}

void Checker::CheckObject(const Schema& s, Value& v, const std::string& path, bool structural) {
  if (structural) {
    // The API server prunes nulls of non-nullable fields before validating, so such a
    // field is simply absent (which matters for `required` and oneOf). Worth a warning:
    // the author probably meant something.
    std::vector<Field> kept;
    kept.reserve(v.fields.size());
    for (Field& f : v.fields) {
      const Schema* child = ChildSchema(s, f.name);
      if (child != nullptr && f.value.kind == Value::Kind::kNull && !child->nullable) {
        Report(Finding::Severity::kWarning, FindingCode::kNullDropped, f.line, f.column,
               JoinKey(path, f.name),
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
    if (const Schema* child = ChildSchema(s, f.name)) {
      Check(*child, f.value, field_path, structural);
    } else if (structural && !s.preserve_unknown_fields && !s.additional_properties_allowed &&
               !(s.embedded_resource && IsEmbeddedObjectKey(f.name))) {
      Report(Finding::Severity::kError, FindingCode::kUnknownField, f.line, f.column, field_path,
             UnknownFieldMessage(s, f.name));
    }
  }
  const int64_t n = static_cast<int64_t>(v.fields.size());
  if (s.min_properties && n < *s.min_properties) {
    Error(v, path, FindingCode::kOutOfBounds,
          absl::StrCat("must have at least ", *s.min_properties, " entries, got ", n));
  }
  if (s.max_properties && n > *s.max_properties) {
    Error(v, path, FindingCode::kOutOfBounds,
          absl::StrCat("must have at most ", *s.max_properties, " entries, got ", n));
  }
  for (const std::string& name : s.required) {
    if (v.Find(name) == nullptr)
      Error(v, JoinKey(path, name), FindingCode::kRequiredMissing, "required field is missing");
  }
}

void Checker::CheckEnum(const Schema& s, const Value& v, const std::string& path) {
  for (const Value& allowed : s.enum_values) {
    if (Equal(allowed, v)) return;
  }
  std::vector<std::string> literals;
  for (const Value& allowed : s.enum_values) literals.push_back(Literal(allowed));
  Error(v, path, FindingCode::kNotInEnum,
        absl::StrCat("unsupported value ", Literal(v),
                     "; supported values: ", absl::StrJoin(literals, ", ")));
}

bool Checker::Matches(const Schema& s, Value& v, const std::string& path) const {
  Checker quiet(document_, nullptr);
  quiet.Check(s, v, path, /*structural=*/false);
  return !quiet.failed();
}

void Checker::CheckAlternatives(const Schema& s, Value& v, const std::string& path) {
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
    if (!any)
      Error(v, path, FindingCode::kAlternatives,
            "must match at least one of the anyOf alternatives");
  }
  if (!s.one_of.empty() && !Stopped()) CheckOneOf(s, v, path);
  if (s.not_schema != nullptr && !Stopped() && Matches(*s.not_schema, v, path)) {
    Error(v, path, FindingCode::kAlternatives, "must not match the `not` schema");
  }
}

void Checker::CheckOneOf(const Schema& s, Value& v, const std::string& path) {
  if (!s.oneof_fields.empty() && v.kind == Value::Kind::kObject) {
    std::vector<std::string> set;
    for (const std::string& name : s.oneof_fields) {
      if (v.Find(name) != nullptr) set.push_back(name);
    }
    const std::string all = absl::StrJoin(s.oneof_fields, ", ");
    if (set.size() > 1) {
      Error(v, path, FindingCode::kAlternatives,
            absl::StrCat(s.oneof_allows_none ? "at most" : "exactly", " one of ", all,
                         " may be set, got ", EnglishList(set)));
    } else if (set.empty() && !s.oneof_allows_none) {
      Error(v, path, FindingCode::kAlternatives,
            absl::StrCat("exactly one of ", all, " must be set, got none"));
    }
    return;
  }
  int matched = 0;
  for (const auto& branch : s.one_of) {
    if (Matches(*branch, v, path)) ++matched;
  }
  if (matched != 1) {
    Error(v, path, FindingCode::kAlternatives,
          absl::StrCat("must match exactly one of the ", s.one_of.size(),
                       " oneOf alternatives, matched ", matched));
  }
}

void Checker::Report(Finding::Severity severity, FindingCode code, int line, int column,
                     const std::string& path, std::string message) {
  if (severity == Finding::Severity::kError) failed_ = true;
  if (findings_ == nullptr) return;
  Finding finding;
  finding.document = document_;
  finding.path = path;
  finding.message = std::move(message);
  finding.severity = severity;
  finding.code = code;
  finding.line = line;
  finding.column = column;
  findings_->push_back(std::move(finding));
}

}  // namespace edgekit::cli::crd
