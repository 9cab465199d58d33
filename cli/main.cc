// The edgekit command line. Only flag parsing lives here (CLI11 is slow to compile and
// throws; both stay in this one file) plus the single place where absl::Status codes
// become the documented exit codes: 0 ok, 1 invalid input, 2 usage, 3 I/O.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cli/descriptor_command.h"
#include "cli/routes_command.h"
#include "cli/validate_command.h"
#include "cli/version_command.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalidInput = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIo = 3;

int ExitCodeFor(const absl::Status& status) {
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

void AddProtoPathOption(CLI::App* command, std::vector<std::string>* paths) {
  command
      ->add_option("-I,--proto_path", *paths,
                   "Directory to search for imports; repeatable, searched in order. "
                   "DIR1:DIR2 and VIRTUAL=DIR work as in protoc. Default: .")
      // One value per -I, so `-I dir a.proto` leaves a.proto to the PROTO list.
      ->allow_extra_args(false)
      ->type_name("DIR");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgekit: Istio ingress gateway tooling (gRPC-JSON transcoding and more)",
               "edgekit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", edgekit::cli::VersionString());
  app.footer("Exit codes: 0 ok, 1 invalid input (bad proto or descriptor, invalid "
             "object), 2 usage error, "
             "3 I/O error (cannot read or write a file).");

  edgekit::cli::DescriptorOptions descriptor;
  CLI::App* descriptor_cmd = app.add_subcommand(
      "descriptor",
      "Compile .proto files into a FileDescriptorSet with all imports, byte-identical to "
      "`protoc --include_imports --descriptor_set_out` (for Envoy's gRPC-JSON "
      "transcoder). google/api/{annotations,http}.proto are built in.");
  descriptor_cmd->add_option("PROTO", descriptor.inputs, ".proto files to compile")
      ->required();
  AddProtoPathOption(descriptor_cmd, &descriptor.proto_paths);
  descriptor_cmd
      ->add_option("-o,--descriptor_set_out", descriptor.output,
                   "Output file (replaced atomically), or - for stdout")
      ->required()
      ->type_name("FILE");
  descriptor_cmd->add_flag("--include_imports",
                           "Accepted for protoc compatibility; imports are always included");
  descriptor_cmd->add_flag("--include_source_info", descriptor.include_source_info,
                           "Keep comments and source locations, like protoc");
  descriptor_cmd->add_flag("--base64", descriptor.base64,
                           "Write base64 (one line) for an inline proto_descriptor_bin");

  edgekit::cli::RoutesOptions routes;
  CLI::App* routes_cmd = app.add_subcommand(
      "routes",
      "List every google.api.http binding: verb, path template, body -> "
      "package.Service/Method");
  CLI::Option* routes_protos =
      routes_cmd->add_option("PROTO", routes.inputs, ".proto files to read");
  AddProtoPathOption(routes_cmd, &routes.proto_paths);
  routes_cmd
      ->add_option("--descriptor", routes.descriptor,
                   "Read a FileDescriptorSet (binary or base64; - for stdin) instead of "
                   ".proto files")
      ->excludes(routes_protos)
      ->type_name("FILE");
  routes_cmd->add_option("--output", routes.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  edgekit::cli::ValidateCommandOptions validate;
  CLI::App* validate_cmd = app.add_subcommand(
      "validate",
      "Check Kubernetes/Istio objects in multi-document YAML files against CRD OpenAPI "
      "schemas (structure only; CEL rules are counted, not run). Findings go to stderr as "
      "FILE:LINE:COL: document N: error: PATH: MESSAGE, then a summary line.");
  validate_cmd->add_option("FILE", validate.inputs, "YAML files to check; - for stdin")
      ->required();
  validate_cmd
      ->add_option("--crds", validate.crds,
                   "YAML file of CustomResourceDefinitions (e.g. `kubectl get crd -o "
                   "yaml`); repeatable. Default: the file named by $EDGEKIT_CRDS")
      ->allow_extra_args(false)
      ->type_name("FILE");

  CLI::App* version_cmd = app.add_subcommand("version", "Print the edgekit version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  if (descriptor_cmd->parsed()) return Finish(edgekit::cli::RunDescriptor(descriptor));
  if (routes_cmd->parsed()) {
    if (routes.inputs.empty() && routes.descriptor.empty()) {
      std::cerr << "routes: give PROTO files or --descriptor FILE\n"
                   "Run with --help for more information.\n";
      return kExitUsage;
    }
    return Finish(edgekit::cli::RunRoutes(routes));
  }
  if (validate_cmd->parsed()) {
    if (validate.crds.empty()) {
      const char* env = std::getenv("EDGEKIT_CRDS");
      if (env != nullptr && *env != '\0') validate.crds.push_back(env);
    }
    if (validate.crds.empty()) {
      std::cerr << "validate: no CRD schemas: give --crds FILE (e.g. the output of "
                   "`kubectl get crd -o yaml`) or set EDGEKIT_CRDS=FILE\n"
                   "Run with --help for more information.\n";
      return kExitUsage;
    }
    return Finish(edgekit::cli::RunValidate(validate));
  }
  if (version_cmd->parsed()) return Finish(edgekit::cli::RunVersion({}));
  return kExitUsage;  // unreachable: require_subcommand(1)
}
