// Gateway API routes as Istio 1.30 serves them (gateway_api_routes.h).
#include "cli/explain/gateway_api_routes.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/explain/yaml_at.h"
#include "re2/re2.h"

namespace edgekit::cli::explain {

struct GatewayApiRouteMatcher::Match {
  enum class Path { kExact = 3, kPrefix = 2, kRegex = 1 };
  Path kind = Path::kPrefix;
  std::string path = "/";
  std::shared_ptr<const RE2> path_regex;
  std::string method;  // "" = any
  struct HeaderTest {
    std::string name;  // lowercase
    std::string value;
    std::shared_ptr<const RE2> regex;  // RegularExpression; null: Exact
  };
  std::vector<HeaderTest> headers;
  std::vector<std::pair<std::string, std::string>> query;  // Exact
  std::vector<std::string> hostnames;                      // lowercase; empty: "*"
  RouteVerdict verdict;

  auto Rank() const {
    return std::make_tuple(static_cast<int>(kind), path.size(), !method.empty(), headers.size(),
                           query.size());
  }
};

namespace {

using Match = GatewayApiRouteMatcher::Match;

absl::string_view HostName(absl::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos && host.find(']') == absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host;
}

bool NamesParent(const YAML::Node& route, const std::string& gateway) {
  const std::string ns = At(route, {"metadata", "namespace"}).as<std::string>("default");
  for (const auto& ref : At(route, {"spec", "parentRefs"})) {
    const std::string name = ref["name"].as<std::string>("");
    const std::string parent_ns = ref["namespace"] ? ref["namespace"].as<std::string>() : ns;
    const std::string kind = ref["kind"] ? ref["kind"].as<std::string>() : "Gateway";
    if (kind == "Gateway" && absl::StrCat(parent_ns, "/", name) == gateway) return true;
  }
  return false;
}

absl::Status CompileRule(const YAML::Node& rule, const std::string& route_name,
                         const std::string& ns, bool grpc, const std::vector<std::string>& hosts,
                         int index, std::vector<Match>* out) {
  const std::string name = rule["name"] ? rule["name"].as<std::string>()
                                        : absl::StrCat(route_name, ".rules[", index, "]");
  if (rule["filters"] && rule["filters"].size() > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rule \"", name, "\": filters are not modelled by explain"));
  }
  const YAML::Node refs = rule["backendRefs"];
  if (!refs || refs.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("rule \"", name, "\": only one backendRef is modelled by explain"));
  }
  RouteVerdict verdict;
  verdict.name = name;
  const std::string backend_ns = refs[0]["namespace"] ? refs[0]["namespace"].as<std::string>() : ns;
  verdict.destination_host =
      absl::StrCat(refs[0]["name"].as<std::string>(), ".", backend_ns, ".svc.cluster.local");
  verdict.destination_port = refs[0]["port"].as<uint32_t>(0);
  YAML::Node matches = rule["matches"];
  const size_t count = matches && matches.size() > 0 ? matches.size() : 1;
  for (size_t i = 0; i < count; ++i) {
    const YAML::Node m = matches && matches.size() > 0 ? matches[i] : YAML::Node();
    Match match;
    match.hostnames = hosts;
    match.verdict = verdict;
    match.verdict.match_block = static_cast<int>(i);
    if (grpc) {
      const std::string service = At(m, {"method", "service"}).as<std::string>("");
      const std::string method = At(m, {"method", "method"}).as<std::string>("");
      if (service.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "rule \"", name, "\": a GRPCRoute match without a service is not modelled"));
      }
      match.kind = method.empty() ? Match::Path::kPrefix : Match::Path::kExact;
      match.path =
          method.empty() ? absl::StrCat("/", service) : absl::StrCat("/", service, "/", method);
    } else {
      // The API server defaults a missing path to PathPrefix "/".
      const std::string type = At(m, {"path", "type"}).as<std::string>("PathPrefix");
      match.path = At(m, {"path", "value"}).as<std::string>("/");
      if (type == "Exact") {
        match.kind = Match::Path::kExact;
      } else if (type == "RegularExpression") {
        match.kind = Match::Path::kRegex;
        match.path_regex = std::make_shared<const RE2>(match.path);
        if (!match.path_regex->ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("rule \"", name, "\": path regex: ", match.path_regex->error()));
        }
      } else if (match.path != "/" && absl::EndsWith(match.path, "/")) {
        match.path.pop_back();  // createURIMatch: "a trailing `/` is ignored"
      }
      match.method = m["method"].as<std::string>("");
      for (const auto& q : m["queryParams"]) {
        if (q["type"] && q["type"].as<std::string>() != "Exact") {
          return absl::InvalidArgumentError(
              absl::StrCat("rule \"", name, "\": only Exact query matches are modelled"));
        }
        match.query.emplace_back(q["name"].as<std::string>(), q["value"].as<std::string>());
      }
    }
    for (const auto& h : m["headers"]) {
      Match::HeaderTest test;
      test.name = absl::AsciiStrToLower(h["name"].as<std::string>());
      test.value = h["value"].as<std::string>();
      if (h["type"] && h["type"].as<std::string>() == "RegularExpression") {
        test.regex = std::make_shared<const RE2>(test.value);
        if (!test.regex->ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("rule \"", name, "\": header regex: ", test.regex->error()));
        }
      }
      match.headers.push_back(std::move(test));
    }
    out->push_back(std::move(match));
  }
  return absl::OkStatus();
}

