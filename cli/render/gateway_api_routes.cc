// The route table as Gateway API HTTPRoutes, GRPCRoutes and ReferenceGrants
// (gateway_api_routes.h).
#include "cli/render/gateway_api_routes.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/hosts.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"
#include "re2/re2.h"
#include "rules/header_syntax.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

constexpr size_t kMaxRulesPerRoute = 16;     // HTTPRoute/GRPCRoute spec.rules maxItems
constexpr size_t kMaxHostnames = 16;         // spec.hostnames maxItems
constexpr size_t kMaxMatchesPerRoute = 128;  // the CRD's CEL limit on matches over all rules

// A Kubernetes Service as a backendRef: the destination host's name and namespace.
struct Backend {
  std::string name;
  std::string ns;
  uint32_t port = 0;
};

// "<name>.<namespace>.svc.cluster.local" (or ".svc", or "<name>" in the route's own
// namespace): the Services Gateway API backendRefs name.
std::optional<Backend> BackendOf(const edge::v1::Destination& d, const std::string& route_ns) {
  absl::string_view host = d.host();
  if (!absl::ConsumeSuffix(&host, ".svc.cluster.local")) absl::ConsumeSuffix(&host, ".svc");
  std::vector<std::string> labels = absl::StrSplit(host, '.');
  if (labels.size() == 1 && host == d.host()) return Backend{labels[0], route_ns, d.port()};
  if (labels.size() == 2 && host != d.host()) return Backend{labels[0], labels[1], d.port()};
  return std::nullopt;
}

// The rows one entry of the table becomes, before grouping into objects.
struct Row {
  const RouteTableEntry* entry = nullptr;  // null: the default destination
  std::string name;
  std::string where;
  std::string team;
  std::vector<std::string> hosts;  // empty: every host
  StringMatch path;
  std::vector<std::string> methods;
  std::map<std::string, std::optional<StringMatch>> headers;
  edge::v1::Destination destination;
  bool grpc = false;
  std::string object;  // the HTTPRoute/GRPCRoute it lands in: "<ns>/<name>"
};

// Istio 1.30's rank of a match (conversion.go sortHTTPRoutes, getURIRank/getURILength;
// createURIMatch drops a prefix's trailing "/"); greater ranks first.
std::tuple<int, size_t, bool, size_t> Rank(const Row& r) {
  int kind = 2;
  std::string value = r.path.value;
  switch (r.path.kind) {
    case StringMatch::Kind::kExact:
      kind = 3;
      break;
    case StringMatch::Kind::kPrefix:
      if (value != "/" && absl::EndsWith(value, "/")) value.pop_back();
      break;
    case StringMatch::Kind::kRegex:
      kind = 1;
      break;
  }
  return {kind, value.size(), !r.methods.empty(), r.headers.size()};
}

std::string DescribeRank(const Row& r) {
  switch (r.path.kind) {
    case StringMatch::Kind::kExact:
      return absl::StrCat("an exact path (", r.path.value, ")");
    case StringMatch::Kind::kPrefix:
      return absl::StrCat("prefix ", r.path.value);
    case StringMatch::Kind::kRegex:
      return absl::StrCat("a regular expression (", r.path.value, ")");
  }
  return "";
}

// Some request may match both (sound: when unsure, yes). A regex is taken as its literal
// start (every path it matches begins so), a prefix as characters (wider than Gateway
// API's segments).
bool PathsMayOverlap(const StringMatch& a, const StringMatch& b) {
  using Kind = StringMatch::Kind;
  auto literal = [](const StringMatch& m) {
    return m.kind == Kind::kRegex ? rules::RegexLiteralPrefix(m.value) : m.value;
  };
  if (a.kind == Kind::kExact && b.kind == Kind::kExact) return a.value == b.value;
  if (a.kind == Kind::kRegex && b.kind == Kind::kExact) {
    return RE2::FullMatch(b.value, RE2(a.value));
  }
  if (b.kind == Kind::kRegex && a.kind == Kind::kExact) {
    return RE2::FullMatch(a.value, RE2(b.value));
  }
  const std::string la = literal(a);
  const std::string lb = literal(b);
  if (a.kind == Kind::kExact) return absl::StartsWith(la, lb);
  if (b.kind == Kind::kExact) return absl::StartsWith(lb, la);
  return absl::StartsWith(la, lb) || absl::StartsWith(lb, la);
}

