// A recursive-descent parser of the path template grammar (see http_rule_check.h); it
// only accepts or rejects: the transcoder does the matching.
#include "cli/proto/http_rule_check.h"

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace edgekit::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;

bool IsIdent(absl::string_view s) {
  if (s.empty() || !(absl::ascii_isalpha(s[0]) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(c) || c == '_')) return false;
  }
  return true;
}

// Resolves a dotted field path; the last field is returned, or an error naming the part
// that does not resolve.
absl::StatusOr<const FieldDescriptor*> ResolveField(absl::string_view path,
                                                    const Descriptor& message) {
  const Descriptor* current = &message;
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (!IsIdent(part)) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\" is not a field path (identifiers joined by '.')"));
    }
    if (current == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", path, "\": ", field->full_name(), " is not a message, it has no \"", part, "\""));
    }
    if (field != nullptr && field->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\": ", field->full_name(), " is repeated"));
    }
    field = current->FindFieldByName(std::string(part));
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", path, "\": ", current->full_name(), " has no field \"", part, "\""));
    }
    current =
        field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ? field->message_type() : nullptr;
  }
  return field;
}

class TemplateParser {
 public:
  TemplateParser(absl::string_view text, const Descriptor& request)
      : text_(text), request_(request) {}

  absl::Status Parse() {
    if (text_.empty() || text_[0] != '/') return Error("must start with '/'");
    if (text_ == "/") return absl::OkStatus();
    ++pos_;
    if (absl::Status s = Segments(/*in_variable=*/false); !s.ok()) return s;
    if (Peek() == ':') {
      ++pos_;
      if (Literal().empty()) return Error("':' must be followed by a verb");
    }
    if (pos_ != text_.size()) {
      return Error(absl::StrCat("unexpected '", std::string(1, text_[pos_]), "' at offset ", pos_));
    }
    return absl::OkStatus();
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("path template \"", text_, "\": ", what));
  }

  // Characters up to the next '/', ':' or '}' (the transcoder's own delimiters: '=',
  // '*' and '{' inside a literal are plain characters).
  absl::string_view Literal() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           absl::string_view("/:}").find(text_[pos_]) == absl::string_view::npos)
      ++pos_;
    return text_.substr(start, pos_ - start);
  }

  absl::Status Segments(bool in_variable) {
    while (true) {
      if (absl::Status s = Segment(in_variable); !s.ok()) return s;
      if (Peek() != '/') return absl::OkStatus();
      ++pos_;
    }
  }

  absl::Status Segment(bool in_variable) {
    if (saw_double_wildcard_ && (Peek() == '*' || Peek() == '{')) {
      return Error("only literal segments may follow '**'");
    }
    if (Peek() == '*') {
      ++pos_;
      if (Peek() == '*') {
        ++pos_;
        saw_double_wildcard_ = true;
      }
      return absl::OkStatus();
    }
    if (Peek() == '{') {
      if (in_variable) return Error("a variable cannot contain another variable");
      return Variable();
    }
    if (Literal().empty()) {
      return Error(pos_ < text_.size() ? absl::StrCat("unexpected '", std::string(1, text_[pos_]),
                                                      "' at offset ", pos_)
                                       : std::string("empty segment at the end"));
    }
    return absl::OkStatus();
  }

  absl::Status Variable() {
    ++pos_;  // '{'
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(text_[pos_]) || text_[pos_] == '_' || text_[pos_] == '.')) {
      ++pos_;
    }
    const absl::string_view field_path = text_.substr(start, pos_ - start);
    absl::StatusOr<const FieldDescriptor*> field = ResolveField(field_path, request_);
    if (!field.ok()) return Error(absl::StrCat("variable ", field.status().message()));
    if ((*field)->is_repeated()) {
      return Error(absl::StrCat("variable \"", field_path,
                                "\" is a repeated or map field; "
                                "path variables must name a single value"));
    }
    if (Peek() == '=') {
      ++pos_;
      if (absl::Status s = Segments(/*in_variable=*/true); !s.ok()) return s;
    }
    if (Peek() != '}')
      return Error(absl::StrCat("variable \"", field_path, "\" is not closed by '}'"));
    ++pos_;
    return absl::OkStatus();
  }

  absl::string_view text_;
  const Descriptor& request_;
  size_t pos_ = 0;
  bool saw_double_wildcard_ = false;
};

}  // namespace

absl::Status CheckPathTemplate(const std::string& path, const Descriptor& request) {
  return TemplateParser(path, request).Parse();
}

absl::Status CheckBodyFields(const std::string& body, const std::string& response_body,
                             const Descriptor& request, const Descriptor& response) {
  if (!body.empty() && body != "*") {
    absl::StatusOr<const FieldDescriptor*> field = ResolveField(body, request);
    if (!field.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("body ", field.status().message(),
                                                     " (body is \"*\" or a field of ",
                                                     request.full_name(), ")"));
    }
  }
  if (!response_body.empty()) {
    absl::StatusOr<const FieldDescriptor*> field = ResolveField(response_body, response);
    if (!field.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("response_body ", field.status().message(),
                                                     " (a field of ", response.full_name(), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
