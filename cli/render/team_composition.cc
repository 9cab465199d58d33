#include "cli/render/team_composition.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/config_paths.h"
#include "cli/edge/edge_config.h"
#include "cli/edge/hosts.h"
#include "cli/edge/key_locator.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/route_table.h"
#include "cli/render/team_claims.h"
#include "cli/render/transcoding_backends.h"
#include "common/yaml_stream.h"
#include "rules/header_syntax.h"
#include "rules/rule_set.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;
using edge::v1::Team;

// The namespace of "<service>.<namespace>[.svc[.cluster.local]]", or "".
std::string NamespaceOf(const std::string& host) {
  std::vector<std::string> labels = absl::StrSplit(host, '.');
  if (labels.size() == 2) return labels[1];
  if (labels.size() == 3 && labels[2] == "svc") return labels[1];
  if (labels.size() == 5 && absl::EndsWith(host, ".svc.cluster.local")) return labels[1];
  return "";
}

// The paths a team owns on its hosts: its path_prefixes and, with them, the gRPC paths of
// its packages ("/payments.v1."), where its transcoded requests are routed (so its
// rules see them too). Empty: the whole host.
std::vector<std::string> OwnedPathPrefixes(const Team& team) {
  std::vector<std::string> prefixes(team.path_prefixes().begin(), team.path_prefixes().end());
  if (prefixes.empty()) return prefixes;
  for (const std::string& package : team.grpc_packages()) {
    prefixes.push_back(absl::StrCat("/", package, "."));
  }
  return prefixes;
}

// Every request `c` holds for has a path inside `prefixes`: a path test whose literal
// start lies inside (not ignore_case: "/ADMIN" is not inside "/admin"), an `all` with such
// a test, an `any` of only such tests.
bool StaysWithin(const rules::v1::Condition& c, const std::vector<std::string>& prefixes) {
  if (c.has_path()) {
    const rules::v1::StringCondition& p = c.path();
    if (p.ignore_case()) return false;
    const std::string literal = p.has_regex() ? rules::RegexLiteralPrefix(p.regex())
                                              : (p.has_exact() ? p.exact() : p.prefix());
    return WithinPathPrefixes(literal, prefixes);
  }
  if (!c.all().empty()) {
    return std::any_of(c.all().begin(), c.all().end(),
                       [&](const rules::v1::Condition& sub) { return StaysWithin(sub, prefixes); });
  }
  if (!c.any().empty()) {
    return std::all_of(c.any().begin(), c.any().end(),
                       [&](const rules::v1::Condition& sub) { return StaysWithin(sub, prefixes); });
  }
  return false;
}

// client_ip.cidrs_file paths, relative to the team's file, made relative to the
// platform's (as every path of the merged config is).
void RebaseCidrsFiles(const std::string& dir, rules::v1::Condition* c) {
  if (c->has_client_ip() && c->client_ip().has_cidrs_file()) {
    c->mutable_client_ip()->set_cidrs_file(ResolvePath(dir, c->client_ip().cidrs_file()));
  }
  for (rules::v1::Condition& sub : *c->mutable_all()) RebaseCidrsFiles(dir, &sub);
  for (rules::v1::Condition& sub : *c->mutable_any()) RebaseCidrsFiles(dir, &sub);
  if (c->has_not_()) RebaseCidrsFiles(dir, c->mutable_not_());
}

// One team's file, loaded, with what messages need to point into it.
struct TeamFile {
  const Team* team = nullptr;
  std::string path;  // as opened (platform dir + config)
  std::string dir;   // relative to the platform's directory, for rebasing paths
  YAML::Node root;   // for line:col
  EdgeConfig config;
  std::vector<std::string> namespaces;
};

class Composer {
 public:
  explicit Composer(std::string platform_path) : platform_(std::move(platform_path)) {}

  absl::StatusOr<TeamFile> Load(const Team& team);
  absl::Status Merge(const TeamFile& file, EdgeConfig* config, Composition* out);

