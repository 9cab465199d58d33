#include "cli/render/direct_response/dry_run.h"

#include "absl/strings/str_cat.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/edge_config.h"

namespace edgekit::cli::direct_response_internal {

std::string DryRunKey(const edge::v1::DirectResponses& direct) {
  if (direct.dry_run()) return "direct_responses.dry_run";
  for (int i = 0; i < direct.rules_size(); ++i) {
    if (direct.rules(i).dry_run()) return absl::StrCat("direct_responses.rules[", i, "].dry_run");
  }
  return "";
}

absl::Status DryRunNeedsBrokerEngine(const edge::v1::DirectResponses& direct,
                                     const std::string& source) {
  return ConfigError(source, DryRunKey(direct),
                     "dry run needs engine: broker (VirtualService routes and Wasm always "
                     "answer)");
}

absl::StatusOr<bool> AutoInBrokerForDryRun(const edge::v1::EdgeConfig& config,
                                           const std::string& source, std::string* why) {
  const std::string key = DryRunKey(config.direct_responses());
  if (ExtAuthzEnabled(config) && IsLoopbackMode(config.ext_authz())) {
    return ConfigError(source, key,
                       "dry run needs the broker engine, and ext_authz.mode is loopback (no "
                       "broker): use ext_authz mode broker");
  }
  if (!ExtAuthzEnabled(config)) {
    return ConfigError(source, key,
                       "dry run needs the broker engine, which engine auto picks only with an "
                       "ext_authz section through the broker: add one (mode broker), or set "
                       "direct_responses.engine: broker for a rules-only broker");
  }
  if (why != nullptr) {
    const edge::v1::DirectResponses& direct = config.direct_responses();
    std::string what = "direct_responses.dry_run is set";
    for (int i = 0; i < direct.rules_size() && !direct.dry_run(); ++i) {
      if (!direct.rules(i).dry_run()) continue;
      what = absl::StrCat("rule \"", direct.rules(i).name(), "\" is in dry run");
      break;
    }
    *why = absl::StrCat("broker (", what,
                        ": only the broker counts a rule's matches without answering)");
  }
  return true;
}

}  // namespace edgekit::cli::direct_response_internal
