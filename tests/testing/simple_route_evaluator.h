// A deliberately simple evaluator of VirtualService HTTP routes (match blocks OR'd, keys
// AND'd, first matching route wins), written apart from the product's
// (cli/explain/istio_routes.h) so the two can be compared: the explain agreement test, and
// the direct-response compiler's test, which checks rendered routes under both of Envoy's
// behaviours for a missing header in withoutHeaders (the product models Istio >= 1.22's
// only). Full paths, no query-string handling: give it paths without '?'. Header-only.
#ifndef EDGEKIT_TESTS_TESTING_SIMPLE_ROUTE_EVALUATOR_H_
#define EDGEKIT_TESTS_TESTING_SIMPLE_ROUTE_EVALUATOR_H_

#include <map>
#include <string>

#include "re2/re2.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::testing {

// How a value matcher in withoutHeaders treats a missing header: Envoy's default (no
// match), or Istio >= 1.22's treat_missing_header_as_empty (tested as "").
enum class MissingHeader { kNoMatch, kAsEmpty };

inline bool StringMatches(const YAML::Node& m, const std::string& value) {
  if (m["exact"]) return value == m["exact"].as<std::string>();
  if (m["prefix"]) return value.rfind(m["prefix"].as<std::string>(), 0) == 0;
  if (m["regex"]) return RE2::FullMatch(value, RE2(m["regex"].as<std::string>()));
  return true;  // {}: presence only
}

inline bool IsPresence(const YAML::Node& m) { return !m["exact"] && !m["prefix"] && !m["regex"]; }

inline bool BlockMatches(const YAML::Node& block, const RouteRequest& r, MissingHeader missing) {
  if (block["uri"] && !StringMatches(block["uri"], r.path)) return false;
  if (block["authority"] && !StringMatches(block["authority"], r.host)) return false;
  if (block["method"] && !StringMatches(block["method"], r.method)) return false;
  for (const auto& h : block["headers"]) {
    auto it = r.headers.find(h.first.as<std::string>());
    if (it == r.headers.end() || !StringMatches(h.second, it->second)) return false;
  }
  for (const auto& h : block["withoutHeaders"]) {
    auto it = r.headers.find(h.first.as<std::string>());
    if (it == r.headers.end()) {
      // Envoy HeaderUtility::matchHeaders: missing + invert_match is a match only for
      // present_match, unless treat_missing_header_as_empty.
      if (IsPresence(h.second)) continue;
      if (missing == MissingHeader::kNoMatch) return false;
      if (StringMatches(h.second, "")) return false;
      continue;
    }
    if (IsPresence(h.second) || StringMatches(h.second, it->second)) return false;
  }
  return true;
}

// The first route whose any match block holds: its name, or "" (404).
inline std::string EvaluateRoutes(const YAML::Node& vs, const RouteRequest& r,
                                  MissingHeader missing) {
  for (const auto& route : vs["spec"]["http"]) {
    bool hit = !route["match"];
    for (const auto& block : route["match"]) hit = hit || BlockMatches(block, r, missing);
    if (hit) return route["name"].as<std::string>();
  }
  return "";
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_SIMPLE_ROUTE_EVALUATOR_H_
