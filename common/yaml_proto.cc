// YAML -> protobuf by reflection (see yaml_proto.h). yaml-cpp throws; this file is the
// edge where its exceptions become absl::Status, so callers see one error mechanism.
#include "common/yaml_proto.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/file_read.h"
#include "common/yaml_stream.h"
#include "google/protobuf/descriptor.h"
#include "yaml-cpp/yaml.h"

namespace edgekit {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

// Schemas are finite but may be recursive (google.protobuf.Struct), and YAML aliases can
// build cyclic node graphs; a depth cap turns both into an error instead of a stack
// overflow. Real configs are a few levels deep.
constexpr int kMaxDepth = 64;

// Debian's Abseil is built with its own absl::string_view (not std::string_view), so the
// std::string_view of the public API is converted once here.
absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Values echoed in messages are cut so one bad multi-kilobyte scalar cannot flood a log.
constexpr size_t kMaxQuotedChars = 64;

std::string Quote(absl::string_view text) {
  if (text.size() > kMaxQuotedChars) {
    return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuotedChars)), "...\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

// What a node is, for "expected X, got Y".
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// "<source>:<line>:<col>: " with yaml-cpp's 0-based marks made 1-based, as editors and
// compilers count. Parts that are unknown are left out.

// Scalar field kinds as people read them in messages.
std::string ExpectedKind(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
      return "an integer";
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return "an unsigned integer";
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return absl::StrCat("a name of enum ", field->enum_type()->full_name());
    case FieldDescriptor::CPPTYPE_STRING:
      return field->type() == FieldDescriptor::TYPE_BYTES ? "base64 bytes" : "a string";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "a mapping";
  }
  return "a value";
}

// Outcome of parsing a scalar as a number.
enum class NumberParse { kOk, kNotANumber, kOutOfRange };

// Decimal integers only, with an optional sign: hex, octal and YAML 1.1 forms such as
// "1_000" are rejected so a value never means something other than what it looks like.
template <typename T>
NumberParse ParseInteger(std::string_view text, T* out) {
  static_assert(std::is_integral_v<T>);
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(digits.front()))) {
    return NumberParse::kNotANumber;
  }
  // Parse the magnitude wide, then range-check against T, so "-1" for a uint32 and
  // "4294967296" for a uint32 are both reported as out of range rather than as junk.
  uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (end != digits.data() + digits.size()) {
    return ec == std::errc::result_out_of_range ? NumberParse::kOutOfRange
                                                : NumberParse::kNotANumber;
  }
  if (ec == std::errc::result_out_of_range) return NumberParse::kOutOfRange;
  if (ec != std::errc()) return NumberParse::kNotANumber;
  if (negative) {
    if (magnitude == 0) {
      *out = 0;
      return NumberParse::kOk;
    }
    if constexpr (std::is_unsigned_v<T>) {
      return NumberParse::kOutOfRange;
    } else {
      // -(min) is max + 1; compare in unsigned space to avoid overflow.
      const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<T>::max()) + 1;
      if (magnitude > limit) return NumberParse::kOutOfRange;
      *out = static_cast<T>(-static_cast<int64_t>(magnitude - 1) - 1);
      return NumberParse::kOk;
    }
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
    return NumberParse::kOutOfRange;
  }
  *out = static_cast<T>(magnitude);
  return NumberParse::kOk;
}

// Decimal or exponent notation, plus the YAML (".inf", ".nan") and JSON ("Infinity",
// "NaN") spellings of the special values.
NumberParse ParseDouble(std::string_view text, double* out) {
  static const std::map<std::string, double, std::less<>> kSpecial = {
      {".inf", HUGE_VAL},     {"+.inf", HUGE_VAL},      {"-.inf", -HUGE_VAL},
      {".Inf", HUGE_VAL},     {"+.Inf", HUGE_VAL},      {"-.Inf", -HUGE_VAL},
      {".INF", HUGE_VAL},     {"+.INF", HUGE_VAL},      {"-.INF", -HUGE_VAL},
      {"Infinity", HUGE_VAL}, {"-Infinity", -HUGE_VAL}, {".nan", std::nan("")},
      {".NaN", std::nan("")}, {".NAN", std::nan("")},   {"NaN", std::nan("")},
  };
  if (auto it = kSpecial.find(text); it != kSpecial.end()) {
    *out = it->second;
    return NumberParse::kOk;
  }
  std::string_view body = text;
  if (!body.empty() && body.front() == '+') body.remove_prefix(1);
  // from_chars would also take "inf"/"nan" words; only the spellings above are accepted.
  const bool starts_ok =
      !body.empty() && (absl::ascii_isdigit(static_cast<unsigned char>(body.front())) ||
                        body.front() == '.' || body.front() == '-');
  if (!starts_ok) return NumberParse::kNotANumber;
  if (body.front() == '-' &&
      (body.size() < 2 ||
       !(absl::ascii_isdigit(static_cast<unsigned char>(body[1])) || body[1] == '.'))) {
    return NumberParse::kNotANumber;
  }
  double value = 0;
  const auto [end, ec] =
      std::from_chars(body.data(), body.data() + body.size(), value, std::chars_format::general);
  if (end != body.data() + body.size()) return NumberParse::kNotANumber;
  if (ec == std::errc::result_out_of_range) return NumberParse::kOutOfRange;
  if (ec != std::errc()) return NumberParse::kNotANumber;
  *out = value;
  return NumberParse::kOk;
}

