#include "cli/render/team_claims.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/hosts.h"
#include "cli/edge/key_locator.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;
using edge::v1::Team;

bool PrefixesOverlap(const std::string& a, const std::string& b) {
  return absl::StartsWith(a, b) || absl::StartsWith(b, a);
}

bool IsPackageName(const std::string& s) {
  for (absl::string_view part : absl::StrSplit(s, '.')) {
    if (part.empty() || absl::ascii_isdigit(part.front())) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '_') return false;
    }
  }
  return true;
}

}  // namespace

absl::Status CheckTeamClaims(const EdgeConfig& config, const std::string& platform,
                             const YAML::Node& root) {
  auto PlatformError = [&](const std::string& key, const std::string& what) {
    return WithKeyLocation(ConfigError(platform, key, what), platform, root);
  };
  const auto& gateway_hosts = config.gateway().hosts();
  std::map<std::string, int> names;
  for (int i = 0; i < config.teams_size(); ++i) {
    const Team& t = config.teams(i);
    const std::string key = absl::StrCat("teams[", i, "]");
    if (!IsDns1123Label(t.name())) {
      return PlatformError(key + ".name",
                           t.name().empty() ? "required: the team's name, e.g. payments"
                                            : absl::StrCat("\"", t.name(),
                                                           "\" is not a Kubernetes name (lowercase "
                                                           "letters, digits and '-', at most 63)"));
    }
    if (auto [it, inserted] = names.emplace(t.name(), i); !inserted) {
      return PlatformError(
          key + ".name",
          absl::StrCat("\"", t.name(), "\" is used twice (also teams[", it->second, "])"));
    }
    if (t.config().empty()) {
      return PlatformError(key + ".config",
                           "required: the team's file, relative to this one, e.g. "
                           "teams/payments/edge.yaml");
    }
    if (t.hosts().empty()) {
      return PlatformError(key + ".hosts", "required: the hosts the team may route");
    }
    for (int h = 0; h < t.hosts_size(); ++h) {
      const std::string& host = t.hosts(h);
      const std::string host_key = absl::StrCat(key, ".hosts[", h, "]");
      if (!IsHostPattern(host)) {
        return PlatformError(host_key, absl::StrCat("\"", host,
                                                    "\" is not a host (a lowercase DNS "
                                                    "name, \"*.\" and a name, or \"*\")"));
      }
      if (!gateway_hosts.empty() &&
          std::none_of(gateway_hosts.begin(), gateway_hosts.end(),
                       [&](const std::string& g) { return HostCovers(g, host); })) {
        return PlatformError(host_key, absl::StrCat("\"", host, "\" is not one of gateway.hosts (",
                                                    absl::StrJoin(gateway_hosts, ", "),
                                                    ") nor under one of its wildcards"));
      }
    }
    for (int p = 0; p < t.path_prefixes_size(); ++p) {
      if (!absl::StartsWith(t.path_prefixes(p), "/")) {
        return PlatformError(
            absl::StrCat(key, ".path_prefixes[", p, "]"),
            absl::StrCat("\"", t.path_prefixes(p), "\" does not start with \"/\""));
      }
    }
    for (int p = 0; p < t.grpc_packages_size(); ++p) {
      if (!IsPackageName(t.grpc_packages(p))) {
        return PlatformError(absl::StrCat(key, ".grpc_packages[", p, "]"),
                             absl::StrCat("\"", t.grpc_packages(p),
                                          "\" is not a proto package name such as payments.v1"));
      }
    }
    for (int n = 0; n < t.destination_namespaces_size(); ++n) {
      if (!IsDns1123Label(t.destination_namespaces(n))) {
        return PlatformError(absl::StrCat(key, ".destination_namespaces[", n, "]"),
                             absl::StrCat("\"", t.destination_namespaces(n),
                                          "\" is not a Kubernetes namespace name"));
      }
    }
  }
  // Two teams may share a host only with disjoint path prefixes: else one team's routes
  // and rules could take the other's requests. Proto packages are paths too
  // (/<package>.<Service>/), on every host: no package may be inside another team's.
  for (int i = 0; i < config.teams_size(); ++i) {
    for (int j = i + 1; j < config.teams_size(); ++j) {
      const Team& a = config.teams(i);
      const Team& b = config.teams(j);
      for (const std::string& pa : a.grpc_packages()) {
        for (const std::string& pb : b.grpc_packages()) {
          if (pa == pb || absl::StartsWith(pa, pb + ".") || absl::StartsWith(pb, pa + ".")) {
            return PlatformError(
                absl::StrCat("teams[", j, "].grpc_packages"),
                absl::StrCat("teams ", a.name(), " (", a.config(), ") and ", b.name(), " (",
                             b.config(), ") both claim proto package ",
                             pa.size() >= pb.size() ? pa : pb, " (", a.name(), ": ", pa, "; ",
                             b.name(), ": ", pb, "): a package belongs to one team"));
          }
        }
      }
      std::vector<std::string> pa(a.path_prefixes().begin(), a.path_prefixes().end());
      std::vector<std::string> pb(b.path_prefixes().begin(), b.path_prefixes().end());
      if (pa.empty()) pa.push_back("/");
      if (pb.empty()) pb.push_back("/");
      for (const std::string& ha : a.hosts()) {
        for (const std::string& hb : b.hosts()) {
          if (!HostsOverlap(ha, hb)) continue;
          for (const std::string& xa : pa) {
            for (const std::string& xb : pb) {
              if (!PrefixesOverlap(xa, xb)) continue;
              return PlatformError(
                  absl::StrCat("teams[", j, "]"),
                  absl::StrCat("teams ", a.name(), " (", a.config(), ") and ", b.name(), " (",
                               b.config(), ") both claim ", HostCovers(ha, hb) ? hb : ha,
                               xa.size() >= xb.size() ? xa : xb, " (", a.name(), ": ", ha, xa, "; ",
                               b.name(), ": ", hb, xb,
                               "): give each team its own hosts or disjoint path_prefixes"));
            }
          }
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
