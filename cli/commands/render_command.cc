#include "cli/commands/render_command.h"

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/commands/shared_flags.h"
#include "cli/render/output_writer.h"
#include "cli/render/pipeline.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

absl::Status RunRender(const RenderOptions& options) {
  absl::StatusOr<RenderedEdge> rendered;
  std::string source = "command line";
  if (options.config != nullptr) {
    rendered = RenderEdge(*options.config, source, ".");
  } else {
    if (options.config_file.empty()) {
      return absl::InvalidArgumentError("render: give -f edge.yaml");
    }
    source = options.config_file;
    rendered = RenderEdgeFile(options.config_file);
  }
  if (!rendered.ok()) return rendered.status();
  for (const std::string& warning : rendered->warnings) *options.err << warning << "\n";
  for (const std::string& note : rendered->notes) *options.err << note << "\n";

  OutputSelection selection;
  selection.output = options.output;
  selection.objects_only = options.objects_only;
  selection.only = options.only;
  return WriteRenderedFiles(std::move(rendered->files), selection, source, *options.out,
                            *options.err);
}

absl::Status RunRender(const absl::StatusOr<EdgeConfig>& config, const RenderOptions& output) {
  if (!config.ok()) return config.status();
  RenderOptions options = output;
  options.config = &*config;
  return RunRender(options);
}

Command AddRenderCommand(CLI::App& app) {
  auto options = std::make_shared<RenderOptions>();
  CLI::App* command = app.add_subcommand(
      "render",
      "Render the Istio manifests (and istiod/broker config) for the features an edge.yaml "
      "turns on; deterministic output. See examples/edge/edge.yaml.");
  command->require_subcommand(0, 1);
  command->add_option("-f,--file", options->config_file, "The edge.yaml to render")
      ->type_name("FILE");
  AddRenderOutputOptions(command, options.get());
  return {command, [options]() -> absl::Status {
            if (options->config_file.empty()) {
              return UsageError(
                  "render: give -f edge.yaml, or use `render gzip` / `render ext-authz`\n"
                  "Run with --help for more information.");
            }
            return RunRender(*options);
          }};
}

}  // namespace edgekit::cli