// Walks a YAML node tree alongside a message's descriptor. Every method returns the first
// error; nothing throws (yaml-cpp's own exceptions are caught by the public functions).
class Converter {
 public:
  explicit Converter(absl::string_view source) : source_(source) {}

  absl::Status ConvertMessage(const YAML::Node& node, const std::string& path, int depth,
                              Message* message) const {
    if (depth > kMaxDepth) {
      return Error(node.Mark(), path, absl::StrCat("nested deeper than ", kMaxDepth, " levels"));
    }
    if (!node.IsMap()) {
      return Error(node.Mark(), path, absl::StrCat("expected a mapping, got ", Describe(node)));
    }
    const Descriptor* descriptor = message->GetDescriptor();
    // Keys already seen, by field number, so "max_attempts" and "maxAttempts" in one
    // mapping count as the same key (yaml-cpp keeps duplicate keys instead of rejecting).
    std::map<int, std::string> seen;
    std::map<const OneofDescriptor*, std::string> oneofs_set;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (!key.IsScalar()) {
        return Error(key.Mark(), path, absl::StrCat("keys must be strings, got ", Describe(key)));
      }
      const std::string& name = key.Scalar();
      const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
      const FieldDescriptor* field = FindField(descriptor, name);
      if (field == nullptr) {
        return Error(key.Mark(), field_path,
                     absl::StrCat("unknown key (known keys: ", KnownKeys(descriptor), ")"));
      }
      const auto [previous, inserted] = seen.emplace(field->number(), name);
      if (!inserted) {
        return Error(key.Mark(), field_path,
                     previous->second == name ? std::string("duplicate key")
                                              : absl::StrCat("duplicate key (same field as \"",
                                                             previous->second, "\")"));
      }
      if (const OneofDescriptor* oneof = field->real_containing_oneof()) {
        const auto [other, first] = oneofs_set.emplace(oneof, name);
        if (!first) {
          return Error(
              key.Mark(), field_path,
              absl::StrCat("conflicts with \"", other->second, "\": at most one field of oneof ",
                           oneof->name(), " may be set"));
        }
      }
      absl::Status status = ConvertField(field, key, value, field_path, depth, message);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(const YAML::Mark& mark, absl::string_view path, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(YamlLocation(source_, mark), path, path.empty() ? "" : ": ", what));
  }

  // Where to point for a value: a null value ("key:" at the end of a line) is marked by
  // yaml-cpp at the start of the next line, so point at its key instead.
  static YAML::Mark MarkOf(const YAML::Node& value, const YAML::Node& key) {
    if (value.IsNull() || value.Mark().is_null()) return key.Mark();
    return value.Mark();
  }

