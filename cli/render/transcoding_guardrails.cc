#include "cli/render/transcoding_guardrails.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/edge/config_checks.h"
#include "rules/header_syntax.h"

namespace edgekit::cli {
namespace {

bool IsWildcard(const std::string& segment) { return segment.find('*') != std::string::npos; }

// Some path of the template equals `path` (exact) or starts with it (prefix).
bool Overlaps(const std::vector<std::string>& t, const std::string& path, bool prefix) {
  std::vector<std::string> p = absl::StrSplit(path.substr(1), '/');  // path starts with '/'
  for (size_t k = 0; k < p.size(); ++k) {
    const bool last = k + 1 == p.size();
    if (k >= t.size()) return false;  // the template's paths end before this one
    if (t[k] == "**") return true;
    if (last && prefix) {
      // A partial last segment: a literal must start with it; a wildcard takes anything.
      return IsWildcard(t[k]) || absl::StartsWith(t[k], p[k]);
    }
    if (IsWildcard(t[k])) {
      if (p[k].empty()) return false;  // a segment variable is never empty
      continue;
    }
    if (t[k] != p[k]) return false;
  }
  // Every segment of the path matched: a prefix is taken whatever follows; an exact
  // path only when the template ends here too.
  return prefix || p.size() == t.size() || (p.size() < t.size() && t[p.size()] == "**");
}

// Some path both templates match: segment by segment, a literal equal to a literal, a
// wildcard (or a segment holding one) to anything, `**` to the rest.
bool TemplatesOverlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
    if (a[k] == "**" || b[k] == "**") return true;
    const bool wild = a[k].find('*') != std::string::npos || b[k].find('*') != std::string::npos;
    if (!wild && a[k] != b[k]) return false;
  }
  return a.size() == b.size();
}

std::string Describe(const edge::v1::RouteMatch& m) {
  if (m.has_exact()) return absl::StrCat("exact ", m.exact());
  if (m.has_prefix()) return absl::StrCat("prefix ", m.prefix());
  return absl::StrCat("regex ", m.regex());
}

}  // namespace

std::vector<std::string> TemplateSegments(const std::string& path) {
  std::string flat;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '{') {
      flat.push_back(path[i]);
      continue;
    }
    const size_t close = path.find('}', i);
    if (close == std::string::npos) break;
    const std::string inner = path.substr(i + 1, close - i - 1);
    const size_t eq = inner.find('=');
    flat += eq == std::string::npos ? "*" : inner.substr(eq + 1);
    i = close;
  }
  std::vector<std::string> segments = absl::StrSplit(flat, '/', absl::SkipEmpty());
  return segments;
}

absl::Status CheckPackageClaim(const BackendRef& backend, const std::string& service,
                               const Composition& composition) {
  if (backend.team.empty()) return absl::OkStatus();  // the platform's own
  const TeamClaim* claim = composition.Team(backend.team);
  if (claim == nullptr) return absl::OkStatus();
  const size_t dot = service.rfind('.');
  const std::string package = dot == std::string::npos ? "" : service.substr(0, dot);
  for (const std::string& allowed : claim->grpc_packages) {
    if (package == allowed || absl::StartsWith(package, allowed + ".")) return absl::OkStatus();
  }
  return ConfigError(
      backend.at, backend.key + ".services",
      absl::StrCat("service \"", service, "\" is in package \"", package,
                   "\", outside the grpc_packages of team ", backend.team, " (",
                   absl::StrJoin(claim->grpc_packages, ", "), ") in the platform's file"));
}

BindingGuard::BindingGuard(const edge::v1::EdgeConfig& config, const Composition& composition)
    : composition_(composition) {
  for (int j = 0; j < config.routes().http_size(); ++j) {
    const edge::v1::HttpRoute& route = config.routes().http(j);
    auto origin = composition.http_routes.find(j);
    Route r;
    r.owner = origin == composition.http_routes.end() ? "" : origin->second.team;
    const edge::v1::RouteMatch& m = route.match();
    r.exact = m.has_exact();
    r.path = m.has_exact() ? m.exact()
                           : (m.has_prefix() ? m.prefix() : rules::RegexLiteralPrefix(m.regex()));
    r.where = origin == composition.http_routes.end()
                  ? absl::StrCat("routes.http[", j, "] (", route.name(), ") of the platform's file")
                  : origin->second.where;
    r.describe = Describe(m);
    routes_.push_back(std::move(r));
  }
  // A team's path prefixes are its own even before it routes them.
  for (const TeamClaim& team : composition.teams) {
    for (const std::string& prefix : team.path_prefixes) {
      routes_.push_back(
          Route{team.name, false, prefix,
                absl::StrCat("the path_prefixes of team ", team.name, " (", team.file, ")"),
                absl::StrCat("prefix ", prefix)});
    }
  }
}

absl::Status BindingGuard::Check(const BackendRef& backend, const HttpRoute& binding) {
  const std::string what =
      absl::StrCat("binding ", binding.verb, " ", binding.path, " of ", binding.method);
  if (const TeamClaim* claim = composition_.Team(backend.team);
      claim != nullptr && !claim->path_prefixes.empty()) {
    const std::string literal = binding.path.substr(0, binding.path.find_first_of("{*"));
    if (!WithinPathPrefixes(literal, claim->path_prefixes)) {
      return ConfigError(backend.at, backend.key,
                         absl::StrCat(what, " is outside the path_prefixes of team ", backend.team,
                                      " (", absl::StrJoin(claim->path_prefixes, ", "),
                                      "): the transcoder would take those paths on every host"));
    }
  }
  const std::vector<std::string> segments = TemplateSegments(binding.path);
  for (const Route& route : routes_) {
    if (route.owner == backend.team) continue;  // a team's own routes are its own business
    const bool overlaps = route.path.empty() || route.path.front() != '/'
                              ? true  // a regex with no literal start: assume it does
                              : Overlaps(segments, route.path, /*prefix=*/!route.exact);
    if (!overlaps) continue;
    return ConfigError(
        backend.at, backend.key,
        absl::StrCat(what, backend.team.empty() ? "" : absl::StrCat(" (team ", backend.team, ")"),
                     " takes paths of ", route.where, " (", route.describe,
                     "): the transcoder matches its bindings on every host, before routing; "
                     "change the binding or the route"));
  }
  // Another owner's binding taking some of the same paths: the transcoder would pick one
  // of them for both.
  for (const Binding& other : bindings_) {
    if (other.owner == backend.team || other.verb != binding.verb) continue;
    if (!TemplatesOverlap(other.segments, segments)) continue;
    return ConfigError(backend.at, backend.key,
                       absl::StrCat(what, " takes paths of ", other.where,
                                    ": the transcoder would send both to one service"));
  }
  bindings_.push_back(
      Binding{backend.team, binding.verb, segments,
              absl::StrCat("binding ", binding.verb, " ", binding.path, " of ", binding.method,
                           backend.team.empty()
                               ? ""
                               : absl::StrCat(" (team ", backend.team, ", ", backend.at, ")"))});
  return absl::OkStatus();
}

}  // namespace edgekit::cli
