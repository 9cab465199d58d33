// The CEL parser: recursive descent over cel-spec's grammar (langdef.md "Syntax"), with
// the macros (has, all, exists, exists_one, filter, map) expanded into their own nodes and
// every name resolved, so that Compile names what this evaluator cannot run.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "cli/validate/cel/ast.h"
#include "cli/validate/cel/lexer.h"
#include "cli/validate/cel/value_internal.h"

namespace edgekit::cli::cel {
namespace {

// cel-go's parser limits (parser.MaxRecursionDepth, expression size in Kubernetes).
constexpr size_t kMaxExpressionBytes = 100000;
constexpr int kMaxDepth = 250;

using ExprPtr = std::unique_ptr<Expr>;

bool IsReserved(absl::string_view word) {
  static const auto* const kReserved = new absl::flat_hash_set<std::string>{
      "as",  "break", "const",   "continue",  "else",   "for", "function", "if",    "import",
      "let", "loop",  "package", "namespace", "return", "var", "void",     "while", "in"};
  return kReserved->contains(std::string(word));
}

bool IsTypeName(absl::string_view word) {
  return word == "int" || word == "uint" || word == "double" || word == "string" ||
         word == "bool" || word == "bytes" || word == "list" || word == "map" ||
         word == "null_type" || word == "type";
}

class Parser {
 public:
  Parser(absl::string_view src, std::vector<Token> tokens)
      : src_(src), tokens_(std::move(tokens)) {}

  absl::StatusOr<ParsedExpr> Run() {
    ExprPtr root = ParseExpr();
    if (status_.ok() && Peek().kind != Token::Kind::kEof) Fail(Peek().position, "unexpected token");
    if (!status_.ok()) return status_;
    ParsedExpr out;
    out.root = std::move(root);
    out.uses_old_self = uses_old_self_;
    out.slots = 2 + max_scope_;
    return out;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  bool IsPunct(absl::string_view p, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == Token::Kind::kPunct && t.text == p;
  }
  bool Accept(absl::string_view p) {
    if (!IsPunct(p)) return false;
    ++pos_;
    return true;
  }
  bool Expect(absl::string_view p) {
    if (Accept(p)) return true;
    Fail(Peek().position, absl::StrCat("expected '", p, "'"));
    return false;
  }
  // Keeps the first error; the parse unwinds returning placeholder nodes.
  ExprPtr Fail(int position, absl::string_view message) {
    if (status_.ok()) status_ = SyntaxError(src_, position, message);
    return Node(Expr::Kind::kConst, position);
  }
  ExprPtr Unsupported(absl::string_view what, absl::string_view name) {
    if (status_.ok()) {
      status_ = absl::UnimplementedError(absl::StrCat("unsupported ", what, " '", name, "'"));
    }
    return Node(Expr::Kind::kConst, 0);
  }
  ExprPtr Node(Expr::Kind kind, int position) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->position = position;
    return e;
  }
  // Sets depth from the children and enforces the nesting limit on the tree itself, so
  // long operator chains (a.b.c..., !!!x, 1+1+...) are bounded as well as parentheses.
  ExprPtr Finish(ExprPtr e) {
    int d = 0;
    if (e->target) d = e->target->depth;
    for (const auto& a : e->args) d = std::max(d, a->depth);
    e->depth = d + 1;
    if (e->depth > kMaxDepth) {
      return Fail(e->position, absl::StrCat("expression nesting exceeds ", kMaxDepth));
    }
    return e;
  }
  ExprPtr MakeOp(Op op, int position, std::vector<ExprPtr> args) {
    ExprPtr e = Node(Expr::Kind::kOp, position);
    e->op = op;
    e->args = std::move(args);
    return Finish(std::move(e));
  }
  ExprPtr Binary(Op op, int position, ExprPtr a, ExprPtr b) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return MakeOp(op, position, std::move(args));
  }

  // Recursion guard for the descent itself (parentheses, brackets, calls).
  struct DepthGuard {
    explicit DepthGuard(Parser* p) : parser(p) { ++parser->recursion_; }
    ~DepthGuard() { --parser->recursion_; }
    Parser* parser;
  };

  ExprPtr ParseExpr() {
    DepthGuard guard(this);
    if (recursion_ > kMaxDepth) {
      return Fail(Peek().position, absl::StrCat("expression nesting exceeds ", kMaxDepth));
    }
    ExprPtr cond = ParseLogical(true);
    if (!status_.ok()) return cond;
    if (IsPunct("?")) {
      int at = Peek().position;
      ++pos_;
      ExprPtr a = ParseLogical(true);
      if (!Expect(":")) return a;
      ExprPtr b = ParseExpr();
      std::vector<ExprPtr> args;
      args.push_back(std::move(cond));
      args.push_back(std::move(a));
      args.push_back(std::move(b));
      return MakeOp(Op::kCond, at, std::move(args));
    }
    return cond;
  }

