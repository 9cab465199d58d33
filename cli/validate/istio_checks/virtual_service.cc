// The semantic checks of VirtualServices (istio_checks.h): what Istio's webhook refuses
// (errors) and what Envoy would never match (warnings: the cluster accepts them) in
// spec.http[], one route at a time in route order, so that each route's
// findings come together and "can never match" names the route before it that wins.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/validate/istio_checks/check.h"
#include "common/syntax.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::istio {
namespace {

constexpr size_t kBodyWarnBytes = kDirectResponseBodyWarnBytes;
constexpr size_t kBodyMaxBytes = kDirectResponseBodyMaxBytes;

// The pseudo-headers Istio's webhook takes in a header match (RFC 9113 8.3); any other
// name starting with ':' is refused. Istio pkg/config/validation/validation.go,
// ValidateHTTPHeaderNameOrJwtClaimRoute (1.30).
bool IsPseudoHeader(absl::string_view name) {
  return name == ":method" || name == ":scheme" || name == ":authority" || name == ":path" ||
         name == ":status";
}

// A JWT claim route, `@request.auth.claims.<claim>[.<nested>]` or
// `@request.auth.claims[<claim>][<nested>]`: Istio matches it against the request's
// validated token, not a header. The prefix is case-insensitive. Istio pkg/jwt/routing.go,
// ToRoutingClaim (1.30).
bool IsJwtClaimRoute(absl::string_view name) {
  constexpr absl::string_view kPrefix = "@request.auth.claims";
  if (name.size() < kPrefix.size() ||
      !absl::EqualsIgnoreCase(name.substr(0, kPrefix.size()), kPrefix)) {
    return false;
  }
  const absl::string_view rest = name.substr(kPrefix.size());
  if (rest.size() > 1 && rest.front() == '.') return true;
  return rest.size() > 2 && rest.front() == '[' && rest.back() == ']';
}

// A key path segment: identifiers as they are, anything else quoted (as crd_validator).
std::string KeySegment(const std::string& key) {
  for (char c : key) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '-')) {
      return absl::StrCat("[\"", absl::CEscape(key), "\"]");
    }
  }
  return absl::StrCat(".", key);
}

// One StringMatch {exact|prefix|regex}: the regex must compile with RE2. In withoutHeaders
// a regex of "*" is no regex: Istio turns it into a presence match (virtualservice.go).
void CheckStringMatch(Checker& c, const YAML::Node& match, const std::string& path,
                      bool star_is_presence = false) {
  if (!IsMap(match)) return;
  const YAML::Node regex = Get(match, "regex");
  if (!regex.IsDefined() || !regex.IsScalar()) return;
  if (star_is_presence && regex.Scalar() == "*") return;
  RE2 re(regex.Scalar(), RE2::Quiet);
  if (!re.ok()) {
    c.Error(
        regex, path + ".regex", FindingCode::kInvalidRegex,
        absl::StrCat("\"", regex.Scalar(), "\" is not an RE2 regular expression: ", re.error()));
  }
}

void CheckHeaderMatches(Checker& c, const YAML::Node& headers, const std::string& path,
                        bool without) {
  if (!IsMap(headers)) return;
  for (const auto& entry : headers) {
    const std::string name = entry.first.Scalar();
    const std::string entry_path = path + KeySegment(name);
    if (IsJwtClaimRoute(name)) {
      // Claim names are the token's, in any case: neither a header name nor lowercased.
    } else if (name.empty() || (name.front() == ':' ? !IsPseudoHeader(name) : !IsHttpToken(name))) {
      c.Error(entry.first, entry_path, FindingCode::kInvalidHeaderName,
              absl::StrCat("\"", name, "\" is not a valid header name"));
    } else if (name != absl::AsciiStrToLower(name)) {
      c.Warn(entry.first, entry_path, FindingCode::kUppercaseHeaderName,
             absl::StrCat("header names must be lowercase: Envoy lowercases request "
                          "headers, so \"",
                          name, "\" never matches (use \"", absl::AsciiStrToLower(name), "\")"));
    }
    CheckStringMatch(c, entry.second, entry_path, /*star_is_presence=*/without);
  }
}

// Map keys sorted, `name` left out: two match blocks with the same conditions compare
// equal however they are written. Aliases can make a document a cycle or exponentially
// large, so depth and size are capped; past the cap the result is empty ("cannot tell")
// and the block is not compared.
constexpr int kMaxCanonicalDepth = 32;
constexpr size_t kMaxCanonicalSize = 64 * 1024;

bool AppendCanonical(const YAML::Node& node, int depth, std::string* out) {
  if (depth > kMaxCanonicalDepth || out->size() > kMaxCanonicalSize) return false;
  if (!node.IsDefined() || node.IsNull()) {
    out->append("~");
    return true;
  }
  if (node.IsScalar()) {
    absl::StrAppend(out, "'", absl::CEscape(node.Scalar()), "'");
    return true;
  }
  if (node.IsSequence()) {
    out->append("[");
    for (const auto& item : node) {
      if (!AppendCanonical(item, depth + 1, out)) return false;
      out->append(",");
    }
    out->append("]");
    return true;
  }
  std::map<std::string, YAML::Node> sorted;
  for (const auto& entry : node) {
    if (entry.first.Scalar() != "name") sorted.emplace(entry.first.Scalar(), entry.second);
  }
  out->append("{");
  for (const auto& [key, value] : sorted) {
    absl::StrAppend(out, absl::CEscape(key), ":");
    if (!AppendCanonical(value, depth + 1, out)) return false;
    out->append(",");
  }
  out->append("}");
  return true;
}

