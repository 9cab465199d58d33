// The edgekit command line. Only flag parsing lives here (CLI11 is slow to compile and
// throws; both stay in this one file) plus the single place where absl::Status codes
// become the documented exit codes: 0 ok, 1 invalid input, 2 usage, 3 I/O.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "cli/descriptor_command.h"
#include "cli/render_command.h"
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

// Flags shared by `render gzip` and `render ext-authz`: the gateway section of edge.yaml.
struct GatewayFlags {
  std::string namespace_;
  std::vector<std::string> selector;  // key=value
  CLI::Option* namespace_opt = nullptr;
};

void AddGatewayFlags(CLI::App* command, GatewayFlags* flags) {
  flags->namespace_opt =
      command->add_option("--namespace", flags->namespace_,
                          "Namespace of the gateway (gateway.namespace). Default istio-system")
          ->type_name("NS");
  command
      ->add_option("--selector", flags->selector,
                   "Gateway pod label KEY=VALUE (gateway.selector); repeatable. Default "
                   "istio=ingressgateway")
      ->allow_extra_args(false)
      ->type_name("KEY=VALUE");
}

// Fills config.gateway from the flags; false (after a message) for a malformed selector.
bool ApplyGatewayFlags(const GatewayFlags& flags, edgekit::edge::v1::EdgeConfig* config) {
  edgekit::edge::v1::Gateway* gateway = config->mutable_gateway();
  if (flags.namespace_opt->count() > 0) gateway->set_namespace_(flags.namespace_);
  for (const std::string& label : flags.selector) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos) {
      std::cerr << "render: --selector " << label << ": expected KEY=VALUE\n";
      return false;
    }
    (*gateway->mutable_selector())[label.substr(0, eq)] = label.substr(eq + 1);
  }
  return true;
}

