#include "cli/render/direct_response/string_match.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace edgekit::cli::direct_response_internal {

bool Matches(const StringMatch& m, absl::string_view value) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return value == m.value;
    case StringMatch::Kind::kPrefix:
      return absl::StartsWith(value, m.value);
    case StringMatch::Kind::kRegex: {
      RE2 re(m.value);
      return re.ok() && RE2::FullMatch(re2::StringPiece(value.data(), value.size()), re);
    }
  }
  return false;
}

bool Implies(const StringMatch& a, const StringMatch& b) {
  if (a == b) return true;
  if (a.kind == StringMatch::Kind::kExact) return Matches(b, a.value);
  if (a.kind == StringMatch::Kind::kPrefix && b.kind == StringMatch::Kind::kPrefix) {
    return absl::StartsWith(a.value, b.value);
  }
  return false;
}

std::string Describe(const StringMatch& m) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return absl::StrCat("exact \"", m.value, "\"");
    case StringMatch::Kind::kPrefix:
      return absl::StrCat("prefix \"", m.value, "\"");
    case StringMatch::Kind::kRegex:
      return absl::StrCat("regex \"", m.value, "\"");
  }
  return "";
}

std::string ToRegex(const StringMatch& m) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return RE2::QuoteMeta(m.value);
    case StringMatch::Kind::kPrefix:
      return absl::StrCat(RE2::QuoteMeta(m.value), "(?s:.*)");
    case StringMatch::Kind::kRegex:
      return absl::StrCat("(?:", m.value, ")");
  }
  return "";
}

}  // namespace edgekit::cli::direct_response_internal
