// The route table as Gateway API HTTPRoutes, GRPCRoutes and ReferenceGrants
// (gateway_api_routes.h).
#include "cli/render/gateway_api_routes.h"

#include <algorithm>
#include <map>
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

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

constexpr size_t kMaxRulesPerRoute = 16;  // HTTPRoute/GRPCRoute spec.rules maxItems
constexpr size_t kMaxHostnames = 16;      // spec.hostnames maxItems

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

// Some request may match both (sound: when unsure, yes).
bool PathsMayOverlap(const StringMatch& a, const StringMatch& b) {
  using Kind = StringMatch::Kind;
  auto literal = [](const StringMatch& m) {
    return m.kind == Kind::kRegex ? std::string() : m.value;  // a regex: anything
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

// One HTTPRoute or GRPCRoute being built.
struct RouteObject {
  std::string name;
  std::string ns;
  bool grpc = false;
  std::vector<std::string> hostnames;  // empty: the listener's
  std::vector<const Row*> rows;
};

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
  std::set<std::string> all_hosts(gateway.hosts().begin(), gateway.hosts().end());
  for (const Row& r : rows) all_hosts.insert(r.hosts.begin(), r.hosts.end());
  auto hostnames_of = [&](const std::vector<std::string>& own) {
    std::vector<std::string> patterns = own;
    if (patterns.empty()) patterns.assign(gateway.hosts().begin(), gateway.hosts().end());
    std::set<std::string> out(patterns.begin(), patterns.end());
    for (const std::string& h : all_hosts) {
      for (const std::string& p : patterns) {
        if (p != h && HostCovers(p, h)) out.insert(h);
      }
    }
    out.erase("*");  // "*" is no hostname: an HTTPRoute without hostnames takes every host
    if (std::find(patterns.begin(), patterns.end(), "*") != patterns.end()) out.clear();
    return std::vector<std::string>(out.begin(), out.end());
  };

  // Objects: per owner (team or platform), kind and hostname list, in table order; 16
  // rules each.
  std::vector<RouteObject> objects;
  std::map<std::tuple<std::string, bool, std::vector<std::string>>, size_t> open;  // -> index
  std::map<std::string, int> names_used;  // "<ns>/<name>" -> count
  for (Row& r : rows) {
    const std::string ns = team_namespace(r.team);
    const std::vector<std::string> hostnames = hostnames_of(r.hosts);
    if (hostnames.size() > kMaxHostnames) {
      return ConfigError(source, "gateway.hosts",
                         absl::StrCat(r.where, " needs ", hostnames.size(),
                                      " hostnames on Gateway API (its hosts and the more "
                                      "specific ones other routes use), more than an "
                                      "HTTPRoute's 16"));
    }
    const auto key = std::make_tuple(r.team, r.grpc, hostnames);
    auto it = open.find(key);
    if (it == open.end() || objects[it->second].rows.size() == kMaxRulesPerRoute) {
      RouteObject o;
      o.ns = ns;
      o.grpc = r.grpc;
      o.hostnames = hostnames;
      std::string base = r.team.empty() ? config.routes().name() : r.team;
      if (r.grpc) absl::StrAppend(&base, "-grpc");
      const int n = ++names_used[absl::StrCat(ns, "/", base)];
      o.name = n == 1 ? base : absl::StrCat(base, "-", n);
      objects.push_back(std::move(o));
      open[key] = objects.size() - 1;
      it = open.find(key);
    }
    r.object = absl::StrCat(objects[it->second].ns, "/", objects[it->second].name);
    objects[it->second].rows.push_back(&r);
  }

  // Precedence: edgekit's order must survive Gateway API's ranking.
  for (size_t j = 1; j < rows.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const Row& a = rows[i];  // edgekit gives a request both match to `a`
      const Row& b = rows[j];
      if (SameBackend(a, b) || !MayOverlap(a, b)) continue;
      const auto ra = Rank(a);
      const auto rb = Rank(b);
      if (ra > rb || (ra == rb && a.object == b.object)) continue;
      if (ra == rb) {
        return ConfigError(
            source, "routes",
            absl::StrCat(a.where, " and ", b.where,
                         " tie on Gateway API (the same path kind and length, methods and "
                         "header count) in two HTTPRoutes (",
                         a.object, ", ", b.object,
                         "), so the older one wins a request both match; give them "
                         "paths that do not overlap, or make one more specific"));
      }
      return ConfigError(
          source, "routes",
          absl::StrCat(b.where, " would take requests of ", a.where,
                       " on Gateway API, which ranks ", DescribeRank(b), " above ", DescribeRank(a),
                       " (exact paths first, then prefixes by length, then regular "
                       "expressions; then a method, then more headers); make ",
                       a.where, " the more specific match, or keep them apart"));
    }
  }

  // Backends, and the ReferenceGrants cross-namespace ones need.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> grants;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> grant_kinds;
  std::vector<std::string> docs;
  std::set<std::string> route_namespaces;
  for (const RouteObject& o : objects) {
    route_namespaces.insert(o.ns);
    Doc d;
    Header(d, "gateway.networking.k8s.io/v1", o.grpc ? "GRPCRoute" : "HTTPRoute", o.name, o.ns);
    d.Key("spec").Map();
    EmitParentRef(d, config);
    if (!o.hostnames.empty()) d.StrSeq("hostnames", o.hostnames);
    d.Key("rules").Seq();
    for (const Row* r : o.rows) {
      std::optional<Backend> backend = BackendOf(r->destination, o.ns);
      if (!backend) {
        return ConfigError(source, "routes",
                           absl::StrCat(r->where, ": destination host \"", r->destination.host(),
                                        "\" is not a Kubernetes Service "
                                        "(<name>.<namespace>.svc.cluster.local), which Gateway "
                                        "API backendRefs name"));
      }
      if (backend->ns != o.ns) {
        grants[{backend->ns, o.ns}].insert(backend->name);
        grant_kinds[{backend->ns, o.ns}].insert(o.grpc ? "GRPCRoute" : "HTTPRoute");
      }
      if (o.grpc) {
        EmitGrpcRule(d, *r, *backend, o.ns);
      } else {
        EmitHttpRule(d, *r, *backend, o.ns);
      }
    }
    d.EndSeq().EndMap().EndMap();
    docs.push_back(d.Text());
  }
  for (const auto& [namespaces, services] : grants) {
    const auto& [to_ns, from_ns] = namespaces;
    Doc d;
    Header(d, "gateway.networking.k8s.io/v1", "ReferenceGrant",
           absl::StrCat("edgekit-from-", from_ns), to_ns);
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
                                    [](const RouteObject& o) { return o.grpc; })
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