  // `||` (or_level) over `&&` over relations. A chain is built as a balanced tree, as
  // cel-go's parser does, so a long chain does not count against the nesting limit.
  ExprPtr ParseLogical(bool or_level) {
    const char* op = or_level ? "||" : "&&";
    std::vector<ExprPtr> terms;
    std::vector<int> positions;
    terms.push_back(or_level ? ParseLogical(false) : ParseRelation());
    while (status_.ok() && IsPunct(op)) {
      positions.push_back(Peek().position);
      ++pos_;
      terms.push_back(or_level ? ParseLogical(false) : ParseRelation());
    }
    if (!status_.ok() || terms.size() == 1) return std::move(terms[0]);
    return Balance(or_level ? Op::kOr : Op::kAnd, terms, positions, 0, terms.size());
  }
  ExprPtr Balance(Op op, std::vector<ExprPtr>& terms, const std::vector<int>& positions, size_t lo,
                  size_t hi) {
    if (hi - lo == 1) return std::move(terms[lo]);
    size_t mid = (lo + hi) / 2;
    ExprPtr left = Balance(op, terms, positions, lo, mid);
    ExprPtr right = Balance(op, terms, positions, mid, hi);
    return Binary(op, positions[mid - 1], std::move(left), std::move(right));
  }

  ExprPtr ParseRelation() {
    ExprPtr left = ParseAddition();
    while (status_.ok()) {
      const Token& t = Peek();
      Op op;
      if (t.kind == Token::Kind::kIdent && t.text == "in") {
        op = Op::kIn;
      } else if (t.kind != Token::Kind::kPunct) {
        break;
      } else if (t.text == "==") {
        op = Op::kEq;
      } else if (t.text == "!=") {
        op = Op::kNe;
      } else if (t.text == "<") {
        op = Op::kLt;
      } else if (t.text == "<=") {
        op = Op::kLe;
      } else if (t.text == ">") {
        op = Op::kGt;
      } else if (t.text == ">=") {
        op = Op::kGe;
      } else {
        break;
      }
      int at = t.position;
      ++pos_;
      left = Binary(op, at, std::move(left), ParseAddition());
    }
    return left;
  }

  ExprPtr ParseAddition() {
    ExprPtr left = ParseMultiplication();
    while (status_.ok() && (IsPunct("+") || IsPunct("-"))) {
      Op op = IsPunct("+") ? Op::kAdd : Op::kSub;
      int at = Peek().position;
      ++pos_;
      left = Binary(op, at, std::move(left), ParseMultiplication());
    }
    return left;
  }

  ExprPtr ParseMultiplication() {
    ExprPtr left = ParseUnary();
    while (status_.ok() && (IsPunct("*") || IsPunct("/") || IsPunct("%"))) {
      Op op = IsPunct("*") ? Op::kMul : (IsPunct("/") ? Op::kDiv : Op::kMod);
      int at = Peek().position;
      ++pos_;
      left = Binary(op, at, std::move(left), ParseUnary());
    }
    return left;
  }

  ExprPtr ParseUnary() {
    if (IsPunct("!") || IsPunct("-")) {
      bool is_not = IsPunct("!");
      int at = Peek().position;
      int count = 0;
      while (IsPunct(is_not ? "!" : "-")) {
        ++pos_;
        ++count;
      }
      ExprPtr operand;
      // A negative int literal is one constant (so -9223372036854775808 is in range).
      if (!is_not && Peek().kind == Token::Kind::kInt && !IsMemberOpAt(1)) {
        const Token& lit = Peek();
        if (lit.u > static_cast<uint64_t>(INT64_MAX) + 1) {
          return Fail(lit.position, "integer literal out of range");
        }
        ++pos_;
        operand = Node(Expr::Kind::kConst, lit.position);
        operand->value = Value::Int(static_cast<int64_t>(0 - lit.u));
        --count;
      } else {
        operand = ParseMember();
      }
      for (int k = 0; k < count && status_.ok(); ++k) {
        std::vector<ExprPtr> args;
        args.push_back(std::move(operand));
        operand = MakeOp(is_not ? Op::kNot : Op::kNeg, at, std::move(args));
      }
      return operand;
    }
    return ParseMember();
  }
  bool IsMemberOpAt(size_t ahead) const { return IsPunct(".", ahead) || IsPunct("[", ahead); }