 private:
  // "<file>:<line>:<col>: <key>: <what>" for a key of a team's file.
  absl::Status TeamError(const TeamFile& f, const std::string& key, const std::string& what) const {
    return WithKeyLocation(ConfigError(f.path, key, what), f.path, f.root);
  }
  Origin OriginOf(const TeamFile& f, const std::string& key) const {
    const std::string at = LocateKeyPath(f.root, key);
    Origin o;
    o.team = f.team->name();
    o.file_at = absl::StrCat(f.path, at.empty() ? "" : ":", at);
    o.key = key;
    o.where = absl::StrCat(o.file_at, ": ", key, " (team ", f.team->name(), ")");
    return o;
  }
  absl::Status CheckPath(const TeamFile& f, const std::string& key, const std::string& literal,
                         const std::string& shown) const;
  absl::Status CheckDestination(const TeamFile& f, const std::string& key,
                                const edge::v1::Destination& d) const;
  absl::Status MergeRoutes(const TeamFile& f, EdgeConfig* config, Composition* out);
  absl::Status MergeTranscoding(const TeamFile& f, EdgeConfig* config, Composition* out);
  absl::Status MergeRules(const TeamFile& f, EdgeConfig* config, Composition* out);

  std::string platform_;
};

absl::StatusOr<TeamFile> Composer::Load(const Team& team) {
  TeamFile f;
  f.team = &team;
  f.dir = DirectoryOf(team.config());
  f.path = ResolvePath(DirectoryOf(platform_), team.config());
  absl::StatusOr<EdgeConfig> loaded = LoadEdgeConfig(f.path);
  if (!loaded.ok()) {
    return absl::Status(loaded.status().code(), absl::StrCat(loaded.status().message(), " (team ",
                                                             team.name(), ", ", platform_, ")"));
  }
  f.config = *std::move(loaded);
  absl::StatusOr<std::vector<YAML::Node>> docs = ReadYamlFile(f.path, kConfigYamlLimits);
  if (docs.ok() && !docs->empty()) f.root = (*docs)[0];
  f.namespaces.assign(team.destination_namespaces().begin(), team.destination_namespaces().end());
  if (f.namespaces.empty()) f.namespaces.push_back(team.name());

  // Nothing gateway-wide: those sections are the platform's, for every team at once.
  const EdgeConfig& c = f.config;
  const std::string only =
      "a team file holds routes, transcoding and direct_responses only; this is the "
      "platform's, in ";
  if (c.has_gateway()) return TeamError(f, "gateway", only + platform_);
  if (c.has_gzip()) return TeamError(f, "gzip", only + platform_);
  if (c.has_ext_authz()) return TeamError(f, "ext_authz", only + platform_);
  if (!c.teams().empty()) return TeamError(f, "teams", only + platform_);
  if (c.routes().has_name()) return TeamError(f, "routes.name", only + platform_);
  if (c.routes().has_default_destination()) {
    return TeamError(f, "routes.default_destination", only + platform_);
  }
  const edge::v1::Transcoding& t = c.transcoding();
  const char* filter_wide[] = {"enabled",
                               "name",
                               "print_options",
                               "convert_grpc_status",
                               "unknown_query_parameters",
                               "ignored_query_parameters",
                               "max_request_body_size",
                               "max_response_body_size",
                               "prune_descriptor"};
  for (const char* field : filter_wide) {
    const auto* fd = t.GetDescriptor()->FindFieldByName(field);
    const bool set = fd->is_repeated() ? t.GetReflection()->FieldSize(t, fd) > 0
                                       : t.GetReflection()->HasField(t, fd);
    if (set) {
      return TeamError(f, absl::StrCat("transcoding.", field),
                       absl::StrCat("the gateway has one transcoder for every team: its settings "
                                    "are the platform's, in ",
                                    platform_));
    }
  }
  const edge::v1::DirectResponses& d = c.direct_responses();
  if (d.has_engine() || d.has_wasm() || d.has_enabled()) {
    return TeamError(
        f,
        d.has_engine() ? "direct_responses.engine"
                       : (d.has_wasm() ? "direct_responses.wasm" : "direct_responses.enabled"),
        absl::StrCat("who answers the rules is the platform's choice, in ", platform_));
  }
  return f;
}

absl::Status Composer::CheckPath(const TeamFile& f, const std::string& key,
                                 const std::string& literal, const std::string& shown) const {
  const std::vector<std::string> prefixes = OwnedPathPrefixes(*f.team);
  if (WithinPathPrefixes(literal, prefixes)) return absl::OkStatus();
  return TeamError(
      f, key,
      absl::StrCat("\"", shown, "\" is outside the path_prefixes of team ", f.team->name(), " (",
                   absl::StrJoin(prefixes, ", "), ") in ", platform_));
}

