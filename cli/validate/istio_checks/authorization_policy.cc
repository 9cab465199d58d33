// The semantic checks of AuthorizationPolicies (istio_checks.h): what Istio's validating
// webhook refuses about actions and providers. An action CUSTOM policy hands requests to
// an external authorizer selected by provider name, and the webhook refuses the rule
// fields that need the peer's or the token's identity, which such a policy never sees.
// Modelled on Istio 1.30 pkg/config/validation/validation.go, ValidateAuthorizationPolicy.
#include <cstddef>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/validate/istio_checks/check.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::istio {
namespace {

constexpr FindingCode kCode = FindingCode::kInvalidAuthorizationPolicy;

// Source fields the webhook refuses in a CUSTOM rule ("From.Principals is currently not
// supported with CUSTOM action").
constexpr const char* kIdentitySources[] = {
    "principals",        "notPrincipals",       "namespaces",   "notNamespaces",
    "serviceAccounts",   "notServiceAccounts",  "trustDomains", "notTrustDomains",
    "requestPrincipals", "notRequestPrincipals"};

bool IsIdentityConditionKey(const std::string& key) {
  return key == "source.namespace" || key == "source.serviceAccount" ||
         key == "source.trustDomain" || key == "source.principal" ||
         absl::StartsWith(key, "request.auth.");
}

void CheckCustomRules(Checker& c, const YAML::Node& rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string rule_path = absl::StrCat("spec.rules[", i, "]");
    const YAML::Node from = Get(rules[i], "from");
    if (IsSeq(from)) {
      for (size_t j = 0; j < from.size(); ++j) {
        const YAML::Node source = Get(from[j], "source");
        if (!IsMap(source)) continue;
        for (const char* field : kIdentitySources) {
          if (Get(source, field).IsDefined()) {
            c.Error(Get(source, field), absl::StrCat(rule_path, ".from[", j, "].source.", field),
                    kCode,
                    absl::StrCat(field,
                                 " cannot be used in a CUSTOM rule (Istio rejects it); "
                                 "use ipBlocks, remoteIpBlocks or paths to select requests"));
          }
        }
      }
    }
    const YAML::Node when = Get(rules[i], "when");
    if (!IsSeq(when)) continue;
    for (size_t j = 0; j < when.size(); ++j) {
      const std::string key = Scalar(Get(when[j], "key"));
      if (IsIdentityConditionKey(key)) {
        c.Error(Get(when[j], "key"), absl::StrCat(rule_path, ".when[", j, "].key"), kCode,
                absl::StrCat("\"", key, "\" cannot be used in a CUSTOM rule (Istio rejects it)"));
      }
    }
  }
}

}  // namespace

void CheckAuthorizationPolicy(Checker& c, const YAML::Node& spec) {
  const std::string action = Scalar(Get(spec, "action"));
  const YAML::Node provider = Get(spec, "provider");
  const YAML::Node rules = Get(spec, "rules");
  const bool has_rules = rules.IsDefined() && !rules.IsNull();
  if (action != "CUSTOM") {
    if (provider.IsDefined() && !provider.IsNull()) {
      c.Error(provider, "spec.provider", kCode, "a provider is only used with action CUSTOM");
    }
    if (action == "DENY" && !has_rules) {
      c.Error(spec, "spec.rules", kCode,
              "a DENY policy without rules never matches (Istio rejects it); add an empty "
              "rule {} to deny every request");
    }
    return;
  }
  if (!has_rules) {
    c.Error(spec, "spec.rules", kCode,
            "a CUSTOM policy without rules is never triggered (Istio rejects it); add an "
            "empty rule {} to send every request to the provider");
    return;
  }
  if (!IsMap(provider) || Scalar(Get(provider, "name")).empty()) {
    c.Error(spec, "spec.provider.name", kCode,
            "action CUSTOM needs provider.name (a meshConfig extension provider)");
  }
  if (IsSeq(rules)) CheckCustomRules(c, rules);
}

}  // namespace edgekit::cli::istio
