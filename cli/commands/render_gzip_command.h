// `edgekit render gzip`: the gzip section of edge.yaml from flags.
#ifndef EDGEKIT_CLI_COMMANDS_RENDER_GZIP_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_RENDER_GZIP_COMMAND_H_

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

struct GzipFlags {
  GatewayFlags gateway;
  std::optional<std::string> name;
  std::optional<uint32_t> min_content_length;
  std::vector<std::string> content_types;
  std::optional<uint32_t> compression_level;
  std::optional<uint32_t> memory_level;
  std::optional<uint32_t> window_bits;
  std::optional<uint32_t> chunk_size;
  bool remove_accept_encoding_header = false;
  bool disable_on_etag_header = false;
  RenderOptions output;
};

// The edge.yaml the flags stand for (unset flags stay unset: the defaults apply later).
absl::StatusOr<edge::v1::EdgeConfig> GzipFlagsToConfig(const GzipFlags& flags);

Command AddRenderGzipCommand(CLI::App& render);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_RENDER_GZIP_COMMAND_H_
