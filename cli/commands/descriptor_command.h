// `edgekit descriptor`: compiles .proto files in-process and writes the
// FileDescriptorSet (with all imports) that Envoy's gRPC-JSON transcoder loads, as
// bytes identical to `protoc --include_imports --descriptor_set_out`, or as base64 for
// an inline `proto_descriptor_bin`.
#ifndef EDGEKIT_CLI_COMMANDS_DESCRIPTOR_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_DESCRIPTOR_COMMAND_H_

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/commands/command.h"

namespace edgekit::cli {

struct DescriptorOptions {
  std::vector<std::string> inputs;       // PROTO...
  std::vector<std::string> proto_paths;  // -I / --proto_path, protoc syntax
  std::string output;                    // -o / --descriptor_set_out: a path, or "-"
  bool include_source_info = false;      // --include_source_info
  bool base64 = false;                   // --base64: one line of base64 plus "\n"
  std::ostream* out = &std::cout;        // where "-o -" writes
  std::ostream* err = &std::cerr;        // warnings
};

// Errors: see CompileProtos; I/O failures on the output are NotFound /
// PermissionDenied / Unavailable. On any error nothing is written and an existing
// output file is left as it was.
absl::Status RunDescriptor(const DescriptorOptions& options);

// `edgekit descriptor PROTO... -o FILE`.
Command AddDescriptorCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_DESCRIPTOR_COMMAND_H_
