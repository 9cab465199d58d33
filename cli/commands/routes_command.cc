// `edgekit routes`: the bindings of .proto files or of a descriptor set, as text or JSON.
#include "cli/commands/routes_command.h"

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/commands/shared_flags.h"
#include "cli/proto/proto_compiler.h"
#include "common/file_io.h"

namespace edgekit::cli {

using ::google::protobuf::FileDescriptorSet;

absl::Status RunRoutes(const RoutesOptions& options) {
  if (!options.descriptor.empty() && !options.inputs.empty()) {
    return absl::InvalidArgumentError("give either PROTO files or --descriptor, not both");
  }
  if (options.descriptor.empty() && options.inputs.empty()) {
    return absl::InvalidArgumentError("nothing to list: give PROTO files or --descriptor FILE");
  }
  if (options.format != "text" && options.format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--output ", options.format, ": must be text or json"));
  }

  FileDescriptorSet set;
  if (!options.descriptor.empty()) {
    absl::StatusOr<std::string> bytes = ReadFileOrStdin(options.descriptor, *options.in);
    if (!bytes.ok()) return bytes.status();
    // The base64 form too, so `proto_descriptor_bin` text can be checked.
    if (!DecodeDescriptorSet(*std::move(bytes), &set).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.descriptor, ": not a FileDescriptorSet (binary or base64)"));
    }
  } else {
    CompileOptions compile;
    compile.inputs = options.inputs;
    compile.proto_paths = options.proto_paths;
    compile.warnings = options.err;
    absl::StatusOr<FileDescriptorSet> compiled = CompileProtos(compile);
    if (!compiled.ok()) return compiled.status();
    set = *std::move(compiled);
  }

  std::vector<std::string> warnings;
  absl::StatusOr<std::vector<HttpRoute>> routes = ListHttpRoutes(set, &warnings);
  if (!routes.ok()) {
    if (!options.descriptor.empty()) {
      return absl::Status(routes.status().code(),
                          absl::StrCat(options.descriptor, ": ", routes.status().message()));
    }
    return routes.status();
  }
  if (options.err != nullptr) {
    for (const std::string& warning : warnings) *options.err << "warning: " << warning << "\n";
    if (routes->empty()) *options.err << "warning: no google.api.http bindings found\n";
  }
  std::string text =
      options.format == "json" ? FormatRoutesJson(*routes) : FormatRoutesText(*routes);
  return WriteFileOrStdout("-", text, *options.out);
}

Command AddRoutesCommand(CLI::App& app) {
  auto options = std::make_shared<RoutesOptions>();
  CLI::App* command =
      app.add_subcommand("routes",
                         "List every google.api.http binding: verb, path template, body -> "
                         "package.Service/Method");
  CLI::Option* protos = command->add_option("PROTO", options->inputs, ".proto files to read");
  AddProtoPathOption(command, &options->proto_paths);
  command
      ->add_option("--descriptor", options->descriptor,
                   "Read a FileDescriptorSet (binary or base64; - for stdin) instead of "
                   ".proto files")
      ->excludes(protos)
      ->type_name("FILE");
  command->add_option("--output", options->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return {command, [options]() -> absl::Status {
            if (options->inputs.empty() && options->descriptor.empty()) {
              return UsageError(
                  "routes: give PROTO files or --descriptor FILE\n"
                  "Run with --help for more information.");
            }
            return RunRoutes(*options);
          }};
}

}  // namespace edgekit::cli