  ExprPtr ParseMember() {
    ExprPtr e = ParsePrimary();
    while (status_.ok()) {
      if (IsPunct(".")) {
        int at = Peek().position;
        ++pos_;
        if (IsPunct("?")) return Unsupported("syntax", ".?");
        const Token& name = Peek();
        if (name.kind != Token::Kind::kIdent) return Fail(name.position, "expected a field name");
        std::string field = name.text;
        ++pos_;
        if (IsPunct("(")) {
          ++pos_;
          if (IsMacroName(field) && Peek().kind == Token::Kind::kIdent && IsPunct(",", 1)) {
            e = ParseMacro(std::move(e), field, at);
          } else {
            e = Call(field, at, std::move(e), ParseArgs(")"));
          }
        } else {
          ExprPtr s = Node(Expr::Kind::kSelect, at);
          s->name = field;
          s->target = std::move(e);
          e = Finish(std::move(s));
        }
      } else if (IsPunct("[")) {
        int at = Peek().position;
        ++pos_;
        if (IsPunct("?")) return Unsupported("syntax", "[?");
        ExprPtr index = ParseExpr();
        Expect("]");
        e = Binary(Op::kIndex, at, std::move(e), std::move(index));
      } else {
        break;
      }
    }
    return e;
  }

  std::vector<ExprPtr> ParseArgs(absl::string_view close) {
    std::vector<ExprPtr> args;
    if (Accept(close)) return args;
    while (status_.ok()) {
      args.push_back(ParseExpr());
      if (Accept(",")) {
        if (close != ")" && Accept(close)) break;  // trailing comma in list literals
        continue;
      }
      Expect(close);
      break;
    }
    return args;
  }

  ExprPtr ParsePrimary() {
    const Token& t = Peek();
    int at = t.position;
    switch (t.kind) {
      case Token::Kind::kEof:
        return Fail(at, "unexpected end of expression");
      case Token::Kind::kInt: {
        if (t.u > static_cast<uint64_t>(INT64_MAX)) return Fail(at, "integer literal out of range");
        ExprPtr e = Node(Expr::Kind::kConst, at);
        e->value = Value::Int(static_cast<int64_t>(t.u));
        ++pos_;
        return e;
      }
      case Token::Kind::kUint:
      case Token::Kind::kDouble:
      case Token::Kind::kString:
      case Token::Kind::kBytes: {
        ExprPtr e = Node(Expr::Kind::kConst, at);
        e->value = t.kind == Token::Kind::kUint     ? Value::Uint(t.u)
                   : t.kind == Token::Kind::kDouble ? Value::Double(t.d)
                   : t.kind == Token::Kind::kString ? Value::String(t.text)
                                                    : Value::Bytes(t.text);
        ++pos_;
        return e;
      }
      case Token::Kind::kIdent:
        return ParseIdent();
      case Token::Kind::kPunct:
        break;
    }
    if (Accept("(")) {
      ExprPtr e = ParseExpr();
      Expect(")");
      return e;
    }
    if (Accept("[")) {
      ExprPtr e = Node(Expr::Kind::kList, at);
      e->args = ParseArgs("]");
      return Finish(std::move(e));
    }
    if (Accept("{")) {
      ExprPtr e = Node(Expr::Kind::kMap, at);
      while (status_.ok() && !Accept("}")) {
        if (IsPunct("?")) return Unsupported("syntax", "?key");
        e->args.push_back(ParseExpr());
        if (!Expect(":")) break;
        e->args.push_back(ParseExpr());
        if (!Accept(",")) {
          Expect("}");
          break;
        }
      }
      return Finish(std::move(e));
    }
    if (IsPunct(".") && Peek(1).kind == Token::Kind::kIdent) {
      return Unsupported("syntax", "leading '.' identifier");
    }
    return Fail(at, absl::StrCat("unexpected '", t.text, "'"));
  }

