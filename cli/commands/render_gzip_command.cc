#include "cli/commands/render_gzip_command.h"

#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/edge/defaults.h"

namespace edgekit::cli {

absl::StatusOr<edge::v1::EdgeConfig> GzipFlagsToConfig(const GzipFlags& flags) {
  edge::v1::EdgeConfig config;
  if (absl::Status s = ApplyGatewayFlags(flags.gateway, "render", &config); !s.ok()) return s;
  edge::v1::Gzip* gzip = config.mutable_gzip();
  if (flags.name) gzip->set_name(*flags.name);
  if (flags.min_content_length) gzip->set_min_content_length(*flags.min_content_length);
  for (const std::string& type : flags.content_types) gzip->add_content_types(type);
  if (flags.compression_level) gzip->set_compression_level(*flags.compression_level);
  if (flags.memory_level) gzip->set_memory_level(*flags.memory_level);
  if (flags.window_bits) gzip->set_window_bits(*flags.window_bits);
  if (flags.chunk_size) gzip->set_chunk_size(*flags.chunk_size);
  gzip->set_remove_accept_encoding_header(flags.remove_accept_encoding_header);
  gzip->set_disable_on_etag_header(flags.disable_on_etag_header);
  return config;
}

Command AddRenderGzipCommand(CLI::App& render) {
  auto flags = std::make_shared<GzipFlags>();
  CLI::App* command =
      render.add_subcommand("gzip", "EnvoyFilter adding gzip response compression to the gateway");
  AddGatewayFlags(command, &flags->gateway);
  command->add_option(
      "--name", flags->name,
      absl::StrCat("EnvoyFilter name.", DefaultHelp(edge::v1::Gzip::descriptor(), "name")));
  command->add_option(
      "--min-content-length", flags->min_content_length,
      absl::StrCat("Smallest response compressed, bytes.",
                   DefaultHelp(edge::v1::Gzip::descriptor(), "min_content_length")));
  command
      ->add_option("--content-type", flags->content_types,
                   "Content type to compress; repeatable. Default: Envoy's list")
      ->allow_extra_args(false);
  command->add_option(
      "--compression-level", flags->compression_level,
      absl::StrCat("1..9.", DefaultHelp(edge::v1::Gzip::descriptor(), "compression_level")));
  command->add_option(
      "--memory-level", flags->memory_level,
      absl::StrCat("1..9.", DefaultHelp(edge::v1::Gzip::descriptor(), "memory_level")));
  command->add_option(
      "--window-bits", flags->window_bits,
      absl::StrCat("9..15.", DefaultHelp(edge::v1::Gzip::descriptor(), "window_bits")));
  command->add_option(
      "--chunk-size", flags->chunk_size,
      absl::StrCat("4096..65536.", DefaultHelp(edge::v1::Gzip::descriptor(), "chunk_size")));
  command->add_flag("--remove-accept-encoding-header", flags->remove_accept_encoding_header,
                    "Strip Accept-Encoding before proxying upstream");
  command->add_flag("--disable-on-etag-header", flags->disable_on_etag_header,
                    "Do not compress responses with an ETag");
  AddRenderOutputOptions(command, &flags->output);
  return {command, [flags] { return RunRender(GzipFlagsToConfig(*flags), flags->output); }};
}

}  // namespace edgekit::cli