  static const FieldDescriptor* FindField(const Descriptor* descriptor, const std::string& name) {
    if (const FieldDescriptor* field = descriptor->FindFieldByName(name)) return field;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      if (descriptor->field(i)->json_name() == name) return descriptor->field(i);
    }
    return nullptr;
  }

  static std::string KnownKeys(const Descriptor* descriptor) {
    std::set<std::string> names;  // sorted, so the list is stable and easy to scan
    for (int i = 0; i < descriptor->field_count(); ++i) {
      names.insert(descriptor->field(i)->name());
    }
    return absl::StrJoin(names, ", ");
  }

  // One key's value: dispatches on the field's shape. A null value means "not set", as
  // null does in the proto3 JSON mapping, except for a singular message: "key:" with
  // nothing under it (often an indentation slip) is the key written, so it is present
  // and empty, as "key: {}" is. A rule's "when:" is then refused as an empty condition
  // instead of silently meaning "every request".
  absl::Status ConvertField(const FieldDescriptor* field, const YAML::Node& key,
                            const YAML::Node& value, const std::string& path, int depth,
                            Message* message) const {
    if (value.IsNull()) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
        message->GetReflection()->MutableMessage(message, field);
      }
      return absl::OkStatus();
    }
    if (field->is_map()) return ConvertMap(field, value, path, depth, message);
    if (field->is_repeated()) {
      if (!value.IsSequence()) {
        return Error(value.Mark(), path,
                     absl::StrCat("expected a sequence, got ", Describe(value)));
      }
      for (size_t i = 0; i < value.size(); ++i) {
        const YAML::Node element = value[i];
        absl::Status status =
            ConvertValue(field, element, element, absl::StrCat(path, "[", i, "]"), depth,
                         /*add=*/true, message);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    }
    return ConvertValue(field, value, key, path, depth, /*add=*/false, message);
  }

  absl::Status ConvertMap(const FieldDescriptor* field, const YAML::Node& value,
                          const std::string& path, int depth, Message* message) const {
    if (!value.IsMap()) {
      return Error(value.Mark(), path, absl::StrCat("expected a mapping, got ", Describe(value)));
    }
    const FieldDescriptor* key_field = field->message_type()->map_key();
    const FieldDescriptor* value_field = field->message_type()->map_value();
    std::set<std::string> keys;
    for (const auto& entry : value) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) {
        return Error(key.Mark(), path,
                     absl::StrCat("map keys must be scalars, got ", Describe(key)));
      }
      // Map keys can hold dots and spaces, so they are quoted rather than dotted on.
      const std::string entry_path = absl::StrCat(path, "[", Quote(key.Scalar()), "]");
      if (!keys.insert(key.Scalar()).second) {
        return Error(key.Mark(), entry_path, "duplicate key");
      }
      Message* map_entry = message->GetReflection()->AddMessage(message, field);
      absl::Status status = ConvertValue(key_field, key, key, entry_path, depth,
                                         /*add=*/false, map_entry);
      if (!status.ok()) return status;
      status = ConvertValue(value_field, entry.second, key, entry_path, depth,
                            /*add=*/false, map_entry);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // Sets (add=false) or appends (add=true) one value of `field`. `key` locates errors on
  // null values.
  absl::Status ConvertValue(const FieldDescriptor* field, const YAML::Node& node,
                            const YAML::Node& key, const std::string& path, int depth, bool add,
                            Message* message) const {
    const Reflection* reflection = message->GetReflection();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Message* sub =
          add ? reflection->AddMessage(message, field) : reflection->MutableMessage(message, field);
      // A null sequence element or map value is an empty message, as "{}" would be.
      if (node.IsNull()) return absl::OkStatus();
      return ConvertMessage(node, path, depth + 1, sub);
    }
    const YAML::Mark mark = MarkOf(node, key);
    if (!node.IsScalar()) {
      return Error(mark, path,
                   absl::StrCat("expected ", ExpectedKind(field), ", got ", Describe(node)));
    }
    const std::string& text = node.Scalar();
    auto not_a = [&]() {
      return Error(mark, path,
                   absl::StrCat("expected ", ExpectedKind(field), ", got ", Quote(text)));
    };
    auto out_of_range = [&]() {
      return Error(mark, path,
                   absl::StrCat("out of range for ", field->type_name(), ", got ",
                                text.size() > kMaxQuotedChars
                                    ? absl::StrCat(text.substr(0, kMaxQuotedChars), "...")
                                    : text));
    };
    // The error for a failed numeric parse (OK when it succeeded).
    auto parse_error = [&](NumberParse result) -> absl::Status {
      switch (result) {
        case NumberParse::kOk:
          break;
        case NumberParse::kNotANumber:
          return not_a();
        case NumberParse::kOutOfRange:
          return out_of_range();
      }
      return absl::OkStatus();
    };
    // Shared shape of the numeric cases: parse into T, report, then store.
    auto integer = [&](auto zero, auto set, auto append) -> absl::Status {
      decltype(zero) parsed = 0;
      if (absl::Status error = parse_error(ParseInteger(text, &parsed)); !error.ok()) {
        return error;
      }
      if (add) {
        (reflection->*append)(message, field, parsed);
      } else {
        (reflection->*set)(message, field, parsed);
      }
      return absl::OkStatus();
    };
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return integer(int32_t{0}, &Reflection::SetInt32, &Reflection::AddInt32);
      case FieldDescriptor::CPPTYPE_INT64:
        return integer(int64_t{0}, &Reflection::SetInt64, &Reflection::AddInt64);
      case FieldDescriptor::CPPTYPE_UINT32:
        return integer(uint32_t{0}, &Reflection::SetUInt32, &Reflection::AddUInt32);
      case FieldDescriptor::CPPTYPE_UINT64:
        return integer(uint64_t{0}, &Reflection::SetUInt64, &Reflection::AddUInt64);
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double parsed = 0;
        if (absl::Status error = parse_error(ParseDouble(text, &parsed)); !error.ok()) {
          return error;
        }
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          add ? reflection->AddDouble(message, field, parsed)
              : reflection->SetDouble(message, field, parsed);
          return absl::OkStatus();
        }
        // A finite double too big for a float would silently become infinity.
        if (std::isfinite(parsed) &&
            std::fabs(parsed) > static_cast<double>(std::numeric_limits<float>::max())) {
          return out_of_range();
        }
        add ? reflection->AddFloat(message, field, static_cast<float>(parsed))
            : reflection->SetFloat(message, field, static_cast<float>(parsed));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        // Only the two JSON spellings: YAML 1.1's yes/no/on/off are a classic source of
        // surprises (the "Norway problem").
        if (text != "true" && text != "false") return not_a();
        add ? reflection->AddBool(message, field, text == "true")
            : reflection->SetBool(message, field, text == "true");
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumDescriptor* type = field->enum_type();
        const EnumValueDescriptor* found = type->FindValueByName(text);
        if (found == nullptr) {
          // Names in any case, '-' for '_': configs read "mode: loopback" or
          // "unknown_query_parameters: pass-through" as naturally as the proto's LOOPBACK.
          std::string name(text);
          for (char& c : name) c = c == '-' ? '_' : absl::ascii_toupper(c);
          found = type->FindValueByName(name);
        }
        int32_t number = 0;
        if (found == nullptr && ParseInteger(text, &number) == NumberParse::kOk) {
          found = type->FindValueByNumber(number);
        }
        if (found == nullptr) {
          std::vector<std::string> names;  // declaration order, as the .proto reads
          for (int i = 0; i < type->value_count(); ++i) {
            names.push_back(type->value(i)->name());
          }
          return Error(mark, path,
                       absl::StrCat("unknown value ", Quote(text), " for enum ", type->full_name(),
                                    " (known values: ", absl::StrJoin(names, ", "), ")"));
        }
        add ? reflection->AddEnumValue(message, field, found->number())
            : reflection->SetEnumValue(message, field, found->number());
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string value = text;
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          // Base64, as in the proto3 JSON mapping: YAML scalars cannot carry raw bytes.
          if (!absl::Base64Unescape(text, &value)) return not_a();
        }
        add ? reflection->AddString(message, field, std::move(value))
            : reflection->SetString(message, field, std::move(value));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;  // handled above
    }
    return Error(mark, path, "unsupported field type");
  }

  std::string source_;
};

}  // namespace

