// `edgekit descriptor`: compile, serialize like protoc, write atomically.
#include "cli/commands/descriptor_command.h"

#include <cstddef>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cli/commands/shared_flags.h"
#include "cli/proto/proto_compiler.h"
#include "common/file_io.h"

namespace edgekit::cli {
namespace {

constexpr std::size_t kKubectlAnnotationLimit = 256 * 1024;

}  // namespace

absl::Status RunDescriptor(const DescriptorOptions& options) {
  if (options.output.empty()) {
    return absl::InvalidArgumentError("no output: pass -o FILE, or -o - for stdout");
  }
  CompileOptions compile;
  compile.inputs = options.inputs;
  compile.proto_paths = options.proto_paths;
  compile.include_source_info = options.include_source_info;
  compile.warnings = options.err;
  absl::StatusOr<google::protobuf::FileDescriptorSet> set = CompileProtos(compile);
  if (!set.ok()) return set.status();

  std::string bytes = SerializeDescriptorSet(*set);
  if (options.base64) {
    // Standard alphabet with padding: what a Kubernetes/Envoy bytes field expects.
    bytes = absl::StrCat(absl::Base64Escape(bytes), "\n");
    // kubectl's client-side apply stores the whole object in an annotation capped at
    // 256 KiB, so a large inline descriptor breaks `kubectl apply` of the EnvoyFilter.
    if (bytes.size() > kKubectlAnnotationLimit && options.err != nullptr) {
      *options.err << "warning: the base64 descriptor is " << bytes.size()
                   << " bytes; client-side `kubectl apply` fails above 256 KiB: use "
                      "server-side apply, or mount the binary descriptor as a file "
                      "(proto_descriptor)\n";
    }
  }
  return WriteFileOrStdout(options.output, bytes, *options.out);
}

Command AddDescriptorCommand(CLI::App& app) {
  auto options = std::make_shared<DescriptorOptions>();
  CLI::App* command = app.add_subcommand(
      "descriptor",
      "Compile .proto files into a FileDescriptorSet with all imports, byte-identical to "
      "`protoc --include_imports --descriptor_set_out` (for Envoy's gRPC-JSON "
      "transcoder). google/api/{annotations,http}.proto are built in.");
  command->add_option("PROTO", options->inputs, ".proto files to compile")->required();
  AddProtoPathOption(command, &options->proto_paths);
  command
      ->add_option("-o,--descriptor_set_out", options->output,
                   "Output file (replaced atomically), or - for stdout")
      ->required()
      ->type_name("FILE");
  command->add_flag("--include_imports",
                    "Accepted for protoc compatibility; imports are always included");
  command->add_flag("--include_source_info", options->include_source_info,
                    "Keep comments and source locations, like protoc");
  command->add_flag("--base64", options->base64,
                    "Write base64 (one line) for an inline proto_descriptor_bin");
  return {command, [options] { return RunDescriptor(*options); }};
}

}  // namespace edgekit::cli
