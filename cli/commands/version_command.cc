// `edgekit version`.
#include "cli/commands/version_command.h"

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"

#ifndef EDGEKIT_VERSION
#error "EDGEKIT_VERSION must be defined by the build (the CMake project version)"
#endif

namespace edgekit::cli {

std::string VersionString() { return "edgekit " EDGEKIT_VERSION; }

absl::Status RunVersion(const VersionOptions& options) {
  return WriteFileOrStdout("-", absl::StrCat(VersionString(), "\n"), *options.out);
}

Command AddVersionCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("version", "Print the edgekit version");
  return {command, [] { return RunVersion({}); }};
}

}  // namespace edgekit::cli