absl::Status YamlToProto(const YAML::Node& node, google::protobuf::Message* message,
                         std::string_view source_name) {
  message->Clear();
  absl::Status status;
  try {
    if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
    status = Converter(ToAbsl(source_name)).ConvertMessage(node, "", 0, message);
  } catch (const YAML::Exception& e) {
    status =
        absl::InvalidArgumentError(absl::StrCat(YamlLocation(ToAbsl(source_name), e.mark), e.msg));
  }
  // A half-filled message is never useful and easy to misuse; leave it empty.
  if (!status.ok()) message->Clear();
  return status;
}

absl::Status YamlTextToProto(std::string_view text, google::protobuf::Message* message,
                             std::string_view source_name) {
  message->Clear();
  absl::StatusOr<std::vector<YAML::Node>> documents =
      ParseYamlStream(ToAbsl(text), ToAbsl(source_name), kConfigYamlLimits);
  if (!documents.ok()) return documents.status();
  if (documents->empty()) return absl::OkStatus();  // empty or comments only
  if (documents->size() > 1) {
    // Silently taking the first document would ignore the rest of the file.
    return absl::InvalidArgumentError(
        absl::StrCat(YamlLocation(ToAbsl(source_name), (*documents)[1].Mark()),
                     "expected one YAML document, found ", documents->size()));
  }
  return YamlToProto((*documents)[0], message, source_name);
}

absl::Status YamlFileToProto(const std::string& path, google::protobuf::Message* message) {
  message->Clear();
  absl::StatusOr<std::string> text = ReadFileCapped(path, kConfigYamlLimits.max_bytes);
  if (!text.ok()) return text.status();
  return YamlTextToProto(*text, message, path);
}

}  // namespace edgekit