bool HostListsOverlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return true;
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      if (HostsOverlap(x, y)) return true;
    }
  }
  return false;
}

bool MayOverlap(const Row& a, const Row& b) {
  if (!PathsMayOverlap(a.path, b.path) || !HostListsOverlap(a.hosts, b.hosts)) return false;
  if (!a.methods.empty() && !b.methods.empty()) {
    bool common = false;
    for (const std::string& m : a.methods) {
      common = common || std::binary_search(b.methods.begin(), b.methods.end(), m);
    }
    if (!common) return false;
  }
  for (const auto& [name, test] : a.headers) {
    auto it = b.headers.find(name);
    if (it == b.headers.end() || !test || !it->second) continue;
    if (test->kind == StringMatch::Kind::kExact && it->second->kind == StringMatch::Kind::kExact &&
        test->value != it->second->value) {
      return false;
    }
  }
  return true;
}

bool SameBackend(const Row& a, const Row& b) {
  return a.destination.host() == b.destination.host() &&
         a.destination.port() == b.destination.port();
}

// A header test as a Gateway API HTTPHeaderMatch (Exact or RegularExpression; Istio
// matches the regex in full, as Envoy's safe_regex does).
std::pair<const char*, std::string> HeaderMatchOf(const std::optional<StringMatch>& test) {
  if (!test) return {"RegularExpression", ".*"};  // present, any value
  switch (test->kind) {
    case StringMatch::Kind::kExact:
      return {"Exact", test->value};
    case StringMatch::Kind::kPrefix:
      return {"RegularExpression", absl::StrCat(RE2::QuoteMeta(test->value), ".*")};
    case StringMatch::Kind::kRegex:
      return {"RegularExpression", test->value};
  }
  return {"Exact", ""};
}

// What the HTTPRoute CRD's CEL rules refuse in an Exact or PathPrefix value (v1.5.1,
// spec.rules[].matches[].path), checked here so render fails before `kubectl apply` does.
std::optional<std::string> PathValueProblem(const StringMatch& path) {
  if (path.kind == StringMatch::Kind::kRegex) return std::nullopt;
  static const RE2* const kChars =
      new RE2(R"(^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)");
  const std::string& v = path.value;
  for (const char* bad : {"//", "/./", "/../", "%2f", "%2F", "#"}) {
    if (absl::StrContains(v, bad)) return absl::StrCat("contains \"", bad, "\"");
  }
  if (absl::EndsWith(v, "/..") || absl::EndsWith(v, "/.")) return "ends with a dot segment";
  if (!RE2::FullMatch(v, *kChars)) return "has a character a URL path may not hold unescaped";
  return std::nullopt;
}

const char* PathType(StringMatch::Kind kind) {
  switch (kind) {
    case StringMatch::Kind::kExact:
      return "Exact";
    case StringMatch::Kind::kPrefix:
      return "PathPrefix";
    case StringMatch::Kind::kRegex:
      return "RegularExpression";
  }
  return "PathPrefix";
}

void EmitParentRef(Doc& d, const EdgeConfig& config) {
  d.Key("parentRefs").Seq().Map();
  d.KV("group", "gateway.networking.k8s.io").KV("kind", "Gateway");
  d.KV("name", config.gateway().name()).KV("namespace", config.gateway().namespace_());
  if (config.gateway().has_section_name()) d.KV("sectionName", config.gateway().section_name());
  d.EndMap().EndSeq();
}

void EmitBackendRef(Doc& d, const Backend& b, const std::string& route_ns) {
  d.Key("backendRefs").Seq().Map().KV("name", b.name);
  if (b.ns != route_ns) d.KV("namespace", b.ns);
  d.KV("port", b.port).EndMap().EndSeq();
}

