// `edgekit version`: prints "edgekit <version>", the project version from CMake.
#ifndef EDGEKIT_CLI_COMMANDS_VERSION_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_VERSION_COMMAND_H_

#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "cli/commands/command.h"

namespace edgekit::cli {

struct VersionOptions {
  std::ostream* out = &std::cout;
};

// "edgekit 0.1.0" (no newline).
std::string VersionString();

absl::Status RunVersion(const VersionOptions& options);

// `edgekit version`.
Command AddVersionCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_VERSION_COMMAND_H_
