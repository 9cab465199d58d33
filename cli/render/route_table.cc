#include "cli/render/route_table.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/hosts.h"
#include "re2/re2.h"
#include "rules/header_syntax.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;
using edge::v1::HttpRoute;

// The literal start every path `m` matches shares.
std::string LiteralPrefix(const StringMatch& m) {
  return m.kind == StringMatch::Kind::kRegex ? rules::RegexLiteralPrefix(m.value) : m.value;
}

// What the order and the cover test need of a route's path, worked out once per route
// (2,000 routes make millions of pair tests; RE2 must not be compiled in each).
struct PathFacts {
  std::string literal;               // LiteralPrefix of the path match
  std::shared_ptr<const RE2> regex;  // compiled, for a regex path
};

PathFacts FactsOf(const StringMatch& m) {
  PathFacts f;
  f.literal = LiteralPrefix(m);
  if (m.kind == StringMatch::Kind::kRegex) f.regex = std::make_shared<const RE2>(m.value);
  return f;
}

// `outer` takes every path `inner` takes (sound; a regex only covers itself and the exact
// paths it matches, and a prefix covers a regex whose literal start lies inside it).
bool PathCovers(const StringMatch& outer, const PathFacts& outer_facts, const StringMatch& inner,
                const PathFacts& inner_facts) {
  using Kind = StringMatch::Kind;
  switch (outer.kind) {
    case Kind::kExact:
      return inner.kind == Kind::kExact && inner.value == outer.value;
    case Kind::kPrefix:
      return absl::StartsWith(inner_facts.literal, outer.value);
    case Kind::kRegex:
      if (inner.kind == Kind::kRegex) return inner.value == outer.value;
      return inner.kind == Kind::kExact && RE2::FullMatch(inner.value, *outer_facts.regex);
  }
  return false;
}

bool HostsCover(const std::vector<std::string>& outer, const std::vector<std::string>& inner) {
  if (outer.empty()) return true;
  if (inner.empty()) return false;
  return std::all_of(inner.begin(), inner.end(), [&](const std::string& host) {
    return std::any_of(outer.begin(), outer.end(),
                       [&](const std::string& pattern) { return HostCovers(pattern, host); });
  });
}

// Every request `inner` matches, `outer` matches too.
bool Covers(const RouteTableEntry& outer, const PathFacts& outer_facts,
            const RouteTableEntry& inner, const PathFacts& inner_facts) {
  if (!PathCovers(outer.path, outer_facts, inner.path, inner_facts)) return false;
  if (!HostsCover(outer.hosts, inner.hosts)) return false;
  if (!outer.methods.empty()) {
    if (inner.methods.empty()) return false;
    for (const std::string& m : inner.methods) {
      if (!std::binary_search(outer.methods.begin(), outer.methods.end(), m)) return false;
    }
  }
  for (const auto& [name, test] : outer.headers) {
    auto it = inner.headers.find(name);
    if (it == inner.headers.end()) return false;
    if (test.has_value() && !(it->second.has_value() && *it->second == *test)) return false;
  }
  return true;
}

// The sort key of the order documented in route_table.h.
auto OrderKey(const RouteTableEntry& e, const PathFacts& facts) {
  const bool exact = e.path.kind == StringMatch::Kind::kExact;
  const int literal = exact ? 0 : static_cast<int>(facts.literal.size());
  const int regex_first = e.path.kind == StringMatch::Kind::kRegex ? 0 : 1;
  const size_t hosts = e.hosts.empty() ? std::numeric_limits<size_t>::max() : e.hosts.size();
  // Methods: some before any; fewer (narrower) before more.
  const size_t methods = e.methods.empty() ? std::numeric_limits<size_t>::max() : e.methods.size();
  return std::make_tuple(exact ? 0 : 1, -literal, regex_first, methods,
                         -static_cast<int>(e.headers.size()), hosts, e.name);
}

std::string Describe(const StringMatch& m) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return absl::StrCat("exact ", m.value);
    case StringMatch::Kind::kPrefix:
      return absl::StrCat("prefix ", m.value);
    case StringMatch::Kind::kRegex:
      return absl::StrCat("regex ", m.value);
  }
  return "";
}

