#include "cli/explain/path_template.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace edgekit::cli::explain {
namespace {

absl::Status TemplateError(absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", what));
}

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A recursive-descent parser over the grammar in the header.
class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<PathTemplate> Run() {
    if (text_.empty() || text_[0] != '/') return TemplateError(text_, "must start with '/'");
    ++pos_;
    PathTemplate t;
    if (text_ == "/") return t;
    if (absl::Status s = Segments(&t, /*in_variable=*/false); !s.ok()) return s;
    if (pos_ < text_.size() && text_[pos_] == ':') {
      ++pos_;
      t.verb = Literal();
      if (t.verb.empty()) return TemplateError(text_, "empty custom verb after ':'");
    }
    if (pos_ != text_.size()) {
      return TemplateError(text_,
                           absl::StrCat("unexpected '", text_.substr(pos_, 1), "' at ", pos_ + 1));
    }
    // Only literal segments may follow `**` (http.proto; the library refuses the rest).
    bool after_double = false;
    for (const PathTemplate::Segment& s : t.segments) {
      if (after_double && s.kind != PathTemplate::Kind::kLiteral) {
        return TemplateError(text_, "only literal segments may follow '**'");
      }
      after_double = after_double || s.kind == PathTemplate::Kind::kDoubleStar;
    }
    return t;
  }

