// A simple evaluator of Gateway API HTTPRoutes and GRPCRoutes as Istio 1.30 serves them,
// for the tests that check edgekit's gateway-api output request by request. Modelled on
// Istio's source, not on edgekit's renderer:
//  - a request's virtual host is the most specific hostname any route lists: the exact
//    name, else the longest matching "*." suffix (Envoy's domain lookup; Istio builds one
//    VirtualService per hostname, pilot/pkg/config/kube/gateway/route_collections.go);
//    only routes listing that hostname apply;
//  - each rule is split into one route per match; HTTPRoute matches keep path (Exact,
//    PathPrefix with a trailing "/" dropped, RegularExpression), method and headers;
//    a GRPCRoute service match becomes PathPrefix "/<service>/" (createGRPCURIMatch);
//  - routes sort by Exact > PathPrefix > RegularExpression, longer path, a method, more
//    headers (conversion.go sortHTTPRoutes), stably over the routes' creation order (the
//    order given), rules and matches;
//  - PathPrefix matches whole segments (Envoy path_separated_prefix): the prefix itself or
//    the prefix followed by "/"; "/" matches every path.
// Returns the backend "<namespace>/<name>:<port>" of the first route that matches, or ""
// (404). Header-only.
#ifndef EDGEKIT_TESTS_TESTING_GATEWAY_API_ROUTE_EVALUATOR_H_
#define EDGEKIT_TESTS_TESTING_GATEWAY_API_ROUTE_EVALUATOR_H_

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "re2/re2.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::testing {

struct GatewayApiMatch {
  std::string kind = "PathPrefix";  // Exact, PathPrefix, RegularExpression
  std::string path = "/";
  std::string method;                                                      // "" = any
  std::vector<std::tuple<std::string, std::string, std::string>> headers;  // type, name, value
  std::string backend;
  std::vector<std::string> hostnames;  // empty: every host
};

inline std::string BackendOfRule(const YAML::Node& rule, const std::string& route_ns) {
  const YAML::Node ref = rule["backendRefs"][0];
  const std::string ns = ref["namespace"] ? ref["namespace"].as<std::string>() : route_ns;
  return ns + "/" + ref["name"].as<std::string>() + ":" + ref["port"].as<std::string>();
}

// The routes' matches in the order Istio tries them.
inline std::vector<GatewayApiMatch> GatewayApiMatches(const std::vector<YAML::Node>& routes) {
  std::vector<GatewayApiMatch> out;
  for (const YAML::Node& route : routes) {
    const std::string kind = route["kind"].as<std::string>();
    if (kind != "HTTPRoute" && kind != "GRPCRoute") continue;
    const std::string ns = route["metadata"]["namespace"].as<std::string>();
    std::vector<std::string> hostnames;
    for (const auto& h : route["spec"]["hostnames"]) hostnames.push_back(h.as<std::string>());
    for (const auto& rule : route["spec"]["rules"]) {
      for (const auto& m : rule["matches"]) {
        GatewayApiMatch g;
        g.backend = BackendOfRule(rule, ns);
        g.hostnames = hostnames;
        if (kind == "GRPCRoute") {
          g.path = "/" + m["method"]["service"].as<std::string>();
        } else {
          if (m["path"]) {
            g.kind = m["path"]["type"].as<std::string>();
            g.path = m["path"]["value"].as<std::string>();
          }
          if (g.kind == "PathPrefix" && g.path != "/" && g.path.back() == '/') g.path.pop_back();
          if (m["method"]) g.method = m["method"].as<std::string>();
        }
        for (const auto& h : m["headers"]) {
          g.headers.emplace_back(h["type"] ? h["type"].as<std::string>() : "Exact",
                                 h["name"].as<std::string>(), h["value"].as<std::string>());
        }
        out.push_back(std::move(g));
      }
    }
  }
  auto rank = [](const GatewayApiMatch& g) {
    const int kind = g.kind == "Exact" ? 3 : g.kind == "PathPrefix" ? 2 : 1;
    return std::make_tuple(kind, g.path.size(), !g.method.empty(), g.headers.size());
  };
  std::stable_sort(out.begin(), out.end(), [&](const GatewayApiMatch& a, const GatewayApiMatch& b) {
    return rank(a) > rank(b);
  });
  return out;
}

inline bool HostnameMatches(const std::string& pattern, const std::string& host) {
  if (pattern == host) return true;
  if (pattern.rfind("*.", 0) != 0) return false;
  const std::string suffix = pattern.substr(1);  // ".example.com"
  return host.size() > suffix.size() &&
         host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The hostname whose virtual host takes `host`: exact first, then the longest wildcard.
inline std::string VirtualHostOf(const std::vector<GatewayApiMatch>& matches,
                                 const std::string& host) {
  std::string best;
  bool any_unnamed = false;
  for (const GatewayApiMatch& g : matches) {
    any_unnamed = any_unnamed || g.hostnames.empty();
    for (const std::string& h : g.hostnames) {
      if (!HostnameMatches(h, host)) continue;
      if (h == host) return h;
      if (h.size() > best.size()) best = h;
    }
  }
  return best.empty() && any_unnamed ? "*" : best;
}

inline bool PathMatches(const GatewayApiMatch& g, const std::string& path) {
  if (g.kind == "Exact") return path == g.path;
  if (g.kind == "RegularExpression") return RE2::FullMatch(path, RE2(g.path));
  if (g.path == "/") return true;
  return path == g.path || path.rfind(g.path + "/", 0) == 0;
}

inline std::string EvaluateGatewayApi(const std::vector<GatewayApiMatch>& matches,
                                      const RouteRequest& r) {
  std::string host = r.host.substr(0, r.host.find(':'));
  std::transform(host.begin(), host.end(), host.begin(), ::tolower);
  const std::string vhost = VirtualHostOf(matches, host);
  if (vhost.empty()) return "";
  for (const GatewayApiMatch& g : matches) {
    const bool listed = vhost == "*" ? g.hostnames.empty()
                                     : std::find(g.hostnames.begin(), g.hostnames.end(), vhost) !=
                                           g.hostnames.end();
    if (!listed || !PathMatches(g, r.path)) continue;
    if (!g.method.empty() && g.method != r.method) continue;
    bool headers = true;
    for (const auto& [type, name, value] : g.headers) {
      auto it = r.headers.find(name);
      headers = headers && it != r.headers.end() &&
                (type == "Exact" ? it->second == value : RE2::FullMatch(it->second, RE2(value)));
    }
    if (headers) return g.backend;
  }
  return "";
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_GATEWAY_API_ROUTE_EVALUATOR_H_
