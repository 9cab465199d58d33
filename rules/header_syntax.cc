#include "rules/header_syntax.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/syntax.h"

namespace edgekit::rules {

std::string HeaderNameProblem(const std::string& name) {
  if (name.empty()) return "required: a header name such as \"x-foo\"";
  if (name.front() == ':') {
    return absl::StrCat("\"", name,
                        "\": pseudo-headers cannot be tested here; use `path` or `method`");
  }
  if (!IsHttpToken(name)) return absl::StrCat("\"", name, "\" is not a valid HTTP header name");
  if (name != absl::AsciiStrToLower(name)) {
    return absl::StrCat("\"", name, "\" must be lowercase (Istio matches lowercase names): \"",
                        absl::AsciiStrToLower(name), "\"");
  }
  if (name == "uri" || name == "scheme" || name == "method" || name == "authority") {
    return absl::StrCat("\"", name,
                        "\": Istio documents that a header match on this key is ignored");
  }
  return "";
}

bool IsHeaderValue(const std::string& v) {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace edgekit::rules
