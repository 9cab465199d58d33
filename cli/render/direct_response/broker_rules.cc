#include "cli/render/direct_response/broker_rules.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/edge_config.h"
#include "rules/ip_set.h"
#include "rules/rule_set.h"

namespace edgekit::cli::direct_response_internal {
namespace {

using rules::v1::Condition;

// Whether no request `c` matches can have what `leaf_avoids` rules out, judged through
// `all` (one item that avoids it is enough) and `any` (every item must), down to single
// tests. Sound, not complete: a test leaf_avoids cannot judge counts as "can have it".
template <typename LeafAvoids>
bool ConditionAvoids(const Condition& c, const LeafAvoids& leaf_avoids) {
  if (c.all_size() > 0) {
    for (const Condition& item : c.all()) {
      if (ConditionAvoids(item, leaf_avoids)) return true;
    }
    return false;
  }
  if (c.any_size() > 0) {
    for (const Condition& item : c.any()) {
      if (!ConditionAvoids(item, leaf_avoids)) return false;
    }
    return true;
  }
  return leaf_avoids(c);
}

// An Istio notPaths entry: exact, "prefix*", "*suffix" or "*".
struct PathPattern {
  enum class Kind { kExact, kPrefix, kSuffix, kAny } kind;
  std::string value;
};

PathPattern ParsePattern(const std::string& p) {
  if (p == "*") return {PathPattern::Kind::kAny, ""};
  if (absl::EndsWith(p, "*")) return {PathPattern::Kind::kPrefix, p.substr(0, p.size() - 1)};
  if (absl::StartsWith(p, "*")) return {PathPattern::Kind::kSuffix, p.substr(1)};
  return {PathPattern::Kind::kExact, p};
}

// True when no path passing `test` (one conjunct) can match `excluded`: a sound,
// incomplete check (a regex, or a suffix pattern against a prefix test, is "can match").
bool PathTestAvoids(const Condition& test, const PathPattern& excluded) {
  if (test.has_path()) {
    const rules::v1::StringCondition& s = test.path();
    // Without case, the test also matches other spellings of the excluded path; a prefix
    // is tested on the whole :path, query included, while notPaths see it without.
    if (s.ignore_case()) return false;
    if (s.has_prefix() && s.prefix().find_first_of("?#") != std::string::npos) return false;
    switch (excluded.kind) {
      case PathPattern::Kind::kAny:
        return false;
      case PathPattern::Kind::kExact:
        if (s.has_exact()) return s.exact() != excluded.value;
        if (s.has_prefix()) return !absl::StartsWith(excluded.value, s.prefix());
        return false;
      case PathPattern::Kind::kPrefix:
        if (s.has_exact()) return !absl::StartsWith(s.exact(), excluded.value);
        if (s.has_prefix()) {
          return !absl::StartsWith(s.prefix(), excluded.value) &&
                 !absl::StartsWith(excluded.value, s.prefix());
        }
        return false;
      case PathPattern::Kind::kSuffix:
        if (s.has_exact()) return !absl::EndsWith(s.exact(), excluded.value);
        return false;
    }
  }
  if (test.has_not_() && test.not_().has_path()) {
    const rules::v1::StringCondition& s = test.not_().path();
    if (excluded.kind == PathPattern::Kind::kExact) {
      return (s.has_exact() && s.exact() == excluded.value) ||
             (s.has_prefix() && absl::StartsWith(excluded.value, s.prefix()));
    }
    if (excluded.kind == PathPattern::Kind::kPrefix) {
      return s.has_prefix() && absl::StartsWith(excluded.value, s.prefix());
    }
  }
  return false;
}

bool Overlap(const std::pair<rules::IpAddress, rules::IpAddress>& a,
             const std::pair<rules::IpAddress, rules::IpAddress>& b) {
  return a.first <= b.second && b.first <= a.second;
}

// True when no client passing `test` can be in `excluded` (a CIDR). Only when the client
// the rules test is the TCP peer (no trusted proxies): notIpBlocks tests the peer (Envoy
// RBAC direct_remote_ip), while with trusted proxies the rules test the address taken from
// x-forwarded-for, so no client test keeps a rule clear of a peer exclusion.
bool ClientTestAvoids(const Condition& test, const std::string& excluded,
                      uint32_t trusted_proxies) {
  if (trusted_proxies > 0) return false;
  const auto range = rules::CidrRange(excluded);
  if (!range) return false;
  if (test.has_client_ip()) {
    // A cidrs_file is read by the broker, not here: its networks may be anywhere.
    if (test.client_ip().has_cidrs_file()) return false;
    for (const std::string& cidr : test.client_ip().cidrs()) {
      const auto r = rules::CidrRange(cidr);
      if (!r || Overlap(*r, *range)) return false;
    }
    return true;
  }
  if (test.has_not_() && test.not_().has_client_ip()) {
    for (const std::string& cidr : test.not_().client_ip().cidrs()) {
      const auto r = rules::CidrRange(cidr);
      if (r && r->first <= range->first && range->second <= r->second) return true;
    }
  }
  return false;
}

// The CUSTOM AuthorizationPolicy keeps excluded paths and clients from the broker: a rule
// that could match such a request would silently not answer it.
absl::Status CheckNotHidden(const edge::v1::EdgeConfig& config, const std::string& source) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  const auto& rule_list = config.direct_responses().rules();
  for (int i = 0; i < rule_list.size(); ++i) {
    const rules::v1::Rule& rule = rule_list[i];
    for (int j = 0; j < authz.excluded_paths_size(); ++j) {
      const PathPattern excluded = ParsePattern(authz.excluded_paths(j));
      const bool avoids = rule.has_when() && ConditionAvoids(rule.when(), [&](const Condition& t) {
                            return PathTestAvoids(t, excluded);
                          });
      if (!avoids) {
        return ConfigError(
            source, absl::StrCat("direct_responses.rules[", i, "]"),
            absl::StrCat("rule \"", rule.name(), "\" can match requests to \"",
                         authz.excluded_paths(j), "\" (ext_authz.excluded_paths[", j,
                         "]), which the AuthorizationPolicy never sends to the broker, so the "
                         "rule would not see them: remove the exclusion, or give the rule a "
                         "path test that leaves those paths out (`all: [{not: {path: ...}}, "
                         "...]`)"));
      }
    }
    const uint32_t trusted = config.gateway().num_trusted_proxies();
    for (int j = 0; j < authz.excluded_cidrs_size(); ++j) {
      const bool avoids = rule.has_when() && ConditionAvoids(rule.when(), [&](const Condition& t) {
                            return ClientTestAvoids(t, authz.excluded_cidrs(j), trusted);
                          });
      if (avoids) continue;
      if (trusted > 0) {
        return ConfigError(
            source, absl::StrCat("direct_responses.rules[", i, "]"),
            absl::StrCat(
                "rule \"", rule.name(), "\": requests whose TCP peer is in \"",
                authz.excluded_cidrs(j), "\" (ext_authz.excluded_cidrs[", j,
                "]) never reach the broker, whatever client x-forwarded-for names: the "
                "exclusion tests the peer, while with gateway.num_trusted_proxies ",
                trusted,
                " the rule tests the client behind the proxies, so no client_ip test keeps "
                "the rule clear of it (a client the rule blocks, behind a proxy in that "
                "network, would pass). Remove the exclusion, or exclude by path"));
      }
      return ConfigError(
          source, absl::StrCat("direct_responses.rules[", i, "]"),
          absl::StrCat("rule \"", rule.name(), "\" can match clients in \"",
                       authz.excluded_cidrs(j), "\" (ext_authz.excluded_cidrs[", j,
                       "]), which the AuthorizationPolicy never sends to the broker, so the "
                       "rule would not see them: remove the exclusion, or give the rule a "
                       "client_ip test that leaves them out"));
    }
  }
  return absl::OkStatus();
}

bool TestsClientIp(const Condition& c) {
  if (c.has_client_ip()) return true;
  if (c.has_not_()) return TestsClientIp(c.not_());
  for (const Condition& item : c.all()) {
    if (TestsClientIp(item)) return true;
  }
  for (const Condition& item : c.any()) {
    if (TestsClientIp(item)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<CompiledDirectResponses> CompileForBroker(const edge::v1::EdgeConfig& config,
                                                         const std::string& source,
                                                         std::vector<std::string>* warnings) {
  const edge::v1::DirectResponses& direct = config.direct_responses();
  if (ExtAuthzEnabled(config) && IsLoopbackMode(config.ext_authz())) {
    return ConfigError(source, "direct_responses.engine",
                       "the broker answers the rules, but ext_authz.mode is loopback (no "
                       "broker): use ext_authz mode broker, or engine routes");
  }
  if (direct.has_wasm()) {
    return ConfigError(source, "direct_responses.wasm",
                       "only for engine routes: the broker answers every rule itself");
  }
  rules::RuleSet::Options options;
  options.dry_run = direct.dry_run();  // a dry-run catch-all leaves later rules reachable
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> compiled = rules::RuleSet::Compile(
      direct.rules(), config.gateway().hosts(), "direct_responses", options);
  if (!compiled.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", compiled.status().message()));
  }
  if (absl::Status s = CheckNotHidden(config, source); !s.ok()) return s;
  if (warnings != nullptr && !config.gateway().has_num_trusted_proxies()) {
    for (int i = 0; i < direct.rules_size(); ++i) {
      if (direct.rules(i).has_when() && TestsClientIp(direct.rules(i).when())) {
        warnings->push_back(absl::StrCat(
            source, ": direct_responses.rules[", i, "]: warning: rule \"", direct.rules(i).name(),
            "\" tests client_ip but gateway.num_trusted_proxies is not set: behind a load "
            "balancer or CDN the address tested is theirs, not the client's"));
      }
    }
  }
  CompiledDirectResponses out;
  out.in_broker = true;  // catches_all stays false: it is about routes
  return out;
}

}  // namespace edgekit::cli::direct_response_internal
