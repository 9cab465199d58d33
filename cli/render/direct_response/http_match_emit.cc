#include "cli/render/direct_response/http_match_emit.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "cli/edge/hosts.h"
#include "cli/render/direct_response/string_match.h"

namespace edgekit::cli {
namespace direct_response_internal {

void EmitStringMatch(Doc& d, const std::optional<StringMatch>& m) {
  d.Map();
  if (m.has_value()) {
    switch (m->kind) {
      case StringMatch::Kind::kExact:
        d.KV("exact", m->value);
        break;
      case StringMatch::Kind::kPrefix:
        d.KV("prefix", m->value);
        break;
      case StringMatch::Kind::kRegex:
        d.KV("regex", m->value);
        break;
    }
  }
  d.EndMap();
}

// Negation facts (why a negated header test is two match blocks, each spelled out so it
// means the same on every Istio version):
// - Istio turns `withoutHeaders: {h: m}` into an Envoy HeaderMatcher with
//   invert_match: true (pilot/pkg/networking/core/route/route.go, TranslateRouteMatch),
//   and `{}` into present_match: true, so `withoutHeaders: {h: {}}` means "h absent".
// - Envoy's HeaderUtility::matchHeaders (source/common/http/header_utility.cc): for a
//   MISSING header it returns true with invert_match only for present_match, so without
//   more, `withoutHeaders: {h: {exact: "1"}}` does NOT match a request lacking h.
// - Istio since 1.22 (istio/istio#49537, PR #49540) also sets
//   treat_missing_header_as_empty on value matchers in withoutHeaders: then a missing h
//   is tested as "" and the block DOES match a request lacking h (when m refuses "").
// So "h present and not m" is rendered as headers: {h: {}} plus withoutHeaders: {h: m}
// (the same on both behaviours), and "h absent" as its own block withoutHeaders: {h: {}}.
HttpMatch ToHttpMatch(const Block& b) {
  HttpMatch m;
  m.uri = b.path;
  if (!b.hosts.empty())
    m.authority = StringMatch{StringMatch::Kind::kRegex, AuthorityRegex(b.hosts)};
  m.method = b.method;
  for (const auto& [name, t] : b.headers) {
    if (t.match) {
      m.headers[name] = t.match;
    } else if (t.present || !t.not_match.empty()) {
      m.headers[name] = std::nullopt;
    }
    if (t.absent) m.without_headers[name] = std::nullopt;
    if (t.not_match.size() == 1) {
      m.without_headers[name] = *t.not_match.begin();
    } else if (t.not_match.size() > 1) {
      std::vector<std::string> alternatives;
      for (const StringMatch& n : t.not_match) alternatives.push_back(ToRegex(n));
      m.without_headers[name] =
          StringMatch{StringMatch::Kind::kRegex, absl::StrJoin(alternatives, "|")};
    }
  }
  return m;
}

}  // namespace direct_response_internal

void EmitHttpMatch(Doc& d, const HttpMatch& match) {
  d.Map();
  if (match.uri) {
    d.Key("uri");
    direct_response_internal::EmitStringMatch(d, match.uri);
  }
  if (match.authority) {
    d.Key("authority");
    direct_response_internal::EmitStringMatch(d, match.authority);
  }
  if (match.method) {
    d.Key("method");
    direct_response_internal::EmitStringMatch(d, match.method);
  }
  if (!match.headers.empty()) {
    d.Key("headers").Map();
    for (const auto& [name, m] : match.headers) {
      d.Key(name);
      direct_response_internal::EmitStringMatch(d, m);
    }
    d.EndMap();
  }
  if (!match.without_headers.empty()) {
    d.Key("withoutHeaders").Map();
    for (const auto& [name, m] : match.without_headers) {
      d.Key(name);
      direct_response_internal::EmitStringMatch(d, m);
    }
    d.EndMap();
  }
  d.EndMap();
}

}  // namespace edgekit::cli
