#include "cli/commands/render_command.h"

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/commands/shared_flags.h"
#include "cli/edge/config_paths.h"
#include "cli/edge/edge_config.h"
#include "cli/render/output_writer.h"
#include "cli/render/pipeline.h"
#include "cli/render/team_composition.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

absl::Status RunRender(const RenderOptions& options) {
  EdgeConfig config;
  std::vector<std::string> warnings;
  RenderContext context;
  context.warnings = &warnings;
  std::vector<std::string> notes;
  context.notes = &notes;
  if (options.config != nullptr) {
    config = *options.config;
  } else {
    if (options.config_file.empty()) {
      return absl::InvalidArgumentError("render: give -f edge.yaml");
    }
    context.source = options.config_file;
    if (const std::string dir = DirectoryOf(options.config_file); !dir.empty()) {
      context.base_dir = dir;
    }
    absl::StatusOr<EdgeConfig> loaded = LoadEdgeConfig(options.config_file);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  // A platform file: every team's file merged in first, checked against its claims.
  absl::StatusOr<Composition> composition = ComposeTeams(context.source, &config);
  if (!composition.ok()) return composition.status();
  if (!composition->teams.empty()) context.composition = &*composition;

  RenderPipeline pipeline;
  pipeline.ApplyDefaults(&config);
  if (absl::Status valid = pipeline.Validate(config, context); !valid.ok()) return valid;
  absl::StatusOr<std::vector<RenderedFile>> rendered = pipeline.Render(config, context);
  if (!rendered.ok()) return rendered.status();
  for (const std::string& warning : warnings) *options.err << warning << "\n";
  for (const std::string& note : notes) *options.err << note << "\n";

  OutputSelection selection;
  selection.output = options.output;
  selection.objects_only = options.objects_only;
  selection.only = options.only;
  return WriteRenderedFiles(*std::move(rendered), selection, context.source, *options.out,
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