absl::Status Composer::CheckDestination(const TeamFile& f, const std::string& key,
                                        const edge::v1::Destination& d) const {
  const std::string ns = NamespaceOf(d.host());
  if (ns.empty()) {
    return TeamError(f, key + ".host",
                     absl::StrCat("\"", d.host(),
                                  "\" names no namespace: a team's destinations are written "
                                  "<service>.<namespace>.svc.cluster.local, in its "
                                  "destination_namespaces (",
                                  absl::StrJoin(f.namespaces, ", "), ")"));
  }
  if (std::find(f.namespaces.begin(), f.namespaces.end(), ns) == f.namespaces.end()) {
    return TeamError(f, key + ".host",
                     absl::StrCat("\"", d.host(), "\" is in namespace ", ns,
                                  ", outside the destination_namespaces of team ", f.team->name(),
                                  " (", absl::StrJoin(f.namespaces, ", "), ") in ", platform_));
  }
  return absl::OkStatus();
}

absl::Status Composer::MergeRoutes(const TeamFile& f, EdgeConfig* config, Composition* out) {
  const edge::v1::Routes& routes = f.config.routes();
  const std::vector<std::string> team_hosts(f.team->hosts().begin(), f.team->hosts().end());
  if (absl::Status s = ValidateHttpRoutesWithin(
          routes, team_hosts, absl::StrCat("the hosts of team ", f.team->name()), f.path);
      !s.ok()) {
    return WithKeyLocation(s, f.path, f.root);
  }
  for (int i = 0; i < routes.http_size(); ++i) {
    const edge::v1::HttpRoute& route = routes.http(i);
    const std::string key = absl::StrCat("routes.http[", i, "]");
    const edge::v1::RouteMatch& m = route.match();
    const std::string literal = m.has_regex() ? rules::RegexLiteralPrefix(m.regex())
                                              : (m.has_exact() ? m.exact() : m.prefix());
    const std::string match_key =
        key + (m.has_regex() ? ".match.regex" : (m.has_exact() ? ".match.exact" : ".match.prefix"));
    if (absl::Status s = CheckPath(f, match_key, literal, m.has_regex() ? m.regex() : literal);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckDestination(f, key + ".destination", route.destination()); !s.ok()) {
      return s;
    }
    edge::v1::HttpRoute* merged = config->mutable_routes()->add_http();
    *merged = route;
    merged->set_name(absl::StrCat(f.team->name(), ".", route.name()));
    if (merged->hosts().empty()) *merged->mutable_hosts() = f.team->hosts();
    Origin origin = OriginOf(f, key);
    absl::StrAppend(&origin.where, " ", merged->name());
    out->http_routes[config->routes().http_size() - 1] = std::move(origin);
  }
  return absl::OkStatus();
}

