// The CEL tokenizer: cel-spec langdef.md's lexical grammar (decimal and hex integers,
// `u` suffixes, doubles with exponents, quoted/raw/triple-quoted strings, bytes).
#include "cli/validate/cel/lexer.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace edgekit::cli::cel {
namespace {

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(absl::string_view src) : src_(src) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    while (true) {
      SkipSpaceAndComments();
      Token t;
      t.position = static_cast<int>(pos_);
      if (pos_ >= src_.size()) {
        tokens.push_back(t);
        return tokens;
      }
      char c = src_[pos_];
      absl::Status st;
      if (IsIdentStart(c)) {
        st = Word(t);
      } else if (absl::ascii_isdigit(c) ||
                 (c == '.' && pos_ + 1 < src_.size() && absl::ascii_isdigit(src_[pos_ + 1]))) {
        st = Number(t);
      } else if (c == '"' || c == '\'') {
        st = Quoted(t, false, false);
      } else {
        st = Punct(t);
      }
      if (!st.ok()) return st;
      tokens.push_back(std::move(t));
    }
  }

 private:
  absl::Status Error(size_t at, absl::string_view message) {
    return SyntaxError(src_, static_cast<int>(at), message);
  }

  void SkipSpaceAndComments() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  absl::Status Word(Token& t) {
    size_t start = pos_;
    while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
    absl::string_view word = src_.substr(start, pos_ - start);
    // String and bytes prefixes: r, b, rb, br (any case) right before a quote.
    if (pos_ < src_.size() && (src_[pos_] == '"' || src_[pos_] == '\'') && word.size() <= 2) {
      std::string lower = absl::AsciiStrToLower(word);
      bool raw = lower == "r" || lower == "rb" || lower == "br";
      bool bytes = lower == "b" || lower == "rb" || lower == "br";
      if (raw || bytes) {
        t.position = static_cast<int>(start);
        return Quoted(t, raw, bytes);
      }
    }
    t.kind = Token::Kind::kIdent;
    t.text = std::string(word);
    return absl::OkStatus();
  }

  absl::Status Number(Token& t) {
    size_t start = pos_;
    if (src_[pos_] == '0' && pos_ + 1 < src_.size() &&
        (src_[pos_ + 1] == 'x' || src_[pos_ + 1] == 'X')) {
      pos_ += 2;
      size_t digits = pos_;
      while (pos_ < src_.size() && absl::ascii_isxdigit(src_[pos_])) ++pos_;
      if (pos_ == digits) return Error(start, "malformed hex literal");
      if (!absl::SimpleHexAtoi(src_.substr(digits, pos_ - digits), &t.u)) {
        return Error(start, "integer literal out of range");
      }
      return IntSuffix(t);
    }
    while (pos_ < src_.size() && absl::ascii_isdigit(src_[pos_])) ++pos_;
    bool is_double = false;
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' && absl::ascii_isdigit(src_[pos_ + 1])) {
      is_double = true;
      ++pos_;
      while (pos_ < src_.size() && absl::ascii_isdigit(src_[pos_])) ++pos_;
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t e = pos_ + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
      if (e < src_.size() && absl::ascii_isdigit(src_[e])) {
        is_double = true;
        pos_ = e;
        while (pos_ < src_.size() && absl::ascii_isdigit(src_[pos_])) ++pos_;
      }
    }
    std::string text(src_.substr(start, pos_ - start));
    if (is_double) {
      t.kind = Token::Kind::kDouble;
      t.d = std::strtod(text.c_str(), nullptr);  // overflow gives inf, as cel-go's ParseFloat
      return absl::OkStatus();
    }
    if (!absl::SimpleAtoi(text, &t.u)) return Error(start, "integer literal out of range");
    return IntSuffix(t);
  }

  absl::Status IntSuffix(Token& t) {
    if (pos_ < src_.size() && (src_[pos_] == 'u' || src_[pos_] == 'U')) {
      ++pos_;
      t.kind = Token::Kind::kUint;
    } else {
      t.kind = Token::Kind::kInt;
    }
    if (pos_ < src_.size() && (IsIdentChar(src_[pos_]) || src_[pos_] == '.') &&
        !(src_[pos_] == '.' && pos_ + 1 < src_.size() && IsIdentStart(src_[pos_ + 1]))) {
      return Error(pos_, "malformed number literal");
    }
    return absl::OkStatus();
  }

  // pos_ is at the opening quote.
  absl::Status Quoted(Token& t, bool raw, bool bytes) {
    size_t start = t.position;
    char q = src_[pos_];
    bool triple = pos_ + 2 < src_.size() && src_[pos_ + 1] == q && src_[pos_ + 2] == q;
    pos_ += triple ? 3 : 1;
    std::string out;
    while (true) {
      if (pos_ >= src_.size()) return Error(start, "unterminated string literal");
      char c = src_[pos_];
      if (triple) {
        if (c == q && pos_ + 2 < src_.size() && src_[pos_ + 1] == q && src_[pos_ + 2] == q) {
          pos_ += 3;
          break;
        }
      } else if (c == q) {
        ++pos_;
        break;
      } else if (c == '\n' || c == '\r') {
        return Error(pos_, "newline in string literal");
      }
      if (c == '\\' && !raw) {
        absl::Status st = Escape(out, bytes);
        if (!st.ok()) return st;
        continue;
      }
      out += c;
      ++pos_;
    }
    t.kind = bytes ? Token::Kind::kBytes : Token::Kind::kString;
    t.text = std::move(out);
    return absl::OkStatus();
  }

  absl::Status Escape(std::string& out, bool bytes) {
    size_t at = pos_;
    if (pos_ + 1 >= src_.size()) return Error(at, "unterminated escape sequence");
    char c = src_[pos_ + 1];
    pos_ += 2;
    switch (c) {
      case 'a':
        out += '\a';
        return absl::OkStatus();
      case 'b':
        out += '\b';
        return absl::OkStatus();
      case 'f':
        out += '\f';
        return absl::OkStatus();
      case 'n':
        out += '\n';
        return absl::OkStatus();
      case 'r':
        out += '\r';
        return absl::OkStatus();
      case 't':
        out += '\t';
        return absl::OkStatus();
      case 'v':
        out += '\v';
        return absl::OkStatus();
      case '\\':
      case '\'':
      case '"':
      case '`':
      case '?':
        out += c;
        return absl::OkStatus();
      default:
        break;
    }
    int digits = 0;
    int base = 16;
    if (c == 'x' || c == 'X') {
      digits = 2;
    } else if (c == 'u') {
      digits = 4;
    } else if (c == 'U') {
      digits = 8;
    } else if (c >= '0' && c <= '3') {
      digits = 2;  // three octal digits in all; the first is c
      base = 8;
    } else {
      return Error(at, "invalid escape sequence");
    }
    if (pos_ + digits > src_.size()) return Error(at, "invalid escape sequence");
    uint32_t cp = base == 8 ? static_cast<uint32_t>(c - '0') : 0;
    for (int k = 0; k < digits; ++k) {
      char d = src_[pos_ + k];
      int v = base == 8
                  ? (d >= '0' && d <= '7' ? d - '0' : -1)
                  : (absl::ascii_isxdigit(d) ? std::strtol(std::string(1, d).c_str(), nullptr, 16)
                                             : -1);
      if (v < 0) return Error(at, "invalid escape sequence");
      cp = cp * base + static_cast<uint32_t>(v);
    }
    pos_ += digits;
    if (bytes && (c == 'x' || c == 'X' || base == 8)) {
      out += static_cast<char>(cp);  // one raw byte
      return absl::OkStatus();
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Error(at, "invalid unicode code point in escape sequence");
    }
    AppendUtf8(out, cp);
    return absl::OkStatus();
  }

  absl::Status Punct(Token& t) {
    static const char* const kPuncts[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">",
                                          "!",  "+",  "-",  "*",  "/",  "%",  "?", ":",
                                          ".",  ",",  "(",  ")",  "[",  "]",  "{", "}"};
    for (const char* p : kPuncts) {
      absl::string_view pv(p);
      if (src_.substr(pos_, pv.size()) == pv) {
        t.kind = Token::Kind::kPunct;
        t.text = std::string(pv);
        pos_ += pv.size();
        return absl::OkStatus();
      }
    }
    return Error(pos_, absl::StrCat("unexpected character '", src_.substr(pos_, 1), "'"));
  }

  absl::string_view src_;
  size_t pos_ = 0;
};

}  // namespace

absl::Status SyntaxError(absl::string_view source, int position, absl::string_view message) {
  int line = 1;
  int column = 1;
  for (int i = 0; i < position && i < static_cast<int>(source.size()); ++i) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) {
      ++column;  // columns count code points, as cel-go's do
    }
  }
  if (source.find('\n') == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("Syntax error at column ", column, ": ", message));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Syntax error at line ", line, ", column ", column, ": ", message));
}

absl::StatusOr<std::vector<Token>> Lex(absl::string_view source) { return Lexer(source).Run(); }

}  // namespace edgekit::cli::cel