void AddOutputOption(CLI::App* command, std::string* output) {
  command
      ->add_option("-o,--output", *output,
                   "Directory for one file per feature (created if missing, files replaced "
                   "atomically), or - for one multi-document stream on stdout (default)")
      ->type_name("DIR|-");
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

  edgekit::cli::RenderOptions render;
  CLI::App* render_cmd = app.add_subcommand(
      "render",
      "Render the Istio manifests (and istiod/broker config) for the features an edge.yaml "
      "turns on; deterministic output. See examples/edge/edge.yaml.");
  render_cmd->require_subcommand(0, 1);
  CLI::Option* render_file = render_cmd->add_option("-f,--file", render.config_file,
                                                    "The edge.yaml to render")
                                 ->type_name("FILE");
  AddOutputOption(render_cmd, &render.output);

  // `render gzip`: the gzip section from flags.
  edgekit::edge::v1::EdgeConfig gzip_config;
  edgekit::cli::RenderOptions gzip_render;
  GatewayFlags gzip_gateway;
  std::string gzip_name;
  uint32_t gzip_min_length = 0, gzip_level = 0, gzip_memory = 0, gzip_window = 0,
           gzip_chunk = 0;
  std::vector<std::string> gzip_types;
  bool gzip_remove_ae = false, gzip_etag = false;
  CLI::App* gzip_cmd = render_cmd->add_subcommand(
      "gzip", "EnvoyFilter adding gzip response compression to the gateway");
  AddGatewayFlags(gzip_cmd, &gzip_gateway);
  CLI::Option* gzip_name_opt =
      gzip_cmd->add_option("--name", gzip_name, "EnvoyFilter name. Default edgekit-gzip");
  CLI::Option* gzip_min_opt = gzip_cmd->add_option(
      "--min-content-length", gzip_min_length, "Smallest response compressed, bytes. Default 30");
  gzip_cmd->add_option("--content-type", gzip_types,
                       "Content type to compress; repeatable. Default: Envoy's list")
      ->allow_extra_args(false);
  CLI::Option* gzip_level_opt =
      gzip_cmd->add_option("--compression-level", gzip_level, "1..9. Default 6");
  CLI::Option* gzip_memory_opt =
      gzip_cmd->add_option("--memory-level", gzip_memory, "1..9. Default 5");
  CLI::Option* gzip_window_opt =
      gzip_cmd->add_option("--window-bits", gzip_window, "9..15. Default 12");
  CLI::Option* gzip_chunk_opt =
      gzip_cmd->add_option("--chunk-size", gzip_chunk, "4096..65536. Default 4096");
  gzip_cmd->add_flag("--remove-accept-encoding-header", gzip_remove_ae,
                     "Strip Accept-Encoding before proxying upstream");
  gzip_cmd->add_flag("--disable-on-etag-header", gzip_etag,
                     "Do not compress responses with an ETag");
  AddOutputOption(gzip_cmd, &gzip_render.output);

  // `render ext-authz`: the ext_authz section from flags.
  edgekit::edge::v1::EdgeConfig authz_config;
  edgekit::cli::RenderOptions authz_render;
  GatewayFlags authz_gateway;
  std::string authz_provider, authz_host, authz_timeout, authz_upstream, authz_se_name,
      authz_policy_name;
  uint32_t authz_port = 0, authz_status = 0;
  bool authz_fail_open = false;
  std::vector<std::string> authz_paths, authz_cidrs;
  CLI::App* authz_cmd = render_cmd->add_subcommand(
      "ext-authz",
      "ServiceEntry, extension provider (IstioOperator overlay and istiod Helm values), "
      "CUSTOM AuthorizationPolicy and broker config for ext_authz through the edgekit broker");
  AddGatewayFlags(authz_cmd, &authz_gateway);
  authz_cmd->add_option("--upstream", authz_upstream,
                        "The broker's auth service (gRPC target). Required")
      ->required();
  CLI::Option* authz_provider_opt = authz_cmd->add_option(
      "--provider-name", authz_provider, "Extension provider name. Default edgekit-broker");
  CLI::Option* authz_port_opt =
      authz_cmd->add_option("--port", authz_port, "Broker port on 127.0.0.1. Default 9191");
  CLI::Option* authz_host_opt = authz_cmd->add_option(
      "--host", authz_host, "ServiceEntry host. Default edgekit-broker.local");
  CLI::Option* authz_se_opt = authz_cmd->add_option(
      "--service-entry-name", authz_se_name, "ServiceEntry name. Default edgekit-broker");
  CLI::Option* authz_policy_opt = authz_cmd->add_option(
      "--policy-name", authz_policy_name, "AuthorizationPolicy name. Default edgekit-ext-authz");
  CLI::Option* authz_timeout_opt =
      authz_cmd->add_option("--timeout", authz_timeout, "Check timeout. Default 1s");
  authz_cmd->add_flag("--fail-open", authz_fail_open, "Allow requests when the broker fails");
  CLI::Option* authz_status_opt = authz_cmd->add_option(
      "--status-on-error", authz_status, "Status when the broker fails. Default 403");
  authz_cmd->add_option("--exclude-path", authz_paths, "Path that skips authorization; repeatable")
      ->allow_extra_args(false);
  authz_cmd->add_option("--exclude-cidr", authz_cidrs, "Client CIDR that skips authorization; repeatable")
      ->allow_extra_args(false);
  AddOutputOption(authz_cmd, &authz_render.output);

  // [render transcoding flags]

  // [render direct-response flags]

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
  if (gzip_cmd->parsed()) {
    if (!ApplyGatewayFlags(gzip_gateway, &gzip_config)) return kExitUsage;
    edgekit::edge::v1::Gzip* gzip = gzip_config.mutable_gzip();
    if (gzip_name_opt->count() > 0) gzip->set_name(gzip_name);
    if (gzip_min_opt->count() > 0) gzip->set_min_content_length(gzip_min_length);
    for (const std::string& type : gzip_types) gzip->add_content_types(type);
    if (gzip_level_opt->count() > 0) gzip->set_compression_level(gzip_level);
    if (gzip_memory_opt->count() > 0) gzip->set_memory_level(gzip_memory);
    if (gzip_window_opt->count() > 0) gzip->set_window_bits(gzip_window);
    if (gzip_chunk_opt->count() > 0) gzip->set_chunk_size(gzip_chunk);
    gzip->set_remove_accept_encoding_header(gzip_remove_ae);
    gzip->set_disable_on_etag_header(gzip_etag);
    gzip_render.config = &gzip_config;
    return Finish(edgekit::cli::RunRender(gzip_render));
  }
  if (authz_cmd->parsed()) {
    if (!ApplyGatewayFlags(authz_gateway, &authz_config)) return kExitUsage;
    edgekit::edge::v1::ExtAuthz* authz = authz_config.mutable_ext_authz();
    authz->set_upstream_target(authz_upstream);
    if (authz_provider_opt->count() > 0) authz->set_provider_name(authz_provider);
    if (authz_port_opt->count() > 0) authz->set_port(authz_port);
    if (authz_host_opt->count() > 0) authz->set_host(authz_host);
    if (authz_se_opt->count() > 0) authz->set_service_entry_name(authz_se_name);
    if (authz_policy_opt->count() > 0) authz->set_policy_name(authz_policy_name);
    if (authz_timeout_opt->count() > 0) authz->set_timeout(authz_timeout);
    authz->set_fail_open(authz_fail_open);
    if (authz_status_opt->count() > 0) authz->set_status_on_error(authz_status);
    for (const std::string& path : authz_paths) authz->add_excluded_paths(path);
    for (const std::string& cidr : authz_cidrs) authz->add_excluded_cidrs(cidr);
    authz_render.config = &authz_config;
    return Finish(edgekit::cli::RunRender(authz_render));
  }
  // [render transcoding dispatch]

  // [render direct-response dispatch]

  if (render_cmd->parsed()) {
    if (render_file->count() == 0) {
      std::cerr << "render: give -f edge.yaml, or use `render gzip` / `render ext-authz`\n"
                   "Run with --help for more information.\n";
      return kExitUsage;
    }
    return Finish(edgekit::cli::RunRender(render));
  }
  if (version_cmd->parsed()) return Finish(edgekit::cli::RunVersion({}));
  return kExitUsage;  // unreachable: require_subcommand(1)
}
