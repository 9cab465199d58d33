#include "rules/header_syntax.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/syntax.h"
#include "re2/re2.h"

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

std::string PathRegexProblem(const std::string& regex) {
  RE2 re(regex, RE2::Quiet);
  std::string min, max;
  if (!re.ok() || !re.PossibleMatchRange(&min, &max, 10)) return "";  // unknown: allow
  // Every match m has min <= m <= max; a path p has "/" <= p < "0".
  if (max < "/" || min >= "0") {
    return absl::StrCat("\"", regex,
                        "\" never matches: a request path starts with \"/\" and every string "
                        "this regex matches starts otherwise (\"/",
                        regex, "\"?)");
  }
  return "";
}

std::string CaseInsensitivePathRegex(const v1::StringCondition& test) {
  if (test.has_exact()) return absl::StrCat("(?i)", RE2::QuoteMeta(test.exact()));
  if (test.has_prefix()) return absl::StrCat("(?i)", RE2::QuoteMeta(test.prefix()), ".*");
  return absl::StrCat("(?i)(?:", test.regex(), ")");
}

std::string RegexLiteralPrefix(const std::string& regex) {
  RE2 re(regex, RE2::Quiet);
  std::string min, max;
  if (!re.ok() || !re.PossibleMatchRange(&min, &max, 64)) return "";
  size_t n = 0;
  while (n < min.size() && n < max.size() && min[n] == max[n]) ++n;
  return min.substr(0, n);
}

}  // namespace edgekit::rules
