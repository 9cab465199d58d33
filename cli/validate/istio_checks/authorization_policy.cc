// The semantic checks of AuthorizationPolicies (istio_checks.h): an action CUSTOM policy
// hands requests to an external authorizer selected by provider name, and istiod rejects
// the rule fields that need the peer identity, which such a policy never sees.
#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/validate/istio_checks/check.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::istio {

void CheckAuthorizationPolicy(Checker& c, const YAML::Node& spec) {
  const std::string action = Scalar(Get(spec, "action"));
  const YAML::Node provider = Get(spec, "provider");
  if (action != "CUSTOM") {
    if (provider.IsDefined()) {
      c.Error(provider, "spec.provider", "a provider is only used with action CUSTOM");
    }
    return;
  }
  if (!IsMap(provider) || Scalar(Get(provider, "name")).empty()) {
    c.Error(spec, "spec.provider.name",
            "action CUSTOM needs provider.name (a meshConfig extension provider)");
  }
  const YAML::Node rules = Get(spec, "rules");
  if (!IsSeq(rules)) return;
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string rule_path = absl::StrCat("spec.rules[", i, "]");
    const YAML::Node from = Get(rules[i], "from");
    if (IsSeq(from)) {
      for (size_t j = 0; j < from.size(); ++j) {
        const YAML::Node source = Get(from[j], "source");
        if (!IsMap(source)) continue;
        for (const char* field : {"principals", "notPrincipals", "namespaces", "notNamespaces"}) {
          if (Get(source, field).IsDefined()) {
            c.Error(Get(source, field), absl::StrCat(rule_path, ".from[", j, "].source.", field),
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
      if (key == "source.principal" || key == "source.namespace") {
        c.Error(Get(when[j], "key"), absl::StrCat(rule_path, ".when[", j, "].key"),
                absl::StrCat("\"", key, "\" cannot be used in a CUSTOM rule (Istio rejects it)"));
      }
    }
  }
}

}  // namespace edgekit::cli::istio
