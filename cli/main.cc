// The edgekit command line: builds the command tree from cli/commands/ (one file per
// command) and is the one place where absl::Status codes become the documented exit
// codes: 0 ok, 1 invalid input, 2 usage, 3 I/O. CLI11 throws; that stays in here and in
// the commands' binding functions.
#include <iostream>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cli/commands/command.h"
#include "cli/commands/descriptor_command.h"
#include "cli/commands/explain_command.h"
#include "cli/commands/render_command.h"
#include "cli/commands/render_direct_response_command.h"
#include "cli/commands/render_ext_authz_command.h"
#include "cli/commands/render_gzip_command.h"
#include "cli/commands/render_transcoding_command.h"
#include "cli/commands/routes_command.h"
#include "cli/commands/validate_command.h"
#include "cli/commands/version_command.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalidInput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIo = 3;

int ExitCodeFor(const absl::Status& status) {
  if (edgekit::cli::IsUsageError(status)) return kExitUsage;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
      return kExitIo;
    default:
      // InvalidArgument and FailedPrecondition by contract; anything else is a bug in
      // edgekit, and "1" at least does not claim a usage or I/O problem.
      return kExitInvalidInput;
  }
}

// Messages are complete sentences of their own ("file:line:col: message" for protos),
// so they are printed as they are. An error with an empty message was reported already.
int Finish(const absl::Status& status) {
  if (!status.ok() && !status.message().empty()) std::cerr << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgekit: Istio ingress gateway tooling (gRPC-JSON transcoding and more)",
               "edgekit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", edgekit::cli::VersionString());
  app.footer(
      "Exit codes: 0 ok, 1 invalid input (bad proto or descriptor, invalid "
      "object), 2 usage error, 3 I/O error (cannot read or write a file).");

  // The `render` one-liners come before `render` itself: the deepest parsed command runs.
  std::vector<edgekit::cli::Command> commands;
  commands.push_back(edgekit::cli::AddDescriptorCommand(app));
  commands.push_back(edgekit::cli::AddRoutesCommand(app));
  commands.push_back(edgekit::cli::AddValidateCommand(app));
  edgekit::cli::Command render = edgekit::cli::AddRenderCommand(app);
  commands.push_back(edgekit::cli::AddRenderGzipCommand(*render.app));
  commands.push_back(edgekit::cli::AddRenderExtAuthzCommand(*render.app));
  commands.push_back(edgekit::cli::AddRenderTranscodingCommand(*render.app));
  commands.push_back(edgekit::cli::AddRenderDirectResponseCommand(*render.app));
  commands.push_back(render);
  commands.push_back(edgekit::cli::AddExplainCommand(app));
  commands.push_back(edgekit::cli::AddTestCommand(app));
  commands.push_back(edgekit::cli::AddVersionCommand(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  for (const edgekit::cli::Command& command : commands) {
    if (command.app->parsed()) return Finish(command.run());
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}