absl::Status Composer::MergeTranscoding(const TeamFile& f, EdgeConfig* config, Composition* out) {
  if (!f.config.has_transcoding()) return absl::OkStatus();
  const edge::v1::Transcoding& t = f.config.transcoding();
  // The team's top-level fields are one backend, as in edge.yaml; then its backends.
  std::vector<std::pair<std::string, edge::v1::TranscodingBackend>> backends;
  if (std::optional<edge::v1::TranscodingBackend> top = TopLevelBackend(t)) {
    backends.emplace_back("transcoding", *std::move(top));
  }
  for (int i = 0; i < t.backends_size(); ++i) {
    backends.emplace_back(absl::StrCat("transcoding.backends[", i, "]"), t.backends(i));
  }
  for (auto& [key, backend] : backends) {
    if (f.team->grpc_packages().empty()) {
      return TeamError(f, key,
                       absl::StrCat("team ", f.team->name(),
                                    " may publish no gRPC package through the transcoder: the "
                                    "platform lists them in its grpc_packages (",
                                    platform_, ")"));
    }
    if (backend.has_destination()) {
      if (absl::Status s = CheckDestination(f, key + ".destination", backend.destination());
          !s.ok()) {
        return s;
      }
    }
    // Paths in the team's file are relative to it; the merged config's to platform.yaml.
    for (std::string& dir : *backend.mutable_include_paths()) dir = ResolveIncludeEntry(f.dir, dir);
    if (backend.include_paths().empty() && !backend.proto_files().empty()) {
      // edge.yaml's default include path is its own directory: the team file's.
      backend.add_include_paths(f.dir.empty() ? "." : f.dir);
    }
    // A proto file is found next to the team file, else under one of the team's include
    // paths (protoc's two readings, as in edge.yaml), and named by its path from the
    // platform's directory: never a same-named file of the platform's or another team's.
    const std::string platform_dir = DirectoryOf(platform_);
    auto exists = [&](const std::string& path) {
      return access(ResolvePath(platform_dir, path).c_str(), F_OK) == 0;
    };
    for (std::string& file : *backend.mutable_proto_files()) {
      if (exists(ResolvePath(f.dir, file))) {
        file = ResolvePath(f.dir, file);
        continue;
      }
      bool found = false;
      for (const std::string& entry : backend.include_paths()) {
        for (absl::string_view dir : absl::StrSplit(entry, ':', absl::SkipEmpty())) {
          if (found || dir.find('=') != absl::string_view::npos) continue;
          if (exists(ResolvePath(std::string(dir), file))) {
            file = ResolvePath(std::string(dir), file);
            found = true;
          }
        }
      }
      const bool virtual_paths =
          std::any_of(backend.include_paths().begin(), backend.include_paths().end(),
                      [](const std::string& e) { return e.find('=') != std::string::npos; });
      if (!found && !virtual_paths) {
        return TeamError(f, key + ".proto_files",
                         absl::StrCat("\"", file, "\" is neither next to ", f.path,
                                      " nor under one of its include_paths"));
      }
    }
    if (backend.has_descriptor_set())
      backend.set_descriptor_set(ResolvePath(f.dir, backend.descriptor_set()));
    *config->mutable_transcoding()->add_backends() = std::move(backend);
    out->backends[config->transcoding().backends_size() - 1] = OriginOf(f, key);
  }
  return absl::OkStatus();
}

absl::Status Composer::MergeRules(const TeamFile& f, EdgeConfig* config, Composition* out) {
  if (!f.config.has_direct_responses()) return absl::OkStatus();
  const auto& rules = f.config.direct_responses().rules();
  // A team may put its own rules in dry run, one by one or all at once (the section's
  // dry_run becomes each rule's: the platform's section is not the team's to set).
  const bool team_dry_run = f.config.direct_responses().dry_run();
  // The rule language's own checks, against the team's file and hosts (a rule's `hosts`
  // must lie within them).
  rules::RuleSet::Options options;
  options.dry_run = team_dry_run;
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> compiled =
      rules::RuleSet::Compile(rules, f.team->hosts(), "direct_responses", options);
  if (!compiled.ok()) {
    // The rule set's hosts are the team's here, not a key of the team's file.
    const std::string message = absl::StrReplaceAll(
        compiled.status().message(), {{"the hosts of direct_responses.hosts",
                                       absl::StrCat("the hosts of team ", f.team->name(), " (",
                                                    absl::StrJoin(f.team->hosts(), ", "), ")")}});
    return WithKeyLocation(
        absl::Status(compiled.status().code(), absl::StrCat(f.path, ": ", message)), f.path,
        f.root);
  }
  const std::vector<std::string> prefixes = OwnedPathPrefixes(*f.team);
  for (int i = 0; i < rules.size(); ++i) {
    rules::v1::Rule rule = rules[i];
    rule.set_name(absl::StrCat(f.team->name(), ".", rules[i].name()));
    if (team_dry_run) rule.set_dry_run(true);
    // Scoped by construction: the team's hosts, and its path prefixes ANDed with the
    // rule's condition, so no rule can answer another team's requests.
    if (rule.hosts().empty()) *rule.mutable_hosts() = f.team->hosts();
    // A condition that keeps the rule inside the prefixes already (its own path test) is
    // left as it is: ANDing a prefix into a regex test would leave no route able to hold
    // it.
    if (!prefixes.empty() && !(rule.has_when() && StaysWithin(rule.when(), prefixes))) {
      rules::v1::Condition scope;
      rules::v1::Condition* within = prefixes.size() == 1 ? &scope : nullptr;
      for (const std::string& p : prefixes) {
        rules::v1::Condition* c = within != nullptr ? within : scope.add_any();
        c->mutable_path()->set_prefix(p);
      }
      rules::v1::Condition when;
      *when.add_all() = std::move(scope);
      if (rule.has_when()) *when.add_all() = rule.when();
      *rule.mutable_when() = std::move(when);
    }
    if (rule.has_when()) RebaseCidrsFiles(f.dir, rule.mutable_when());
    *config->mutable_direct_responses()->add_rules() = std::move(rule);
    Origin origin = OriginOf(f, absl::StrCat("direct_responses.rules[", i, "]"));
    origin.tests_path_or_method = rules[i].has_when() && TestsPathOrMethod(rules[i].when());
    origin.tests_path = rules[i].has_when() && TestsPathOrMethod(rules[i].when(), /*method=*/false);
    out->rules[config->direct_responses().rules_size() - 1] = std::move(origin);
  }
  return absl::OkStatus();
}

