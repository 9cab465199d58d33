#include "cli/explain/authz_policy.h"

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

// Whether one AuthorizationPolicy rule holds, and if not the first reason why.
absl::StatusOr<bool> AuthzRuleHolds(const YAML::Node& rule, const GatewayRequest& r,
                                    std::string* why_not) {
  if (rule["when"]) return absl::InvalidArgumentError("`when` conditions are not modelled");
  if (rule["to"]) {
    bool any = false;
    std::string first_reason;
    for (const auto& to : rule["to"]) {
      const YAML::Node op = to["operation"];
      for (const auto& key : op) {
        const std::string k = key.first.as<std::string>();
        if (k != "paths" && k != "notPaths" && k != "notPorts" && k != "methods" &&
            k != "notMethods") {
          return absl::InvalidArgumentError(absl::StrCat("operation.", k, " is not modelled"));
        }
      }
      std::string reason;
      bool holds = true;
      const std::string path(r.path_without_query());
      if (op["paths"]) {
        bool hit = false;
        for (const auto& p : op["paths"]) hit = hit || AuthzPathMatches(p.as<std::string>(), path);
        if (!hit) {
          holds = false;
          reason = "the path is in none of paths";
        }
      }
      for (const auto& p : op["notPaths"]) {
        if (holds && AuthzPathMatches(p.as<std::string>(), path)) {
          holds = false;
          reason = absl::StrCat("the path matches notPaths ", Quoted(p.as<std::string>()),
                                " (ext_authz.excluded_paths)");
        }
      }
      if (holds && op["methods"]) {
        bool hit = false;
        for (const auto& m : op["methods"]) hit = hit || m.as<std::string>() == r.method();
        if (!hit) {
          holds = false;
          reason = "the method is in none of methods";
        }
      }
      for (const auto& m : op["notMethods"]) {
        if (holds && m.as<std::string>() == r.method()) {
          holds = false;
          reason = "the method is in notMethods";
        }
      }
      // notPorts holds the ext_authz loopback listener's port: client requests arrive on
      // the gateway's public listeners, never on it.
      if (holds) {
        any = true;
        break;
      }
      if (first_reason.empty()) first_reason = reason;
    }
    if (!any) {
      *why_not = first_reason;
      return false;
    }
  }
  if (rule["from"]) {
    bool any = false;
    std::string first_reason;
    for (const auto& from : rule["from"]) {
      const YAML::Node source = from["source"];
      for (const auto& key : source) {
        const std::string k = key.first.as<std::string>();
        if (k != "ipBlocks" && k != "notIpBlocks") {
          return absl::InvalidArgumentError(absl::StrCat("source.", k, " is not modelled"));
        }
      }
      std::string which;
      bool holds = true;
      std::string reason;
      // ipBlocks test the TCP peer (Envoy RBAC direct_remote_ip), not x-forwarded-for.
      if (source["ipBlocks"] && !InCidrs(source["ipBlocks"], r.peer(), &which)) {
        holds = false;
        reason = "the TCP peer is in none of ipBlocks";
      }
      if (holds && InCidrs(source["notIpBlocks"], r.peer(), &which)) {
        holds = false;
        reason = absl::StrCat("the TCP peer ", r.peer_text(), " is in notIpBlocks ", Quoted(which),
                              " (ext_authz.excluded_cidrs)");
      }
      if (holds) {
        any = true;
        break;
      }
      if (first_reason.empty()) first_reason = reason;
    }
    if (!any) {
      *why_not = first_reason;
      return false;
    }
  }
  return true;
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
      return absl::InvalidArgumentError(absl::StrCat(
          "explain: AuthorizationPolicy ", policy.policy_name, ": ", holds.status().message()));
    }
    if (*holds) called = true;
    if (why_not->empty()) *why_not = reason;
  }
  return called;
}

}  // namespace edgekit::cli::explain
