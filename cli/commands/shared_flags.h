// Flags more than one command shares: -I/--proto_path (descriptor, routes, render
// transcoding), and for the `render` one-liners the gateway section of edge.yaml
// (--namespace, --selector) and where the output goes (-o, --objects-only, --only).
#ifndef EDGEKIT_CLI_COMMANDS_SHARED_FLAGS_H_
#define EDGEKIT_CLI_COMMANDS_SHARED_FLAGS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands/render_command.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace CLI {
class App;
}  // namespace CLI

namespace edgekit::cli {

struct GatewayFlags {
  std::optional<std::string> namespace_;  // --namespace
  std::vector<std::string> selector;      // --selector KEY=VALUE, repeatable
};

// -I DIR / --proto_path DIR, repeatable, protoc's syntax.
void AddProtoPathOption(CLI::App* command, std::vector<std::string>* paths);

void AddGatewayFlags(CLI::App* command, GatewayFlags* flags);

// Fills config.gateway from the flags; a usage error naming `command` for a malformed
// selector.
absl::Status ApplyGatewayFlags(const GatewayFlags& flags, const std::string& command,
                               edge::v1::EdgeConfig* config);

void AddRenderOutputOptions(CLI::App* command, RenderOptions* options);

// "NAME=VALUE" -> {NAME, VALUE}; nullopt without '='.
std::optional<std::pair<std::string, std::string>> SplitKeyValue(const std::string& text);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_SHARED_FLAGS_H_