absl::Status Composer::Merge(const TeamFile& f, EdgeConfig* config, Composition* out) {
  if (absl::Status s = MergeRoutes(f, config, out); !s.ok()) return s;
  if (absl::Status s = MergeTranscoding(f, config, out); !s.ok()) return s;
  return MergeRules(f, config, out);
}

}  // namespace

bool WithinPathPrefixes(const std::string& path, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return absl::StartsWith(path, p); });
}

absl::Status Relocate(const absl::Status& status, const std::string& source,
                      const std::string& section, const std::map<int, Origin>& origins) {
  const std::string message(status.message());
  const std::string head = absl::StrCat(source, ": ", section, "[");
  if (status.ok() || !absl::StartsWith(message, head)) return status;
  const size_t close = message.find(']', head.size());
  int index = 0;
  if (close == std::string::npos ||
      !absl::SimpleAtoi(message.substr(head.size(), close - head.size()), &index)) {
    return status;
  }
  auto origin = origins.find(index);
  if (origin == origins.end()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(origin->second.file_at, ": ", origin->second.key,
                                   message.substr(close + 1), " (team ", origin->second.team, ")"));
}

const TeamClaim* Composition::Team(const std::string& name) const {
  for (const TeamClaim& t : teams) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string Composition::Comment() const {
  std::vector<std::string> lines;
  for (const TeamClaim& t : teams) lines.push_back(absl::StrCat("#   ", t.name, " (", t.file, ")"));
  return absl::StrCat("# Composed by edgekit from the platform's file and these teams':\n",
                      absl::StrJoin(lines, "\n"), "\n");
}

absl::StatusOr<Composition> ComposeTeams(const std::string& platform_path, EdgeConfig* config) {
  Composition out;
  if (config->teams().empty()) return out;
  YAML::Node platform_root;
  absl::StatusOr<std::vector<YAML::Node>> docs = ReadYamlFile(platform_path, kConfigYamlLimits);
  if (docs.ok() && !docs->empty()) platform_root = (*docs)[0];
  if (absl::Status s = CheckTeamClaims(*config, platform_path, platform_root); !s.ok()) return s;
  Composer composer(platform_path);

  // Merged in name order, so the order of the list changes no byte of the output.
  std::vector<Team> teams(config->teams().begin(), config->teams().end());
  std::sort(teams.begin(), teams.end(),
            [](const Team& a, const Team& b) { return a.name() < b.name(); });
  config->clear_teams();
  for (const Team& team : teams) {
    absl::StatusOr<TeamFile> file = composer.Load(team);
    if (!file.ok()) return file.status();
    if (absl::Status s = composer.Merge(*file, config, &out); !s.ok()) return s;
    out.teams.push_back(TeamClaim{team.name(),
                                  team.config(),
                                  {team.hosts().begin(), team.hosts().end()},
                                  {team.path_prefixes().begin(), team.path_prefixes().end()},
                                  {team.grpc_packages().begin(), team.grpc_packages().end()},
                                  {},
                                  file->namespaces});
    for (const std::string& cases : team.cases()) {
      out.teams.back().cases.push_back(ResolvePath(DirectoryOf(platform_path), cases));
    }
  }
  return out;
}

}  // namespace edgekit::cli