 private:
  std::string Literal() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '/' && text_[pos_] != ':' && text_[pos_] != '}' &&
           text_[pos_] != '{') {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::Status Segments(PathTemplate* t, bool in_variable) {
    while (true) {
      if (absl::Status s = Segment(t, in_variable); !s.ok()) return s;
      if (pos_ < text_.size() && text_[pos_] == '/') {
        ++pos_;
        continue;
      }
      return absl::OkStatus();
    }
  }

  absl::Status Segment(PathTemplate* t, bool in_variable) {
    if (text_.substr(pos_, 2) == "**") {
      pos_ += 2;
      t->segments.push_back({PathTemplate::Kind::kDoubleStar, ""});
      return absl::OkStatus();
    }
    if (text_.substr(pos_, 1) == "*") {
      ++pos_;
      t->segments.push_back({PathTemplate::Kind::kStar, ""});
      return absl::OkStatus();
    }
    if (text_.substr(pos_, 1) == "{") {
      if (in_variable) return TemplateError(text_, "a variable inside a variable");
      return Variable(t);
    }
    std::string literal = Literal();
    if (literal.empty()) {
      return TemplateError(text_, absl::StrCat("empty segment at ", pos_ + 1));
    }
    t->segments.push_back({PathTemplate::Kind::kLiteral, std::move(literal)});
    return absl::OkStatus();
  }

  absl::Status Variable(PathTemplate* t) {
    ++pos_;  // '{'
    const size_t start = pos_;
    while (pos_ < text_.size() && (IsIdentChar(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    PathTemplate::Variable v;
    v.field_path = std::string(text_.substr(start, pos_ - start));
    if (v.field_path.empty() || v.field_path.front() == '.' || v.field_path.back() == '.' ||
        v.field_path.find("..") != std::string::npos) {
      return TemplateError(text_, absl::StrCat("bad field path at ", start + 1));
    }
    v.first = t->segments.size();
    if (pos_ < text_.size() && text_[pos_] == '=') {
      ++pos_;
      if (absl::Status s = Segments(t, /*in_variable=*/true); !s.ok()) return s;
    } else {
      t->segments.push_back({PathTemplate::Kind::kStar, ""});
    }
    if (pos_ >= text_.size() || text_[pos_] != '}') {
      return TemplateError(text_, absl::StrCat("variable \"", v.field_path, "\" is not closed"));
    }
    ++pos_;
    v.count = t->segments.size() - v.first;
    t->variables.push_back(std::move(v));
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  return Parser(text).Run();
}

RequestPathParts SplitRequestPath(absl::string_view path, const std::set<std::string>& verbs) {
  RequestPathParts parts;
  path = path.substr(0, path.find('?'));
  const size_t colon = path.rfind(':');
  const size_t slash = path.rfind('/');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    std::string verb(path.substr(colon + 1));
    if (verbs.count(verb) > 0) {
      parts.verb = std::move(verb);
      path = path.substr(0, colon);
    }
  }
  if (path.empty() || path == "/") return parts;
  if (path[0] == '/') path.remove_prefix(1);
  for (absl::string_view s : absl::StrSplit(path, '/')) parts.segments.emplace_back(s);
  // Trailing empty segments are dropped ("/v1/books/" is "/v1/books"); empty ones
  // inside ("/v1//books") stay, and match no template segment.
  while (!parts.segments.empty() && parts.segments.back().empty()) parts.segments.pop_back();
  return parts;
}

struct TemplateMatcher::Node {
  std::map<std::string, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> star;
  std::unique_ptr<Node> double_star;
  bool is_double_star = false;  // this node is a `**`: it consumes further segments itself
  // Keyed as the library keys them (path_matcher_node.cc): HTTP method + custom verb,
  // looked up with the request's, then "*" alone (a `*` binding without a verb answers
  // any method and any verb; one with a verb is never found).
  std::map<std::string, int> results;

  const int* Result(const std::string& verb, absl::string_view method) const {
    auto it = results.find(absl::StrCat(method, verb));
    if (it == results.end()) it = results.find("*");
    return it == results.end() ? nullptr : &it->second;
  }

  const int* Lookup(const RequestPathParts& parts, size_t i, absl::string_view method) const {
    if (i == parts.segments.size()) {
      if (const int* r = Result(parts.verb, method)) return r;
      // `**` also matches no segment at the end ("/v1/**" matches "/v1").
      return double_star != nullptr ? double_star->Result(parts.verb, method) : nullptr;
    }
    auto lit = literals.find(parts.segments[i]);
    if (lit != literals.end()) {
      if (const int* r = lit->second->Lookup(parts, i + 1, method)) return r;
    }
    if (!is_double_star && star != nullptr) {
      if (const int* r = star->Lookup(parts, i + 1, method)) return r;
    }
    const Node* next = is_double_star ? this : double_star.get();
    return next != nullptr ? next->Lookup(parts, i + 1, method) : nullptr;
  }
};

TemplateMatcher::TemplateMatcher() : root_(std::make_unique<Node>()) {}
TemplateMatcher::~TemplateMatcher() = default;
TemplateMatcher::TemplateMatcher(TemplateMatcher&&) noexcept = default;
TemplateMatcher& TemplateMatcher::operator=(TemplateMatcher&&) noexcept = default;

absl::Status TemplateMatcher::Add(absl::string_view http_method, absl::string_view path_template,
                                  int id) {
  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(path_template);
  if (!parsed.ok()) return parsed.status();
  Node* node = root_.get();
  for (const PathTemplate::Segment& s : parsed->segments) {
    switch (s.kind) {
      case PathTemplate::Kind::kLiteral: {
        std::unique_ptr<Node>& child = node->literals[s.literal];
        if (child == nullptr) child = std::make_unique<Node>();
        node = child.get();
        break;
      }
      case PathTemplate::Kind::kStar:
        if (node->star == nullptr) node->star = std::make_unique<Node>();
        node = node->star.get();
        break;
      case PathTemplate::Kind::kDoubleStar:
        if (node->double_star == nullptr) {
          node->double_star = std::make_unique<Node>();
          node->double_star->is_double_star = true;
        }
        node = node->double_star.get();
        break;
    }
  }
  auto [it, inserted] =
      node->results.try_emplace(absl::StrCat(http_method, parsed->verb), bindings_.size());
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat(http_method, " ", path_template, " is bound twice"));
  }
  if (!parsed->verb.empty()) verbs_.insert(parsed->verb);
  bindings_.push_back({*std::move(parsed), id});
  return absl::OkStatus();
}

std::optional<TemplateMatcher::Match> TemplateMatcher::Lookup(absl::string_view http_method,
                                                              absl::string_view path) const {
  const RequestPathParts parts = SplitRequestPath(path, verbs_);
  const int* index = root_->Lookup(parts, 0, http_method);
  if (index == nullptr) return std::nullopt;
  const Binding& binding = bindings_[static_cast<size_t>(*index)];
  Match match;
  match.id = binding.id;
  // Where each template segment lands: a `**` takes what the literals after it leave.
  const size_t n = parts.segments.size();
  const size_t t = binding.parsed.segments.size();
  std::vector<size_t> start(t + 1, 0);
  size_t at = 0;
  for (size_t k = 0; k < t; ++k) {
    start[k] = at;
    at += binding.parsed.segments[k].kind == PathTemplate::Kind::kDoubleStar ? n + 1 - t : 1;
  }
  start[t] = n;
  for (const PathTemplate::Variable& v : binding.parsed.variables) {
    std::vector<absl::string_view> taken;
    for (size_t i = start[v.first]; i < start[v.first + v.count] && i < n; ++i) {
      taken.push_back(parts.segments[i]);
    }
    match.variables.emplace_back(v.field_path, absl::StrJoin(taken, "/"));
  }
  return match;
}

}  // namespace edgekit::cli::explain