// Envoy path_separated_prefix, path exact and safe_regex on the path without its query.
bool PathMatches(const Match& m, absl::string_view path) {
  switch (m.kind) {
    case Match::Path::kExact:
      return path == m.path;
    case Match::Path::kRegex:
      return RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *m.path_regex);
    case Match::Path::kPrefix:
      if (m.path == "/") return true;
      return path == m.path || absl::StartsWith(path, absl::StrCat(m.path, "/"));
  }
  return false;
}

}  // namespace

GatewayApiRouteMatcher::GatewayApiRouteMatcher() = default;
GatewayApiRouteMatcher::~GatewayApiRouteMatcher() = default;
GatewayApiRouteMatcher::GatewayApiRouteMatcher(GatewayApiRouteMatcher&&) noexcept = default;
GatewayApiRouteMatcher& GatewayApiRouteMatcher::operator=(GatewayApiRouteMatcher&&) noexcept =
    default;

absl::StatusOr<GatewayApiRouteMatcher> GatewayApiRouteMatcher::Compile(
    const std::vector<YAML::Node>& documents, const std::string& gateway) {
  GatewayApiRouteMatcher out;
  for (const YAML::Node& doc : documents) {
    const std::string kind = doc["kind"] ? doc["kind"].as<std::string>() : "";
    if ((kind != "HTTPRoute" && kind != "GRPCRoute") || !NamesParent(doc, gateway)) continue;
    const std::string name = At(doc, {"metadata", "name"}).as<std::string>("");
    const std::string ns = At(doc, {"metadata", "namespace"}).as<std::string>("default");
    try {
      std::vector<std::string> hosts;
      for (const auto& h : At(doc, {"spec", "hostnames"})) {
        hosts.push_back(absl::AsciiStrToLower(h.as<std::string>()));
      }
      int index = 0;
      for (const auto& rule : At(doc, {"spec", "rules"})) {
        if (absl::Status s =
                CompileRule(rule, name, ns, kind == "GRPCRoute", hosts, index++, &out.matches_);
            !s.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(kind, " ", ns, "/", name, ": ", s.message()));
        }
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind, " ", ns, "/", name, ": unexpected shape: ", e.what()));
    }
  }
  std::stable_sort(out.matches_.begin(), out.matches_.end(),
                   [](const Match& a, const Match& b) { return a.Rank() > b.Rank(); });
  for (size_t i = 0; i < out.matches_.size(); ++i) {
    out.matches_[i].verdict.index = static_cast<int>(i);
  }
  return out;
}

std::string GatewayApiRouteMatcher::VirtualHost(absl::string_view host) const {
  host = HostName(host);
  std::string best;
  for (const Match& m : matches_) {
    if (m.hostnames.empty() && best.empty()) best = "*";
    for (const std::string& h : m.hostnames) {
      if (!HostMatchesPattern(host, h)) continue;  // istio_routes.h: Envoy's lookup
      if (absl::EqualsIgnoreCase(h, host)) return h;
      if (best == "*" || h.size() > best.size()) best = h;
    }
  }
  return best;
}

bool GatewayApiRouteMatcher::Serves(absl::string_view host) const {
  return !VirtualHost(host).empty();
}

RouteVerdict GatewayApiRouteMatcher::Evaluate(const GatewayRequest& request) const {
  const std::string vhost = VirtualHost(request.host());
  if (vhost.empty()) return RouteVerdict();
  const absl::string_view path = request.path_without_query();
  for (const Match& m : matches_) {
    const bool listed = vhost == "*" ? m.hostnames.empty()
                                     : std::find(m.hostnames.begin(), m.hostnames.end(), vhost) !=
                                           m.hostnames.end();
    if (!listed || !PathMatches(m, path)) continue;
    if (!m.method.empty() && request.method() != m.method) continue;
    bool holds = true;
    for (const Match::HeaderTest& h : m.headers) {
      const std::optional<absl::string_view> value = request.header(h.name);
      holds = holds && value.has_value() &&
              (h.regex ? RE2::FullMatch(re2::StringPiece(value->data(), value->size()), *h.regex)
                       : *value == h.value);
    }
    if (!m.query.empty()) {
      const std::map<std::string, std::string> params = FirstQueryValues(request.path());
      for (const auto& [name, value] : m.query) {
        auto it = params.find(name);
        holds = holds && it != params.end() && it->second == value;
      }
    }
    if (holds) return m.verdict;
  }
  return RouteVerdict();
}

}  // namespace edgekit::cli::explain