absl::Status CheckPathMatch(const std::string& source, const std::string& key,
                            const edge::v1::RouteMatch& match) {
  if (match.has_exact() + match.has_prefix() + match.has_regex() != 1) {
    return ConfigError(source, key, "set exactly one of exact, prefix, regex");
  }
  if (match.has_regex()) {
    RE2 re(match.regex(), RE2::Quiet);
    if (!re.ok()) {
      return ConfigError(source, key + ".regex",
                         absl::StrCat("\"", match.regex(),
                                      "\" is not a valid RE2 regular expression: ", re.error()));
    }
    if (std::string problem = rules::PathRegexProblem(match.regex()); !problem.empty()) {
      return ConfigError(source, key + ".regex", problem);
    }
    return absl::OkStatus();
  }
  const std::string& value = match.has_exact() ? match.exact() : match.prefix();
  const std::string value_key = key + (match.has_exact() ? ".exact" : ".prefix");
  if (value.empty() || value.front() != '/') {
    return ConfigError(
        source, value_key,
        absl::StrCat("\"", value, "\" never matches: a request path starts with \"/\""));
  }
  if (!rules::IsHeaderValue(value)) {
    return ConfigError(source, value_key, "a request path cannot contain CR, LF or NUL");
  }
  return absl::OkStatus();
}

absl::Status CheckHeaders(const std::string& source, const std::string& key,
                          const edge::v1::RouteMatch& match) {
  for (const auto& [name, test] : match.headers()) {
    const std::string entry = absl::StrCat(key, ".headers[\"", name, "\"]");
    if (std::string problem = rules::HeaderNameProblem(name); !problem.empty()) {
      return ConfigError(source, entry, problem);
    }
    const int set = test.has_exact() + test.has_prefix() + test.has_regex() +
                    (test.has_present() && test.present());
    if (set != 1) {
      return ConfigError(source, entry, "set exactly one of exact, prefix, regex, present: true");
    }
    if (test.has_regex() && !RE2(test.regex(), RE2::Quiet).ok()) {
      return ConfigError(
          source, entry + ".regex",
          absl::StrCat("\"", test.regex(), "\" is not a valid RE2 regular expression"));
    }
    const std::string& value = test.has_exact() ? test.exact() : test.prefix();
    if (!rules::IsHeaderValue(value)) {
      return ConfigError(source, entry, "a header value cannot contain CR, LF or NUL");
    }
  }
  return absl::OkStatus();
}

// Hosts sorted; a list holding "*" is every host, which the table writes as no hosts
// (an authority regex for "*" would match only a literal "*").
std::vector<std::string> EveryHostIsEmpty(std::vector<std::string> hosts) {
  if (std::find(hosts.begin(), hosts.end(), "*") != hosts.end()) return {};
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

RouteTableEntry EntryOf(const HttpRoute& route, int index) {
  RouteTableEntry e;
  e.kind = RouteTableEntry::Kind::kHttp;
  e.name = route.name();
  e.where = absl::StrCat("routes.http[", index, "] (", route.name(), ")");
  e.hosts = EveryHostIsEmpty({route.hosts().begin(), route.hosts().end()});
  const edge::v1::RouteMatch& m = route.match();
  if (m.has_exact()) e.path = {StringMatch::Kind::kExact, m.exact()};
  if (m.has_prefix()) e.path = {StringMatch::Kind::kPrefix, m.prefix()};
  if (m.has_regex()) e.path = {StringMatch::Kind::kRegex, m.regex()};
  e.methods.assign(m.methods().begin(), m.methods().end());
  std::sort(e.methods.begin(), e.methods.end());
  for (const auto& [name, test] : m.headers()) {
    std::optional<StringMatch> t;
    if (test.has_exact()) t = StringMatch{StringMatch::Kind::kExact, test.exact()};
    if (test.has_prefix()) t = StringMatch{StringMatch::Kind::kPrefix, test.prefix()};
    if (test.has_regex()) t = StringMatch{StringMatch::Kind::kRegex, test.regex()};
    e.headers[name] = t;
  }
  e.destination = route.destination();
  return e;
}

// "helloworld.Greeter" -> "grpc-helloworld-greeter"; a name already in `used` (services
// differing only in case or in '.' / '_', such as "a.B" and "a.b") gets "-2", "-3", ...
// in service order, so names are unique and the same on every run.
std::string GrpcRouteName(const std::string& service, std::set<std::string>* used) {
  const std::string base =
      "grpc-" + absl::StrReplaceAll(absl::AsciiStrToLower(service), {{".", "-"}, {"_", "-"}});
  std::string name = base;
  for (int n = 2; !used->insert(name).second; ++n) name = absl::StrCat(base, "-", n);
  return name;
}

}  // namespace

