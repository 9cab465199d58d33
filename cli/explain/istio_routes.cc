#include "cli/explain/istio_routes.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/explain/yaml_at.h"
#include "re2/re2.h"

namespace edgekit::cli::explain {
namespace {

std::string RouteName(const YAML::Node& route, int index) {
  return route["name"] ? route["name"].as<std::string>() : absl::StrCat("http[", index, "]");
}

// An Istio StringMatch ({exact|prefix|regex}, or {} / regex "*" for presence) against a
// value. `ignore_case` applies to exact and prefix only.
absl::StatusOr<bool> StringMatches(const YAML::Node& m, absl::string_view value, bool ignore_case) {
  if (m["exact"]) {
    const std::string want = m["exact"].as<std::string>();
    return ignore_case ? absl::EqualsIgnoreCase(value, want) : value == want;
  }
  if (m["prefix"]) {
    const std::string want = m["prefix"].as<std::string>();
    return ignore_case ? absl::StartsWithIgnoreCase(value, want) : absl::StartsWith(value, want);
  }
  if (m["regex"]) {
    const std::string pattern = m["regex"].as<std::string>();
    if (pattern == "*") return true;  // Istio: presence
    RE2 re(pattern, RE2::Quiet);
    if (!re.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("regex \"", pattern, "\" does not compile: ", re.error()));
    }
    return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), re);
  }
  return true;  // {}: presence only
}

bool IsPresence(const YAML::Node& m) {
  return !m["exact"] && !m["prefix"] && (!m["regex"] || m["regex"].as<std::string>() == "*");
}

// Query parameters as Envoy's route matching parses them (QueryParamsMulti::
// parseQueryString, decode_params false): the first value of each name.
std::map<std::string, std::string> FirstQueryValues(absl::string_view path) {
  std::map<std::string, std::string> out;
  const size_t q = path.find('?');
  if (q == absl::string_view::npos) return out;
  for (absl::string_view pair : absl::StrSplit(path.substr(q + 1), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == absl::string_view::npos ? "" : pair.substr(eq + 1));
    out.try_emplace(std::move(name), std::move(value));
  }
  return out;
}

constexpr absl::string_view kModelledKeys[] = {
    "uri",         "authority",     "method", "headers", "withoutHeaders",
    "queryParams", "ignoreUriCase", "name"};

absl::StatusOr<bool> BlockMatches(const YAML::Node& block, const GatewayRequest& r) {
  for (const auto& key : block) {
    const std::string k = key.first.as<std::string>();
    bool known = false;
    for (absl::string_view m : kModelledKeys) known = known || k == m;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("match key \"", k, "\" is not modelled by explain"));
    }
  }
  const bool ignore_case = block["ignoreUriCase"] && block["ignoreUriCase"].as<bool>();
  // Each test: an error or a miss ends the block.
  if (block["uri"]) {
    absl::StatusOr<bool> hit = StringMatches(block["uri"], r.path_without_query(), ignore_case);
    if (!hit.ok() || !*hit) return hit;
  }
  if (block["authority"]) {
    absl::StatusOr<bool> hit = StringMatches(block["authority"], r.host(), false);
    if (!hit.ok() || !*hit) return hit;
  }
  if (block["method"]) {
    absl::StatusOr<bool> hit = StringMatches(block["method"], r.method(), false);
    if (!hit.ok() || !*hit) return hit;
  }
  for (const auto& h : block["headers"]) {
    std::optional<absl::string_view> value = r.header(h.first.as<std::string>());
    if (!value.has_value()) return false;
    absl::StatusOr<bool> hit = StringMatches(h.second, *value, false);
    if (!hit.ok() || !*hit) return hit;
  }
  for (const auto& h : block["withoutHeaders"]) {
    std::optional<absl::string_view> value = r.header(h.first.as<std::string>());
    if (IsPresence(h.second)) {
      if (value.has_value()) return false;
      continue;
    }
    absl::StatusOr<bool> hit = StringMatches(h.second, value.value_or(""), false);
    if (!hit.ok()) return hit.status();
    if (*hit) return false;
  }
  if (block["queryParams"]) {
    const std::map<std::string, std::string> params = FirstQueryValues(r.path());
    for (const auto& q : block["queryParams"]) {
      auto it = params.find(q.first.as<std::string>());
      if (it == params.end()) return false;
      absl::StatusOr<bool> hit = StringMatches(q.second, it->second, false);
      if (!hit.ok() || !*hit) return hit;
    }
  }
  return true;
}

}  // namespace

bool HostMatchesPattern(absl::string_view host, absl::string_view pattern) {
  // The port is not part of the name (Istio gives each gateway virtual host its names
  // with and without ports).
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos && host.find(']') == absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (pattern == "*") return true;
  if (absl::StartsWith(pattern, "*.")) {
    const absl::string_view suffix = pattern.substr(1);
    return host.size() > suffix.size() && absl::EndsWithIgnoreCase(host, suffix);
  }
  return absl::EqualsIgnoreCase(host, pattern);
}

absl::StatusOr<RouteVerdict> EvaluateVirtualService(const YAML::Node& vs,
                                                    const GatewayRequest& request) {
  RouteVerdict verdict;
  int index = 0;
  for (const auto& route : At(vs, {"spec", "http"})) {
    const std::string name = RouteName(route, index);
    int hit_block = route["match"] ? -2 : -1;  // -2: not (yet) matched
    int block_index = 0;
    for (const auto& block : route["match"]) {
      absl::StatusOr<bool> hit = BlockMatches(block, request);
      if (!hit.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("route \"", name, "\" match[", block_index,
                                                       "]: ", hit.status().message()));
      }
      if (*hit) {
        hit_block = block_index;
        break;
      }
      ++block_index;
    }
    if (hit_block != -2) {
      verdict.index = index;
      verdict.match_block = hit_block;
      verdict.name = name;
      if (route["directResponse"]) {
        verdict.direct = true;
        verdict.status = At(route, {"directResponse", "status"}).as<uint32_t>();
        if (At(route, {"directResponse", "body", "string"})) {
          verdict.body = At(route, {"directResponse", "body", "string"}).as<std::string>();
        }
        for (const auto& h : At(route, {"headers", "response", "set"})) {
          verdict.response_headers.emplace_back(h.first.as<std::string>(),
                                                h.second.as<std::string>());
        }
      } else if (route["route"]) {
        if (route["route"].size() != 1) {
          return absl::InvalidArgumentError(absl::StrCat(
              "route \"", name, "\": several destinations are not modelled by explain"));
        }
        const YAML::Node destination = route["route"][0]["destination"];
        verdict.destination_host = destination["host"].as<std::string>();
        if (At(destination, {"port", "number"})) {
          verdict.destination_port = At(destination, {"port", "number"}).as<uint32_t>();
        }
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "route \"", name, "\": only route and directResponse are modelled by explain"));
      }
      return verdict;
    }
    ++index;
  }
  return verdict;
}

}  // namespace edgekit::cli::explain