std::string Canonical(const YAML::Node& node) {
  std::string out;
  return AppendCanonical(node, 0, &out) ? out : std::string();
}

// True if a match block takes every request: no conditions, or only `uri: {prefix: /}`.
bool MatchesEverything(const YAML::Node& block) {
  if (!IsMap(block)) return false;
  for (const auto& entry : block) {
    const std::string key = entry.first.Scalar();
    if (key == "name") continue;
    if (key == "uri" && IsMap(entry.second) && entry.second.size() == 1 &&
        Scalar(Get(entry.second, "prefix")) == "/") {
      continue;
    }
    return false;
  }
  return true;
}

void CheckDirectResponse(Checker& c, const YAML::Node& route, const std::string& path) {
  const YAML::Node direct = Get(route, "directResponse");
  if (!IsMap(direct)) return;
  for (const char* other : {"route", "redirect", "rewrite", "delegate"}) {
    if (Get(route, other).IsDefined()) {
      c.Error(Get(route, other), absl::StrCat(path, ".", other),
              FindingCode::kInvalidDirectResponse,
              "a route with directResponse cannot also have route, redirect, rewrite or "
              "delegate");
    }
  }
  const YAML::Node status = Get(direct, "status");
  int code = 0;
  if (status.IsDefined() && status.IsScalar() && YAML::convert<int>::decode(status, code) &&
      (code < 200 || code > 599)) {
    c.Error(status, path + ".directResponse.status", FindingCode::kInvalidDirectResponse,
            absl::StrCat("status must be in [200, 599], got ", code));
  }
  const YAML::Node body = Get(direct, "body");
  if (!IsMap(body)) return;
  size_t size = 0;
  std::string body_path = path + ".directResponse.body";
  if (Get(body, "string").IsDefined()) {
    size = Scalar(Get(body, "string")).size();
    body_path += ".string";
  } else if (Get(body, "bytes").IsDefined()) {
    std::string decoded;
    absl::Base64Unescape(Scalar(Get(body, "bytes")), &decoded);
    size = decoded.size();
    body_path += ".bytes";
  }
  if (size > kBodyMaxBytes) {
    c.Error(
        body, body_path, FindingCode::kInvalidDirectResponse,
        absl::StrCat("body is ", size, " bytes; Istio refuses direct-response bodies over 1 MB"));
  } else if (size > kBodyWarnBytes) {
    c.Warn(body, body_path, FindingCode::kLargeDirectResponse,
           absl::StrCat("body is ", size,
                        " bytes; bodies over 100 KB are kept in every gateway's memory "
                        "and sent with each response: serve large content from a backend"));
  }
}

}  // namespace

void CheckVirtualService(Checker& c, const YAML::Node& spec) {
  const YAML::Node http = Get(spec, "http");
  if (!IsSeq(http)) return;
  std::map<std::string, std::string> earlier_blocks;  // canonical block -> where
  std::string catch_all;  // path of the first route that takes every request
  for (size_t i = 0; i < http.size(); ++i) {
    const YAML::Node route = http[i];
    const std::string path = absl::StrCat("spec.http[", i, "]");
    if (!IsMap(route)) continue;
    if (!catch_all.empty()) {
      c.Warn(route, path, FindingCode::kUnreachableRoute,
             absl::StrCat("can never match: ", catch_all,
                          " before it matches every request (the first matching route wins)"));
    }
    const YAML::Node match = Get(route, "match");
    bool everything = !IsSeq(match) || match.size() == 0;
    if (IsSeq(match)) {
      size_t repeated = 0;
      std::vector<std::string> repeats;
      for (size_t j = 0; j < match.size(); ++j) {
        const YAML::Node block = match[j];
        const std::string block_path = absl::StrCat(path, ".match[", j, "]");
        if (MatchesEverything(block)) everything = true;
        if (!IsMap(block)) continue;
        CheckHeaderMatches(c, Get(block, "headers"), block_path + ".headers", false);
        CheckHeaderMatches(c, Get(block, "withoutHeaders"), block_path + ".withoutHeaders", true);
        for (const char* key : {"uri", "method", "authority", "scheme"}) {
          CheckStringMatch(c, Get(block, key), absl::StrCat(block_path, ".", key));
        }
        const YAML::Node params = Get(block, "queryParams");
        if (IsMap(params)) {
          for (const auto& entry : params) {
            CheckStringMatch(c, entry.second,
                             block_path + ".queryParams" + KeySegment(entry.first.Scalar()));
          }
        }
        const std::string canonical = Canonical(block);
        if (canonical.empty()) continue;  // too deep or too large to compare
        auto [it, inserted] = earlier_blocks.emplace(canonical, block_path);
        if (!inserted && !absl::StartsWith(it->second, path + ".")) {
          ++repeated;
          repeats.push_back(absl::StrCat(block_path, " repeats ", it->second));
        }
      }
      if (match.size() > 0 && repeated == match.size()) {
        c.Warn(route, path, FindingCode::kUnreachableRoute,
               absl::StrCat("can never match: every match block repeats an earlier route's (",
                            absl::StrJoin(repeats, "; "), ")"));
      } else {
        for (const std::string& repeat : repeats) {
          c.Warn(route, path, FindingCode::kRepeatedMatch,
                 absl::StrCat("a match block never matches here: ", repeat));
        }
      }
    }
    CheckDirectResponse(c, route, path);
    if (everything && catch_all.empty()) catch_all = path;
  }
}

}  // namespace edgekit::cli::istio
