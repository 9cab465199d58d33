// `edgekit render ext-authz`: the ext_authz section of edge.yaml from flags (the broker's
// hedging settings named as the broker's own flags).
#ifndef EDGEKIT_CLI_COMMANDS_RENDER_EXT_AUTHZ_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_RENDER_EXT_AUTHZ_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/commands/command.h"
#include "cli/commands/render_command.h"
#include "cli/commands/shared_flags.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

struct ExtAuthzFlags {
  GatewayFlags gateway;
  std::string upstream;  // required
  std::optional<std::string> provider_name;
  std::optional<uint32_t> port;
  std::optional<std::string> host;
  std::optional<std::string> service_entry_name;
  std::optional<std::string> policy_name;
  std::optional<std::string> timeout;
  bool fail_open = false;
  std::optional<uint32_t> status_on_error;
  std::vector<std::string> excluded_paths;
  std::vector<std::string> excluded_cidrs;
  std::optional<std::string> mode;
  // mode loopback
  std::optional<std::string> per_try_timeout;
  std::optional<uint32_t> attempts;
  // mode broker: written to broker.yaml
  std::optional<uint32_t> max_attempts;
  std::optional<double> hedge_quantile;
  std::optional<double> hedge_budget;
  RenderOptions output;
};

absl::StatusOr<edge::v1::EdgeConfig> ExtAuthzFlagsToConfig(const ExtAuthzFlags& flags);

Command AddRenderExtAuthzCommand(CLI::App& render);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_RENDER_EXT_AUTHZ_COMMAND_H_
