// `edgekit render direct-response`: one direct_responses rule (and the catch-all route)
// from flags. The rule answers when every --if-* test holds and NOT every --unless-header
// test holds (the seed's "proxy only requests carrying both headers").
#ifndef EDGEKIT_CLI_COMMANDS_RENDER_DIRECT_RESPONSE_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_RENDER_DIRECT_RESPONSE_COMMAND_H_

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

struct DirectResponseFlags {
  GatewayFlags gateway;
  uint32_t status = 0;  // required
  std::optional<std::string> body;
  std::vector<std::string> response_headers;  // NAME=VALUE
  std::vector<std::string> if_headers;        // NAME[=VALUE]
  std::vector<std::string> if_absent;         // NAME
  std::vector<std::string> unless_headers;    // NAME[=VALUE]
  std::string if_path_prefix;
  std::string if_method;
  std::string rule_name = "respond";
  std::optional<std::string> destination;  // HOST:PORT
  std::vector<std::string> hosts;
  std::optional<std::string> gateway_name;
  std::string wasm_image;
  RenderOptions output;
};

// The rule's condition: all of (--if-header..., --if-absent..., --if-path-prefix,
// --if-method, not(all of --unless-header...)); one test stands alone, none is "always".
// Usage errors for a malformed --response-header or --destination.
absl::StatusOr<edge::v1::EdgeConfig> DirectResponseFlagsToConfig(const DirectResponseFlags& flags);

Command AddRenderDirectResponseCommand(CLI::App& render);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_RENDER_DIRECT_RESPONSE_COMMAND_H_