void EmitHttpRule(Doc& d, const Row& r, const Backend& backend, const std::string& route_ns) {
  d.Map();
  if (IsDns1123Subdomain(r.name)) d.KV("name", r.name);
  d.Key("matches").Seq();
  // Gateway API takes one method per match: several methods are several matches.
  std::vector<std::string> methods = r.methods;
  if (methods.empty()) methods.push_back("");
  for (const std::string& method : methods) {
    d.Map();
    d.Key("path").Map().KV("type", PathType(r.path.kind)).KV("value", r.path.value).EndMap();
    if (!method.empty()) d.KV("method", method);
    if (!r.headers.empty()) {
      d.Key("headers").Seq();
      for (const auto& [name, test] : r.headers) {
        const auto [type, value] = HeaderMatchOf(test);
        d.Map().KV("type", type).KV("name", name).KV("value", value).EndMap();
      }
      d.EndSeq();
    }
    d.EndMap();
  }
  d.EndSeq();
  EmitBackendRef(d, backend, route_ns);
  d.EndMap();
}

void EmitGrpcRule(Doc& d, const Row& r, const Backend& backend, const std::string& route_ns) {
  d.Map();
  if (IsDns1123Subdomain(r.name)) d.KV("name", r.name);
  // The service name from the table's path /<service>/.
  const std::string service(absl::StripSuffix(absl::StripPrefix(r.path.value, "/"), "/"));
  d.Key("matches").Seq().Map().Key("method").Map();
  d.KV("type", "Exact").KV("service", service).EndMap().EndMap().EndSeq();
  EmitBackendRef(d, backend, route_ns);
  d.EndMap();
}

// The rules of one owner (team or platform), kind and hostname set, up to an object's
// limits; emitted as one object per chunk of 16 hostnames (each hostname in exactly one
// copy, so within any virtual host the rules and their ties are the same), plus a copy
// without hostnames for every host when the routes serve "*".
struct RouteGroup {
  std::string ns;
  std::string base;  // the name: the team's, or routes.name
  bool grpc = false;
  std::vector<std::string> hostnames;
  bool every_host = false;
  std::vector<Row*> rows;
  size_t matches = 0;
};

// One HTTPRoute or GRPCRoute as emitted.
struct RouteObject {
  const RouteGroup* group = nullptr;
  std::string name;
  std::vector<std::string> hostnames;  // empty: the listener's
};

size_t MatchCount(const Row& r) { return r.grpc || r.methods.empty() ? 1 : r.methods.size(); }

}  // namespace

