#include "cli/render/manifest_doc.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/text_format.h"

namespace edgekit::cli {
namespace {

// Shortest text that reads back as the same double: "0.95", "20", not 0.94999... or 2e+01.
std::string ShortestDouble(double value) {
  std::string plain = absl::StrCat(value);  // %g with 6 digits: right for config values
  if (std::strtod(plain.c_str(), nullptr) == value) return plain;
  for (int precision = 7; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

}  // namespace

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  // Control characters (line breaks included) only survive as escapes in a double-quoted
  // scalar; so do the Unicode characters YAML 1.1 readers take as line breaks (U+0085,
  // U+2028, U+2029) and a byte-order mark. Leading or trailing blanks would be trimmed.
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  for (const char* special : {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbb\xbf"}) {
    if (s.find(special) != std::string::npos) return true;
  }
  if (s.front() == ' ' || s.back() == ' ') return true;
  static const char* const kSpecial[] = {"true", "false", "yes", "no", "on", "off",
                                         "null", "~",     "y",   "n",  "<<", "="};
  const std::string lower = absl::AsciiStrToLower(s);
  for (const char* word : kSpecial) {
    if (lower == word) return true;
  }
  double number;
  if (absl::SimpleAtod(s, &number)) return true;
  const char first = s.front();
  return absl::ascii_isdigit(first) || first == '.' || first == '-' || first == '+' ||
         first == '@' || first == '*' || first == '&' || first == '!' || first == '%' ||
         first == '?' || first == ':' || first == ',' || first == '[' || first == ']' ||
         first == '{' || first == '}' || first == '#' || first == '|' || first == '>' ||
         first == '\'' || first == '"' || first == '`' || s.find(": ") != std::string::npos ||
         s.find(" #") != std::string::npos || s.back() == ':';
}

Doc::Doc() { e_.SetIndent(2); }

Doc& Doc::Key(const std::string& key) {
  e_ << YAML::Key;
  Str(key);
  e_ << YAML::Value;
  return *this;
}

Doc& Doc::Str(const std::string& s) {
  if (!NeedsQuotes(s)) {
    e_ << s;
    return *this;
  }
  // yaml-cpp escapes control characters in double quotes but writes DEL and
  // U+0085/U+2028/U+2029 raw; escaping all non-ASCII for this one scalar gets them (and
  // é, ✓) as \uXXXX.
  bool unicode_break = s.find('\x7f') != std::string::npos;
  for (const char* special : {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbb\xbf"}) {
    unicode_break = unicode_break || s.find(special) != std::string::npos;
  }
  if (unicode_break) e_ << YAML::EscapeNonAscii;
  e_ << YAML::DoubleQuoted << s;
  if (unicode_break) e_ << YAML::EmitNonAscii;
  return *this;
}

Doc& Doc::KV(const std::string& key, uint32_t value) {
  Key(key);
  e_ << value;
  return *this;
}

Doc& Doc::KV(const std::string& key, bool value) {
  Key(key);
  e_ << YAML::TrueFalseBool << value;
  return *this;
}

Doc& Doc::Literal(const std::string& key, const std::string& value) {
  // Double-quoted with escapes, not a `|` block: a block scalar changes trailing newlines,
  // CRs and leading blanks unless its indicators are exactly right, and a body must come
  // back byte for byte.
  return Key(key).Str(value);
}

Doc& Doc::Map() {
  e_ << YAML::BeginMap;
  return *this;
}

Doc& Doc::EndMap() {
  e_ << YAML::EndMap;
  return *this;
}

Doc& Doc::Seq() {
  e_ << YAML::BeginSeq;
  return *this;
}

Doc& Doc::EndSeq() {
  e_ << YAML::EndSeq;
  return *this;
}

Doc& Doc::StrSeq(const std::string& key, const std::vector<std::string>& values) {
  Key(key).Seq();
  for (const std::string& v : values) Str(v);
  return EndSeq();
}

Doc& Doc::Labels(const std::string& key, const std::map<std::string, std::string>& labels) {
  Key(key).Map();
  for (const auto& [k, v] : labels) KV(k, v);
  return EndMap();
}

Doc& Doc::Message(const google::protobuf::Message& message) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // set fields, by field number
  Map();
  for (const google::protobuf::FieldDescriptor* field : fields) {
    Key(field->name());
    if (field->is_map()) {
      // A YAML mapping (what the loader takes), keys sorted so output is byte-stable.
      std::vector<std::pair<std::string, const google::protobuf::Message*>> entries;
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        const google::protobuf::Message& entry = reflection->GetRepeatedMessage(message, field, i);
        const google::protobuf::FieldDescriptor* key = field->message_type()->map_key();
        std::string text;
        if (key->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
          text = entry.GetReflection()->GetString(entry, key);
        } else {
          google::protobuf::TextFormat::PrintFieldValueToString(entry, key, -1, &text);
        }
        entries.emplace_back(std::move(text), &entry);
      }
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      Map();
      for (const auto& [k, entry] : entries) {
        Key(k);
        Field(*entry, field->message_type()->map_value(), -1);
      }
      EndMap();
    } else if (field->is_repeated()) {
      Seq();
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) Field(message, field, i);
      EndSeq();
    } else {
      Field(message, field, -1);
    }
  }
  return EndMap();
}

// One value of `field` (element `index` of a repeated field, or the field when -1).
void Doc::Field(const google::protobuf::Message& message,
                const google::protobuf::FieldDescriptor* field, int index) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = message.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      Str(rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      e_ << YAML::TrueFalseBool
         << (rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      e_ << (rep ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      e_ << (rep ? r->GetRepeatedUInt32(message, field, index) : r->GetUInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      e_ << (rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      e_ << (rep ? r->GetRepeatedUInt64(message, field, index) : r->GetUInt64(message, field));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      e_ << ShortestDouble(rep ? r->GetRepeatedDouble(message, field, index)
                               : r->GetDouble(message, field));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      e_ << ShortestDouble(rep ? r->GetRepeatedFloat(message, field, index)
                               : r->GetFloat(message, field));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      Str((rep ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))->name());
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      Message(rep ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field));
      break;
  }
}

std::string Doc::Text(const std::string& comment) const {
  return absl::StrCat(comment, e_.c_str(), "\n");
}

std::map<std::string, std::string> Sorted(
    const google::protobuf::Map<std::string, std::string>& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

void Header(Doc& d, const std::string& api_version, const std::string& kind,
            const std::string& name, const std::string& ns) {
  d.Map().KV("apiVersion", api_version).KV("kind", kind);
  d.Key("metadata").Map().KV("name", name).KV("namespace", ns);
  d.Key("labels").Map().KV("app.kubernetes.io/managed-by", "edgekit").EndMap();
  d.EndMap();
}

void BeginInsertBeforeRouter(Doc& d, const std::string& filter_name) {
  d.Map();
  d.KV("applyTo", "HTTP_FILTER");
  d.Key("match").Map().KV("context", "GATEWAY");
  d.Key("listener").Map().Key("filterChain").Map().Key("filter").Map();
  d.KV("name", "envoy.filters.network.http_connection_manager");
  d.Key("subFilter").Map().KV("name", "envoy.filters.http.router").EndMap();
  d.EndMap().EndMap().EndMap();  // filter, filterChain, listener
  d.EndMap();                    // match
  d.Key("patch").Map().KV("operation", "INSERT_BEFORE");
  d.Key("value").Map().KV("name", filter_name);
}

void EndInsertBeforeRouter(Doc& d) {
  d.EndMap().EndMap();  // value, patch
  d.EndMap();           // the configPatches item
}

}  // namespace edgekit::cli
