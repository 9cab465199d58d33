// What every file in cli/commands/ gives main.cc: a Command, the CLI11 subcommand it added
// and the function that runs it once the command line names it. Each command file holds
// its options struct, the function binding those options to CLI11 (Add...Command) and,
// for the `render` one-liners, a pure options -> EdgeConfig function tests call directly.
#ifndef EDGEKIT_CLI_COMMANDS_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_COMMAND_H_

#include <functional>
#include <string_view>

#include "absl/status/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace edgekit::cli {

struct Command {
  CLI::App* app = nullptr;            // parsed() says whether the command line chose it
  std::function<absl::Status()> run;  // what it does; its status becomes the exit code
};

// A command line the parser accepted but the command cannot run (a missing input, a
// malformed KEY=VALUE): InvalidArgument marked so main.cc exits with the usage code (2).
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& status);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_COMMAND_H_