absl::StatusOr<std::vector<RenderedFile>> RenderGatewayApiRoutes(const EdgeConfig& config,
                                                                 const RouteTable& table,
                                                                 const RenderContext& context) {
  const edge::v1::Gateway& gateway = config.gateway();
  const std::string& source = context.source;
  auto team_namespace = [&](const std::string& team) {
    if (team.empty() || context.composition == nullptr) return gateway.namespace_();
    const TeamClaim* claim = context.composition->Team(team);
    return claim != nullptr && !claim->namespaces.empty() ? claim->namespaces[0] : team;
  };

  std::vector<Row> rows;
  for (const RouteTableEntry& e : table.routes) {
    Row r;
    r.entry = &e;
    r.name = e.name;
    r.where = e.where;
    r.team = e.team;
    r.hosts = e.hosts;
    r.path = e.path;
    r.methods = e.methods;
    r.headers = e.headers;
    r.destination = e.destination;
    r.grpc = e.kind == RouteTableEntry::Kind::kGrpcService;
    rows.push_back(std::move(r));
  }
  if (table.default_destination) {
    // The API server defaults a rule without matches to PathPrefix "/", which is how
    // Istio then ranks it: written so, the output says what the cluster will hold.
    Row r;
    r.name = "default";
    r.where = "routes.default_destination";
    r.path = {StringMatch::Kind::kPrefix, "/"};
    r.destination = *table.default_destination;
    rows.push_back(std::move(r));
  }

  // Hostnames: a route's own patterns, plus every more specific hostname another route
  // uses under them (Istio's virtual hosts: the most specific hostname takes a request).
  // "*" is no hostname: it becomes a copy without hostnames, which takes the listener's.
  std::set<std::string> all_hosts(gateway.hosts().begin(), gateway.hosts().end());
  for (const Row& r : rows) all_hosts.insert(r.hosts.begin(), r.hosts.end());
  all_hosts.erase("*");
  auto hostnames_of = [&](const std::vector<std::string>& own, bool* every_host) {
    std::vector<std::string> patterns = own;
    if (patterns.empty()) patterns.assign(gateway.hosts().begin(), gateway.hosts().end());
    *every_host =
        patterns.empty() || std::find(patterns.begin(), patterns.end(), "*") != patterns.end();
    std::set<std::string> out;
    for (const std::string& h : all_hosts) {
      for (const std::string& p : patterns) {
        if (HostCovers(p, h)) out.insert(h);
      }
    }
    return std::vector<std::string>(out.begin(), out.end());
  };

  // Groups in table order; a new one when an object's 16 rules or 128 matches are full.
  std::vector<std::unique_ptr<RouteGroup>> groups;
  std::map<std::tuple<std::string, bool, std::vector<std::string>, bool>, RouteGroup*> open;
  std::map<const Row*, const RouteGroup*> group_of;
  for (Row& r : rows) {
    bool every_host = false;
    const std::vector<std::string> hostnames = hostnames_of(r.hosts, &every_host);
    const auto key = std::make_tuple(r.team, r.grpc, hostnames, every_host);
    RouteGroup*& g = open[key];
    if (g == nullptr || g->rows.size() == kMaxRulesPerRoute ||
        g->matches + MatchCount(r) > kMaxMatchesPerRoute) {
      groups.push_back(std::make_unique<RouteGroup>());
      g = groups.back().get();
      g->ns = team_namespace(r.team);
      g->base = r.team.empty() ? config.routes().name() : r.team;
      if (r.grpc) absl::StrAppend(&g->base, "-grpc");
      g->grpc = r.grpc;
      g->hostnames = hostnames;
      g->every_host = every_host;
    }
    g->rows.push_back(&r);
    g->matches += MatchCount(r);
    group_of[&r] = g;
  }
  // Objects, with names unique in their namespace (a team "orders-2" and the second
  // object of team "orders" do not collide).
  std::vector<RouteObject> objects;
  std::set<std::string> names_taken;  // "<ns>/<name>"
  auto unique_name = [&](const RouteGroup& g) {
    std::string name = g.base;
    for (int n = 2; !names_taken.insert(absl::StrCat(g.ns, "/", name)).second; ++n) {
      name = absl::StrCat(g.base, "-", n);
    }
    return name;
  };
  for (const auto& g : groups) {
    for (size_t at = 0; at < g->hostnames.size(); at += kMaxHostnames) {
      const size_t end = std::min(g->hostnames.size(), at + kMaxHostnames);
      objects.push_back(
          {g.get(), unique_name(*g), {g->hostnames.begin() + at, g->hostnames.begin() + end}});
    }
    if (g->every_host) objects.push_back({g.get(), unique_name(*g), {}});
    const std::string& first = objects.back().name;
    for (Row* r : g->rows) r->object = absl::StrCat(g->ns, "/", first);
  }

  // Precedence: edgekit's order must survive Gateway API's ranking.
  for (size_t j = 1; j < rows.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const Row& a = rows[i];  // edgekit gives a request both match to `a`
      const Row& b = rows[j];
      if (SameBackend(a, b) || !MayOverlap(a, b)) continue;
      const auto ra = Rank(a);
      const auto rb = Rank(b);
      if (ra == rb && a.path.kind == StringMatch::Kind::kPrefix && a.path.value != b.path.value) {
        // "/api/" and "/api": one PathPrefix once the trailing "/" is dropped, so the
        // first takes "/api", which the VirtualService gives the second.
        return ConfigError(source, "routes",
                           absl::StrCat(a.where, " (prefix ", a.path.value, ") and ", b.where,
                                        " (prefix ", b.path.value,
                                        ") are the same PathPrefix on Gateway API, which ignores "
                                        "a trailing \"/\"; give them one prefix, or different "
                                        "paths"));
      }
      if (ra > rb || (ra == rb && group_of[&a] == group_of[&b])) continue;
      if (ra == rb) {
        return ConfigError(
            source, "routes",
            absl::StrCat(a.where, " and ", b.where,
                         " tie on Gateway API (the same path kind and length, methods and "
                         "header count) in two HTTPRoutes (",
                         a.object, ", ", b.object,
                         "; host scopes and the 16-rule split make separate objects), so the "
                         "older one wins a request both match; give them paths that do not "
                         "overlap, or make one more specific"));
      }
      const std::string advice =
          a.path.kind == StringMatch::Kind::kRegex
              ? absl::StrCat("a regular expression ranks below every prefix, so write ", a.where,
                             " as a prefix or an exact path")
              : absl::StrCat("make ", a.where, " the more specific match, or keep them apart");
      return ConfigError(
          source, "routes",
          absl::StrCat(b.where, " would take requests of ", a.where,
                       " on Gateway API, which ranks ", DescribeRank(b), " above ", DescribeRank(a),
                       " (exact paths first, then prefixes by length, then regular "
                       "expressions; then a method, then more headers): ",
                       advice));
    }
  }

  // Backends, and the ReferenceGrants cross-namespace ones need.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> grants;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> grant_kinds;
  std::vector<std::string> docs;
  std::set<std::string> route_namespaces;
  for (const RouteObject& o : objects) {
    const RouteGroup& g = *o.group;
    route_namespaces.insert(g.ns);
    Doc d;
    Header(d, "gateway.networking.k8s.io/v1", g.grpc ? "GRPCRoute" : "HTTPRoute", o.name, g.ns);
    d.Key("spec").Map();
    EmitParentRef(d, config);
    if (!o.hostnames.empty()) d.StrSeq("hostnames", o.hostnames);
    d.Key("rules").Seq();
    for (const Row* r : g.rows) {
      if (std::optional<std::string> problem = PathValueProblem(r->path)) {
        return ConfigError(source, "routes",
                           absl::StrCat(r->where, ": path ", r->path.value, " ", *problem,
                                        ", which the HTTPRoute CRD refuses"));
      }
      std::optional<Backend> backend = BackendOf(r->destination, g.ns);
      if (!backend) {
        return ConfigError(source, "routes",
                           absl::StrCat(r->where, ": destination host \"", r->destination.host(),
                                        "\" is not a Kubernetes Service "
                                        "(<name>.<namespace>.svc.cluster.local), which Gateway "
                                        "API backendRefs name"));
      }
      if (backend->ns != g.ns) {
        grants[{backend->ns, g.ns}].insert(backend->name);
        grant_kinds[{backend->ns, g.ns}].insert(g.grpc ? "GRPCRoute" : "HTTPRoute");
      }
      if (g.grpc) {
        EmitGrpcRule(d, *r, *backend, g.ns);
      } else {
        EmitHttpRule(d, *r, *backend, g.ns);
      }
    }
    d.EndSeq().EndMap().EndMap();
    docs.push_back(d.Text());
  }
  for (const auto& [namespaces, services] : grants) {
    const auto& [to_ns, from_ns] = namespaces;
    Doc d;
    // Named after the Gateway too: two gateways' grants from one namespace never collide.
    Header(d, "gateway.networking.k8s.io/v1", "ReferenceGrant",
           absl::StrCat("edgekit-", gateway.name(), "-from-", from_ns), to_ns);
    d.Key("spec").Map().Key("from").Seq();
    for (const std::string& kind : grant_kinds[namespaces]) {
      d.Map().KV("group", "gateway.networking.k8s.io").KV("kind", kind);
      d.KV("namespace", from_ns).EndMap();
    }
    d.EndSeq().Key("to").Seq();
    for (const std::string& service : services) {
      d.Map().KV("group", "").KV("kind", "Service").KV("name", service).EndMap();
    }
    d.EndSeq().EndMap().EndMap();
    docs.push_back(d.Text());
  }
  if (docs.empty()) return std::vector<RenderedFile>{};

  std::string comment = absl::StrCat(
      "# Gateway API routes for the Gateway ", gateway.namespace_(), "/", gateway.name(),
      gateway.has_section_name() ? absl::StrCat(" (listener ", gateway.section_name(), ")") : "",
      ".\n# Its listener's allowedRoutes must admit HTTPRoutes",
      objects.end() != std::find_if(objects.begin(), objects.end(),
                                    [](const RouteObject& o) { return o.group->grpc; })
          ? " and GRPCRoutes"
          : "",
      " from the namespaces\n#   ", absl::StrJoin(route_namespaces, ", "),
      "\n# (allowedRoutes.namespaces.from: All, or a Selector matching them; the default,\n"
      "# Same, admits ",
      gateway.namespace_(), " only).\n");
  if (context.composition != nullptr) absl::StrAppend(&comment, context.composition->Comment());
  docs.front() = absl::StrCat(comment, docs.front());
  return std::vector<RenderedFile>{{kRoutesFile, docs}};
}

}  // namespace edgekit::cli
