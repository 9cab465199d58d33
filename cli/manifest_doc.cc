#include "cli/manifest_doc.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace edgekit::cli {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* const kSpecial[] = {"true", "false", "yes", "no", "on", "off",
                                         "null", "~",     "y",   "n"};
  const std::string lower = absl::AsciiStrToLower(s);
  for (const char* word : kSpecial) {
    if (lower == word) return true;
  }
  double number;
  if (absl::SimpleAtod(s, &number)) return true;
  const char first = s.front();
  return absl::ascii_isdigit(first) || first == '.' || first == '-' || first == '+' ||
         first == '@' || first == '*' || first == '&' || first == '!' || first == '%' ||
         s.find(": ") != std::string::npos || s.find(" #") != std::string::npos;
}

Doc::Doc() { e_.SetIndent(2); }

Doc& Doc::Key(const std::string& key) {
  e_ << YAML::Key;
  Str(key);
  e_ << YAML::Value;
  return *this;
}

Doc& Doc::Str(const std::string& s) {
  if (NeedsQuotes(s)) e_ << YAML::DoubleQuoted;
  e_ << s;
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
  Key(key);
  if (value.find('\n') == std::string::npos) return Str(value);
  e_ << YAML::Literal << value;
  return *this;
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

}  // namespace edgekit::cli
