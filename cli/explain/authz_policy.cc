#include "cli/explain/authz_policy.h"

#include <initializer_list>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace edgekit::cli::explain {
namespace {

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

bool InCidrs(const YAML::Node& cidrs, const std::optional<rules::IpAddress>& address,
             std::string* which) {
  if (!address.has_value()) return false;
  for (const auto& c : cidrs) {
    const std::string text = c.as<std::string>();
    absl::StatusOr<rules::IpSet> set = rules::IpSet::Build({text}, "cidr");
    if (set.ok() && set->Contains(*address)) {
      *which = text;
      return true;
    }
  }
  return false;
}

// Fails for a field of `node` outside `modelled` ("operation.hosts is not modelled").
absl::Status OnlyModelled(const YAML::Node& node, absl::string_view what,
                          std::initializer_list<absl::string_view> modelled) {
  for (const auto& key : node) {
    const std::string k = key.first.as<std::string>();
    bool known = false;
    for (absl::string_view m : modelled) known = known || k == m;
    if (!known) return absl::InvalidArgumentError(absl::StrCat(what, ".", k, " is not modelled"));
  }
  return absl::OkStatus();
}

// One `to[].operation`: "" when it holds, else why not.
absl::StatusOr<std::string> OperationFails(const YAML::Node& op, const GatewayRequest& r) {
  if (absl::Status s =
          OnlyModelled(op, "operation", {"paths", "notPaths", "notPorts", "methods", "notMethods"});
      !s.ok()) {
    return s;
  }
  const std::string path(r.path_without_query());
  if (op["paths"]) {
    bool hit = false;
    for (const auto& p : op["paths"]) hit = hit || AuthzPathMatches(p.as<std::string>(), path);
    if (!hit) return std::string("the path is in none of paths");
  }
  for (const auto& p : op["notPaths"]) {
    if (AuthzPathMatches(p.as<std::string>(), path)) {
      return absl::StrCat("the path matches notPaths ", Quoted(p.as<std::string>()),
                          " (ext_authz.excluded_paths)");
    }
  }
  if (op["methods"]) {
    bool hit = false;
    for (const auto& m : op["methods"]) hit = hit || m.as<std::string>() == r.method();
    if (!hit) return std::string("the method is in none of methods");
  }
  for (const auto& m : op["notMethods"]) {
    if (m.as<std::string>() == r.method()) return std::string("the method is in notMethods");
  }
  // notPorts holds the ext_authz loopback listener's port: client requests arrive on the
  // gateway's public listeners, never on it.
  return std::string();
}

// One `from[].source`: "" when it holds, else why not. ipBlocks test the TCP peer (Envoy
// RBAC direct_remote_ip), not x-forwarded-for.
absl::StatusOr<std::string> SourceFails(const YAML::Node& source, const GatewayRequest& r) {
  if (absl::Status s = OnlyModelled(source, "source", {"ipBlocks", "notIpBlocks"}); !s.ok()) {
    return s;
  }
  std::string which;
  if (source["ipBlocks"] && !InCidrs(source["ipBlocks"], r.peer(), &which)) {
    return std::string("the TCP peer is in none of ipBlocks");
  }
  if (InCidrs(source["notIpBlocks"], r.peer(), &which)) {
    return absl::StrCat("the TCP peer ", r.peer_text(), " is in notIpBlocks ", Quoted(which),
                        " (ext_authz.excluded_cidrs)");
  }
  return std::string();
}

// A list of `to` or `from` items holds when one item does; absent, it holds. When none
// does, `why_not` gets the first item's reason.
template <typename ItemFails>
absl::StatusOr<bool> AnyItemHolds(const YAML::Node& items, const char* field,
                                  const ItemFails& item_fails, const GatewayRequest& r,
                                  std::string* why_not) {
  if (!items) return true;
  std::string first_reason;
  for (const auto& item : items) {
    absl::StatusOr<std::string> fails = item_fails(item[field], r);
    if (!fails.ok()) return fails.status();
    if (fails->empty()) return true;
    if (first_reason.empty()) first_reason = *fails;
  }
  *why_not = first_reason;
  return false;
}

// Whether one AuthorizationPolicy rule holds (its `to` and its `from`), and if not why.
absl::StatusOr<bool> AuthzRuleHolds(const YAML::Node& rule, const GatewayRequest& r,
                                    std::string* why_not) {
  if (rule["when"]) return absl::InvalidArgumentError("`when` conditions are not modelled");
  absl::StatusOr<bool> to = AnyItemHolds(rule["to"], "operation", OperationFails, r, why_not);
  if (!to.ok() || !*to) return to;
  return AnyItemHolds(rule["from"], "source", SourceFails, r, why_not);
}

}  // namespace

bool AuthzPathMatches(const std::string& pattern, absl::string_view path) {
  if (pattern == "*") return !path.empty();
  if (absl::StartsWith(pattern, "*")) return absl::EndsWith(path, pattern.substr(1));
  if (absl::EndsWith(pattern, "*")) {
    return absl::StartsWith(path, pattern.substr(0, pattern.size() - 1));
  }
  return path == pattern;
}

absl::StatusOr<bool> CustomPolicyCalls(const AuthzModel& policy, const GatewayRequest& r,
                                       std::string* why_not) {
  // No rules: the policy never applies. Each rule that holds sends the request to ext_authz.
  bool called = false;
  for (const auto& rule : policy.rules) {
    std::string reason;
    absl::StatusOr<bool> holds = AuthzRuleHolds(rule, r, &reason);
    if (!holds.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("AuthorizationPolicy ", policy.policy_name, ": ", holds.status().message()));
    }
    if (*holds) called = true;
    if (why_not->empty()) *why_not = reason;
  }
  return called;
}

}  // namespace edgekit::cli::explain
