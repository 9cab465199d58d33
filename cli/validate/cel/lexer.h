// Splits CEL source into tokens (cel-spec langdef.md "Lexical structure"): identifiers,
// number, string and bytes literals with their escapes decoded, and punctuation.
#ifndef EDGEKIT_CLI_VALIDATE_CEL_LEXER_H_
#define EDGEKIT_CLI_VALIDATE_CEL_LEXER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgekit::cli::cel {

struct Token {
  enum class Kind { kEof, kIdent, kInt, kUint, kDouble, kString, kBytes, kPunct };
  Kind kind = Kind::kEof;
  int position = 0;  // byte offset in the source
  std::string text;  // identifier, punctuation, or the decoded string/bytes literal
  uint64_t u = 0;    // int (magnitude; the parser folds a leading '-') and uint literals
  double d = 0;
};

// "Syntax error at column N: message" (with the line too when the source has several).
absl::Status SyntaxError(absl::string_view source, int position, absl::string_view message);

absl::StatusOr<std::vector<Token>> Lex(absl::string_view source);

}  // namespace edgekit::cli::cel

#endif  // EDGEKIT_CLI_VALIDATE_CEL_LEXER_H_
