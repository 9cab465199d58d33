// `edgekit render transcoding`: the transcoding section of edge.yaml from flags (and the
// gzip section with --gzip).
#ifndef EDGEKIT_CLI_COMMANDS_RENDER_TRANSCODING_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_RENDER_TRANSCODING_COMMAND_H_

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

struct TranscodingFlags {
  GatewayFlags gateway;
  std::vector<std::string> positional_protos;  // PROTO...
  std::vector<std::string> protos;             // --proto
  std::vector<std::string> proto_paths;        // -I
  std::optional<std::string> descriptor;
  std::vector<std::string> services;
  std::optional<std::string> destination;  // HOST:PORT
  std::optional<std::string> destination_host;
  std::optional<uint32_t> destination_port;
  std::optional<std::string> name;
  bool add_whitespace = false;
  bool always_print_primitive_fields = false;
  bool always_print_enums_as_ints = false;
  bool preserve_proto_field_names = false;
  bool no_convert_grpc_status = false;
  // "pass-through", "ignore" or "reject" (CLI11 checks the set).
  std::optional<std::string> unknown_query_parameters;
  std::vector<std::string> ignored_query_parameters;
  std::optional<uint32_t> max_request_body_size;
  std::optional<uint32_t> max_response_body_size;
  bool gzip = false;
  RenderOptions output;
};

// Usage errors for no proto input and for a malformed --destination.
absl::StatusOr<edge::v1::EdgeConfig> TranscodingFlagsToConfig(const TranscodingFlags& flags);

Command AddRenderTranscodingCommand(CLI::App& render);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_RENDER_TRANSCODING_COMMAND_H_
