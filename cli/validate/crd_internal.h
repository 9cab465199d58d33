// Helpers the files of the CRD validator share (yaml_value, crd_schema, schema_checker,
// object_meta, crd_validator): how values and key paths are written in messages, and the
// nesting cap. One definition here so that every message quotes and every path joins the
// same way, whichever file reports it. Internal to cli/validate/.
#ifndef EDGEKIT_CLI_VALIDATE_CRD_INTERNAL_H_
#define EDGEKIT_CLI_VALIDATE_CRD_INTERNAL_H_

#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgekit::cli::crd {

// YAML aliases can build cyclic or exponentially large graphs; this cap (with the node
// budget of yaml_value.cc) turns both into a finding instead of a stack overflow or an
// endless walk. Real manifests and CRDs are a few dozen levels deep.
inline constexpr int kMaxDepth = 100;

// Values echoed in messages are cut so one bad multi-kilobyte scalar cannot flood a log.
inline constexpr size_t kMaxQuotedChars = 64;

// UTF-8 stays readable; control characters and quotes are escaped.
inline std::string Quote(absl::string_view text) {
  if (text.size() > kMaxQuotedChars) {
    size_t cut = kMaxQuotedChars;  // back to a character boundary, not mid-sequence
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return absl::StrCat("\"", absl::Utf8SafeCHexEscape(text.substr(0, cut)), "...\"");
  }
  return absl::StrCat("\"", absl::Utf8SafeCHexEscape(text), "\"");
}

// "a.b", or `a["x.y"]` when the key would be ambiguous dotted.
inline std::string JoinKey(const std::string& path, absl::string_view key) {
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

inline std::string JoinIndex(const std::string& path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_CRD_INTERNAL_H_