absl::Status ValidateHttpRoutes(const EdgeConfig& config, const std::string& source) {
  return ValidateHttpRoutesWithin(
      config.routes(), {config.gateway().hosts().begin(), config.gateway().hosts().end()},
      "gateway.hosts", source);
}

absl::Status ValidateHttpRoutesWithin(const edge::v1::Routes& routes,
                                      const std::vector<std::string>& gateway_hosts,
                                      const std::string& hosts_owner, const std::string& source) {
  std::map<std::string, int> names;
  for (int i = 0; i < routes.http_size(); ++i) {
    const HttpRoute& route = routes.http(i);
    const std::string key = absl::StrCat("routes.http[", i, "]");
    if (route.name().empty()) {
      return ConfigError(source, key + ".name", "required: a name for the route (e.g. \"orders\")");
    }
    if (!IsTeamScopedName(route.name())) {
      return ConfigError(source, key + ".name",
                         absl::StrCat("\"", route.name(),
                                      "\" is not a Kubernetes name (lowercase letters, digits "
                                      "and '-', at most 63)"));
    }
    if (auto [it, inserted] = names.emplace(route.name(), i); !inserted) {
      return ConfigError(source, key + ".name",
                         absl::StrCat("\"", route.name(), "\" is used twice (also routes.http[",
                                      it->second, "])"));
    }
    std::set<std::string> seen_hosts;
    for (int h = 0; h < route.hosts_size(); ++h) {
      const std::string& host = route.hosts(h);
      const std::string host_key = absl::StrCat(key, ".hosts[", h, "]");
      if (!IsHostPattern(host)) {
        return ConfigError(source, host_key,
                           absl::StrCat("\"", host,
                                        "\" is not a host (a lowercase DNS name, \"*.\" and a "
                                        "name, or \"*\")"));
      }
      if (!seen_hosts.insert(host).second) {
        return ConfigError(source, host_key, absl::StrCat("\"", host, "\" is listed twice"));
      }
      const bool served =
          gateway_hosts.empty() ||
          std::any_of(gateway_hosts.begin(), gateway_hosts.end(),
                      [&](const std::string& pattern) { return HostCovers(pattern, host); });
      if (!served) {
        return ConfigError(
            source, host_key,
            absl::StrCat("\"", host, "\" is not one of ", hosts_owner, " (",
                         absl::StrJoin(gateway_hosts, ", "), ") nor under one of its wildcards"));
      }
    }
    if (!route.has_match()) {
      return ConfigError(source, key + ".match",
                         "required: {exact | prefix | regex} (prefix: / for every path)");
    }
    if (absl::Status s = CheckPathMatch(source, key + ".match", route.match()); !s.ok()) return s;
    std::set<std::string> methods;
    for (int m = 0; m < route.match().methods_size(); ++m) {
      const std::string& method = route.match().methods(m);
      const std::string method_key = absl::StrCat(key, ".match.methods[", m, "]");
      if (!IsHttpToken(method) || absl::AsciiStrToUpper(method) != method) {
        return ConfigError(source, method_key,
                           absl::StrCat("\"", method,
                                        "\" is not an HTTP method (an uppercase token such as "
                                        "GET; Envoy compares methods case-sensitively)"));
      }
      if (!methods.insert(method).second) {
        return ConfigError(source, method_key, absl::StrCat("\"", method, "\" is listed twice"));
      }
    }
    if (absl::Status s = CheckHeaders(source, key + ".match", route.match()); !s.ok()) return s;
    if (!route.has_destination()) {
      return ConfigError(source, key + ".destination",
                         "required: {host, port} of the backend, e.g. "
                         "{host: orders.shop.svc.cluster.local, port: 8080}");
    }
    if (absl::Status s = CheckDestination(source, key + ".destination", route.destination());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RouteTable> BuildRouteTable(const EdgeConfig& config,
                                           const std::vector<GrpcServiceRoute>& grpc_routes,
                                           const std::string& source,
                                           const Composition* composition) {
  RouteTable table;
  std::map<std::string, std::string> names;  // rendered name -> where
  for (int i = 0; i < config.routes().http_size(); ++i) {
    table.routes.push_back(EntryOf(config.routes().http(i), i));
    if (composition != nullptr) {
      auto origin = composition->http_routes.find(i);
      if (origin != composition->http_routes.end()) {
        table.routes.back().where = origin->second.where;
        table.routes.back().team = origin->second.team;
      }
    }
    names.emplace(table.routes.back().name, table.routes.back().where);
  }
  if (config.routes().has_default_destination() && names.count("default") > 0) {
    return ConfigError(source, "routes.http",
                       absl::StrCat(names["default"],
                                    ": \"default\" is the name of the route to "
                                    "routes.default_destination: rename it"));
  }
  std::set<std::string> grpc_names;
  for (const GrpcServiceRoute& grpc : grpc_routes) {
    RouteTableEntry e;
    e.kind = RouteTableEntry::Kind::kGrpcService;
    e.name = GrpcRouteName(grpc.service, &grpc_names);
    e.where = absl::StrCat("the route of transcoded service ", grpc.service);
    e.team = grpc.team;
    if (!grpc.team.empty()) {
      e.name = absl::StrCat(grpc.team, ".", e.name);
      absl::StrAppend(&e.where, " (team ", grpc.team, ")");
    }
    // After transcoding the path is /<package>.<Service>/<Method> and Envoy matches the
    // routes again. A single author's gRPC route serves every host, as the transcoder's
    // bindings match on every host; a team's serves the team's hosts, where its rules
    // answer too (elsewhere the transcoded request finds no route of the team's).
    e.path = {StringMatch::Kind::kPrefix, absl::StrCat("/", grpc.service, "/")};
    e.hosts = EveryHostIsEmpty(grpc.hosts);
    e.destination = grpc.destination;
    if (auto [it, inserted] = names.emplace(e.name, e.where); !inserted) {
      return ConfigError(
          source, "routes.http",
          absl::StrCat(it->second, " has the name \"", e.name,
                       "\" of the route edgekit renders for ", grpc.service, ": rename it"));
    }
    table.routes.push_back(std::move(e));
  }
  std::vector<PathFacts> facts;  // of table.routes, once sorted
  {
    std::vector<std::pair<RouteTableEntry, PathFacts>> keyed;
    for (RouteTableEntry& e : table.routes) {
      PathFacts f = FactsOf(e.path);
      keyed.emplace_back(std::move(e), std::move(f));
    }
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      return OrderKey(a.first, a.second) < OrderKey(b.first, b.second);
    });
    table.routes.clear();
    for (auto& [e, f] : keyed) {
      table.routes.push_back(std::move(e));
      facts.push_back(std::move(f));
    }
  }
  // A route an earlier one covers would never match. When the cover goes one way only,
  // the covered (narrower) route moves before the first route covering it, so it is
  // reached whatever the sort key said (a wildcard host against a named one, a header's
  // presence against its value). Cover is a partial order: inserting each route before
  // the first one covering it keeps every earlier move valid. Only routes covering each
  // other (the same requests) are an error. Paths rule most pairs out cheaply.
  for (size_t j = 1; j < table.routes.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      if (!Covers(table.routes[i], facts[i], table.routes[j], facts[j])) continue;
      const RouteTableEntry& a = table.routes[i];
      const RouteTableEntry& b = table.routes[j];
      if (Covers(b, facts[j], a, facts[i])) {
        return ConfigError(
            source, "routes",
            absl::StrCat(b.where, " can never match: ", a.where, " has the same hosts and match (",
                         Describe(a.path), a.hosts.empty() ? ", every host" : "",
                         "); give each request to one route"));
      }
      std::rotate(table.routes.begin() + i, table.routes.begin() + j, table.routes.begin() + j + 1);
      std::rotate(facts.begin() + i, facts.begin() + j, facts.begin() + j + 1);
      break;
    }
  }
  if (config.routes().has_default_destination()) {
    table.default_destination = config.routes().default_destination();
  }
  return table;
}

}  // namespace edgekit::cli