  ExprPtr ParseIdent() {
    const Token& t = Peek();
    int at = t.position;
    std::string name = t.text;
    ++pos_;
    if (name == "true" || name == "false" || name == "null") {
      ExprPtr e = Node(Expr::Kind::kConst, at);
      e->value = name == "null" ? Value::Null() : Value::Bool(name == "true");
      return e;
    }
    if (IsReserved(name)) return Fail(at, absl::StrCat("reserved identifier '", name, "'"));
    if (IsPunct("(")) {
      ++pos_;
      std::vector<ExprPtr> args = ParseArgs(")");
      return GlobalCall(name, at, std::move(args));
    }
    if (IsPunct("{")) return Unsupported("message construction", name);
    // A namespaced function of the strings extension: strings.quote(s); as in cel-go's checker, the
    // namespaced function wins over a variable of the same name.
    if (name == "strings" && IsPunct(".") && Peek(1).kind == Token::Kind::kIdent &&
        Peek(1).text == "quote" && IsPunct("(", 2)) {
      pos_ += 3;
      return GlobalCall("strings.quote", at, ParseArgs(")"));
    }
    // Comprehension variables shadow self/oldSelf (innermost first).
    for (size_t k = scope_.size(); k-- > 0;) {
      if (scope_[k] == name) {
        ExprPtr e = Node(Expr::Kind::kIdent, at);
        e->slot = 2 + static_cast<int>(k);
        e->name = name;
        return e;
      }
    }
    if (name == "self" || name == "oldSelf") {
      if (name == "oldSelf") uses_old_self_ = true;
      ExprPtr e = Node(Expr::Kind::kIdent, at);
      e->slot = name == "self" ? 0 : 1;
      e->name = name;
      return e;
    }
    if (IsTypeName(name)) {
      ExprPtr e = Node(Expr::Kind::kConst, at);
      e->value = MakeType(name);
      return e;
    }
    return Unsupported("variable", name);
  }

  ExprPtr GlobalCall(const std::string& name, int at, std::vector<ExprPtr> args) {
    if (!status_.ok()) return Node(Expr::Kind::kConst, at);
    if (name == "has") {
      if (args.size() != 1 || args[0]->kind != Expr::Kind::kSelect) {
        return Fail(at, "invalid argument to has() macro");
      }
      args[0]->test_only = true;
      return std::move(args[0]);
    }
    return Call(name, at, nullptr, std::move(args));
  }

  ExprPtr Call(const std::string& name, int at, ExprPtr target, std::vector<ExprPtr> args) {
    Function fn = LookupFunction(name);
    if (fn == nullptr) return Unsupported("function", name);
    ExprPtr e = Node(Expr::Kind::kCall, at);
    e->name = name;
    e->fn = fn;
    e->target = std::move(target);
    e->args = std::move(args);
    // A literal pattern is compiled once, here; an invalid one stays a per-call error.
    if (name == "matches" && !e->args.empty() && e->args.back()->kind == Expr::Kind::kConst &&
        e->args.back()->value.kind() == Value::Kind::kString) {
      const std::string& pattern = e->args.back()->value.string_value();
      auto re = std::make_shared<RE2>(re2::StringPiece(pattern.data(), pattern.size()), RE2::Quiet);
      if (re->ok()) e->regex = std::move(re);
    }
    return Finish(std::move(e));
  }

  static bool IsMacroName(absl::string_view name) {
    return name == "all" || name == "exists" || name == "exists_one" || name == "filter" ||
           name == "map";
  }

  // target.macro(var, ...): pos_ is after '('. The variable is in scope for the rest of
  // the arguments (cel-spec "Macros"); the range (target) was parsed outside it.
  ExprPtr ParseMacro(ExprPtr target, const std::string& name, int at) {
    std::string var = Peek().text;
    if (IsReserved(var)) return Fail(Peek().position, "reserved identifier as macro variable");
    pos_ += 2;  // identifier and ','
    scope_.push_back(var);
    max_scope_ = std::max(max_scope_, static_cast<int>(scope_.size()));
    std::vector<ExprPtr> args = ParseArgs(")");
    scope_.pop_back();
    if (!status_.ok()) return target;
    size_t max_args = name == "map" ? 2 : 1;
    if (args.empty() || args.size() > max_args) {
      return Fail(at, absl::StrCat("wrong number of arguments to macro '", name, "'"));
    }
    ExprPtr e = Node(Expr::Kind::kMacro, at);
    e->name = name;
    e->macro = name == "all"          ? Macro::kAll
               : name == "exists"     ? Macro::kExists
               : name == "exists_one" ? Macro::kExistsOne
               : name == "filter"     ? Macro::kFilter
                                      : Macro::kMap;
    e->slot = 2 + static_cast<int>(scope_.size());
    e->target = std::move(target);
    e->args = std::move(args);
    return Finish(std::move(e));
  }

  absl::string_view src_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int recursion_ = 0;
  absl::Status status_;
  std::vector<std::string> scope_;
  int max_scope_ = 0;
  bool uses_old_self_ = false;
};

}  // namespace

absl::StatusOr<ParsedExpr> Parse(absl::string_view text) {
  if (text.size() > kMaxExpressionBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expression is ", text.size(), " bytes, over the limit of ", kMaxExpressionBytes));
  }
  absl::StatusOr<std::vector<Token>> tokens = Lex(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(text, *std::move(tokens)).Run();
}

}  // namespace edgekit::cli::cel
