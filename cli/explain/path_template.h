// The gRPC-JSON transcoder's request matching, modelled on the library Envoy's
// grpc_json_transcoder filter uses (grpc-ecosystem/grpc-httpjson-transcoding,
// src/path_matcher.cc, path_matcher_node.cc, http_template.cc): every binding's path
// template goes into one trie keyed by segment, and a request is looked up segment by
// segment, trying a literal segment first, then `*`, then `**`, backtracking when a
// branch leads nowhere. So `/v1/shelves/default` matches `/v1/shelves/default` before
// `/v1/shelves/{shelf}` whatever their order in the proto.
//
// Templates (google/api/http.proto):
//   Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;  Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   Verb     = ":" LITERAL ;
// `{var}` is `{var=*}`. A request's last segment is split at its last ':' into segment and
// custom verb only when that verb is one some binding declares (so "/v1/a:b" is one
// segment otherwise); trailing empty segments are dropped ("/v1/a/" is "/v1/a").
// Matching is on the path as received, query string removed, not percent-decoded (the
// library decodes variable values, not the segments it matches). The same method and
// template bound twice make the library answer no match (edgekit refuses that at render).
#ifndef EDGEKIT_CLI_EXPLAIN_PATH_TEMPLATE_H_
#define EDGEKIT_CLI_EXPLAIN_PATH_TEMPLATE_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgekit::cli::explain {

struct PathTemplate {
  enum class Kind { kLiteral, kStar, kDoubleStar };
  struct Segment {
    Kind kind = Kind::kLiteral;
    std::string literal;
  };
  struct Variable {
    std::string field_path;
    size_t first = 0;  // index of its first segment
    size_t count = 0;  // how many segments it spans in the template
  };
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;  // without ':'; "" for none

  // InvalidArgument "path template \"...\": <what>" when `text` breaks the grammar.
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);
};

// The request path split as the library splits it: query string removed, the custom
// verb taken off the last segment when it is in `verbs`.
struct RequestPathParts {
  std::vector<std::string> segments;
  std::string verb;
};
RequestPathParts SplitRequestPath(absl::string_view path, const std::set<std::string>& verbs);

// A set of bindings (HTTP method + template -> an id the caller gives) looked up as the
// transcoder looks them up.
class TemplateMatcher {
 public:
  TemplateMatcher();
  ~TemplateMatcher();
  TemplateMatcher(TemplateMatcher&&) noexcept;
  TemplateMatcher& operator=(TemplateMatcher&&) noexcept;

  // `http_method` is the binding's verb ("GET", ..., a custom kind; "*" matches any).
  // InvalidArgument for a bad template; AlreadyExists when the same method and template
  // are bound already (the library refuses the second one).
  absl::Status Add(absl::string_view http_method, absl::string_view path_template, int id);

  struct Match {
    int id = -1;
    // Path variables bound by the match, field path -> the segments as received, joined
    // by '/' (the library percent-decodes them afterwards).
    std::vector<std::pair<std::string, std::string>> variables;
  };
  std::optional<Match> Lookup(absl::string_view http_method, absl::string_view path) const;

 private:
  struct Node;
  struct Binding {
    PathTemplate parsed;
    int id;
  };
  std::unique_ptr<Node> root_;
  std::vector<Binding> bindings_;
  std::set<std::string> verbs_;
};

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_PATH_TEMPLATE_H_
