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
#include "absl/status/statusor.h"
#include "common/syntax.h"
#include "cli/commands/descriptor_command.h"
#include "cli/commands/render_command.h"
#include "cli/commands/routes_command.h"
#include "cli/commands/validate_command.h"
#include "cli/commands/version_command.h"

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

void AddRenderOutputOptions(CLI::App* command, edgekit::cli::RenderOptions* options) {
  command
      ->add_option("-o,--output", options->output,
                   "Directory for one file per feature (the set replaced as one unit), or - for "
                   "one stream of the cluster objects on stdout (default)")
      ->type_name("DIR|-");
  command->add_flag("--objects-only", options->objects_only,
                    "With -o DIR: only the objects to kubectl apply, not the istiod values, "
                    "the IstioOperator overlay and the broker config (the stream never "
                    "has those)");
  command
      ->add_option("--only", options->only,
                   "Write just this file of the set (repeatable), e.g. --only broker.yaml "
                   "or --only ext-authz-istiod-values.yaml; to the stream or to -o DIR")
      ->type_name("FILE")
      ->allow_extra_args(false);
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
  validate_cmd->add_flag("--allow-unknown-groups", validate.allow_unknown_groups,
                         "Objects of API groups with no CRD given (Deployment, Service, ...) "
                         "are warnings, not errors");

  edgekit::cli::RenderOptions render;
  CLI::App* render_cmd = app.add_subcommand(
      "render",
      "Render the Istio manifests (and istiod/broker config) for the features an edge.yaml "
      "turns on; deterministic output. See examples/edge/edge.yaml.");
  render_cmd->require_subcommand(0, 1);
  CLI::Option* render_file = render_cmd->add_option("-f,--file", render.config_file,
                                                    "The edge.yaml to render")
                                 ->type_name("FILE");
  AddRenderOutputOptions(render_cmd, &render);

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
  AddRenderOutputOptions(gzip_cmd, &gzip_render);

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
  std::string authz_mode, authz_per_try;
  uint32_t authz_attempts = 0;
  CLI::Option* authz_mode_opt = authz_cmd->add_option(
      "--mode", authz_mode,
      "broker (default): hedge through the edgekit broker; loopback: no broker, Envoy's own "
      "hedge_policy on a loopback listener of the gateway (fixed delay, no budget)");
  CLI::Option* authz_per_try_opt = authz_cmd->add_option(
      "--per-try-timeout", authz_per_try, "loopback: hedge after this long. Default 50ms");
  CLI::Option* authz_attempts_opt = authz_cmd->add_option(
      "--attempts", authz_attempts, "loopback: most attempts per Check, 2..5. Default 2");
  // Broker hedging settings, named as the broker's own flags; written to broker.yaml.
  uint32_t authz_max_attempts = 0;
  double authz_quantile = 0, authz_budget = 0;
  CLI::Option* authz_max_attempts_opt = authz_cmd->add_option(
      "--max-attempts", authz_max_attempts, "broker: attempts per Check, 1..5 (broker default 2)");
  CLI::Option* authz_quantile_opt = authz_cmd->add_option(
      "--hedge-quantile", authz_quantile, "broker: latency quantile used as hedge delay (0.95)");
  CLI::Option* authz_budget_opt = authz_cmd->add_option(
      "--hedge-budget", authz_budget, "broker: hedges per primary call, 0..1 (0.1)");
  AddRenderOutputOptions(authz_cmd, &authz_render);

  // `render transcoding`: the transcoding section from flags (and gzip with --gzip).
  edgekit::edge::v1::EdgeConfig tc_config;
  edgekit::cli::RenderOptions tc_render;
  GatewayFlags tc_gateway;
  std::vector<std::string> tc_positional, tc_protos, tc_proto_paths, tc_services, tc_ignored;
  std::string tc_descriptor, tc_destination, tc_dest_host, tc_name, tc_unknown;
  uint32_t tc_dest_port = 0, tc_max_request = 0, tc_max_response = 0;
  bool tc_whitespace = false, tc_primitive = false, tc_enum_ints = false,
       tc_proto_names = false, tc_no_convert = false, tc_gzip = false;
  CLI::App* tc_cmd = render_cmd->add_subcommand(
      "transcoding",
      "EnvoyFilter with the gRPC-JSON transcoder (descriptor built in-process from .proto "
      "files, or a prebuilt one) and the VirtualService routes to the gRPC service");
  AddGatewayFlags(tc_cmd, &tc_gateway);
  CLI::Option* tc_positional_opt =
      tc_cmd->add_option("PROTO", tc_positional, ".proto files to compile (as --proto)");
  CLI::Option* tc_protos_opt =
      tc_cmd->add_option("--proto", tc_protos, ".proto file to compile; repeatable")
          ->allow_extra_args(false)
          ->type_name("FILE");
  AddProtoPathOption(tc_cmd, &tc_proto_paths);
  tc_cmd
      ->add_option("--descriptor", tc_descriptor,
                   "Prebuilt FileDescriptorSet with imports (binary or base64) instead of "
                   ".proto files")
      ->excludes(tc_positional_opt)
      ->excludes(tc_protos_opt)
      ->type_name("FILE");
  tc_cmd
      ->add_option("--service", tc_services,
                   "gRPC service to transcode (package.Service); repeatable. Default: every "
                   "service with google.api.http bindings")
      ->allow_extra_args(false)
      ->type_name("NAME");
  CLI::Option* tc_destination_opt =
      tc_cmd
          ->add_option("--destination", tc_destination,
                       "The gRPC service, HOST:PORT (e.g. greeter.default.svc:50051)")
          ->type_name("HOST:PORT");
  CLI::Option* tc_dest_host_opt =
      tc_cmd->add_option("--destination-host", tc_dest_host, "The gRPC service's host")
          ->excludes(tc_destination_opt)
          ->type_name("HOST");
  CLI::Option* tc_dest_port_opt =
      tc_cmd->add_option("--destination-port", tc_dest_port, "The gRPC service's port")
          ->excludes(tc_destination_opt)
          ->type_name("PORT");
  CLI::Option* tc_name_opt =
      tc_cmd->add_option("--name", tc_name, "EnvoyFilter name. Default edgekit-transcoding");
  tc_cmd->add_flag("--add-whitespace", tc_whitespace, "Indent JSON responses");
  tc_cmd->add_flag("--always-print-primitive-fields", tc_primitive,
                   "Print fields holding default values (0, \"\", false)");
  tc_cmd->add_flag("--always-print-enums-as-ints", tc_enum_ints, "Print enums as numbers");
  tc_cmd->add_flag("--preserve-proto-field-names", tc_proto_names,
                   "Use .proto field names (snake_case) in JSON, not lowerCamelCase");
  tc_cmd->add_flag("--no-convert-grpc-status", tc_no_convert,
                   "Do not turn gRPC errors into JSON bodies (convert_grpc_status false)");
  CLI::Option* tc_unknown_opt =
      tc_cmd
          ->add_option("--unknown-query-parameters", tc_unknown,
                       "Query parameters mapping to no field: pass-through (Envoy's default: "
                       "not transcoded), ignore, or reject (400)")
          ->check(CLI::IsMember({"pass-through", "ignore", "reject"}));
  tc_cmd->add_option("--ignore-query-parameter", tc_ignored,
                     "Query parameter never mapped nor rejected; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME");
  CLI::Option* tc_max_request_opt = tc_cmd->add_option(
      "--max-request-body-size", tc_max_request, "Largest request body buffered, bytes");
  CLI::Option* tc_max_response_opt = tc_cmd->add_option(
      "--max-response-body-size", tc_max_response, "Largest response body buffered, bytes");
  tc_cmd->add_flag("--gzip", tc_gzip,
                   "Also compress responses (gzip defaults), in the same EnvoyFilter");
  AddRenderOutputOptions(tc_cmd, &tc_render);

  // `render direct-response`: one direct_responses rule (and the catch-all) from flags.
  edgekit::edge::v1::EdgeConfig direct_config;
  edgekit::cli::RenderOptions direct_render;
  GatewayFlags direct_gateway;
  std::string direct_rule_name = "respond", direct_body, direct_destination,
              direct_gateway_name, direct_wasm_image;
  uint32_t direct_status = 0;
  std::vector<std::string> direct_if_headers, direct_unless_headers, direct_if_absent,
      direct_response_headers, direct_hosts;
  std::string direct_path_prefix, direct_method;
  CLI::App* direct_cmd = render_cmd->add_subcommand(
      "direct-response",
      "VirtualService answering matching requests directly (one rule), before a catch-all "
      "route to --destination. The rule answers when every --if-* test holds and NOT every "
      "--unless-header test holds; e.g. `--unless-header x-foo=1 --unless-header x-bar=1 "
      "--status 400 --body 'This is direct response!' --destination web.default:8080` "
      "proxies only requests carrying both headers. More (any/not, regex): edge.yaml "
      "direct_responses.");
  AddGatewayFlags(direct_cmd, &direct_gateway);
  direct_cmd->add_option("--status", direct_status, "HTTP status to answer, 200..599. Required")
      ->required();
  CLI::Option* direct_body_opt =
      direct_cmd->add_option("--body", direct_body, "Response body (text). Default: none");
  direct_cmd
      ->add_option("--response-header", direct_response_headers,
                   "Response header NAME=VALUE; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME=VALUE");
  direct_cmd
      ->add_option("--if-header", direct_if_headers,
                   "Answer only if header NAME has exactly VALUE (NAME alone: is present); "
                   "repeatable, all must hold")
      ->allow_extra_args(false)
      ->type_name("NAME[=VALUE]");
  direct_cmd
      ->add_option("--if-absent", direct_if_absent,
                   "Answer only if header NAME is absent; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME");
  direct_cmd
      ->add_option("--unless-header", direct_unless_headers,
                   "Do not answer (proxy instead) when header NAME has exactly VALUE (NAME "
                   "alone: is present) and every other --unless-header holds too; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME[=VALUE]");
  direct_cmd->add_option("--if-path-prefix", direct_path_prefix,
                         "Answer only for paths starting with PREFIX")
      ->type_name("PREFIX");
  direct_cmd->add_option("--if-method", direct_method, "Answer only for this method (GET, ...)")
      ->type_name("METHOD");
  direct_cmd->add_option("--rule-name", direct_rule_name,
                         "Rule name (route direct-NAME). Default respond");
  CLI::Option* direct_dest_opt = direct_cmd->add_option(
      "--destination", direct_destination,
      "Catch-all destination HOST:PORT for requests not answered (routes.default_destination)");
  direct_dest_opt->type_name("HOST:PORT");
  direct_cmd
      ->add_option("--host", direct_hosts,
                   "Host served (gateway.hosts); repeatable. Default: every host (\"*\")")
      ->allow_extra_args(false);
  CLI::Option* direct_gateway_name_opt = direct_cmd->add_option(
      "--gateway", direct_gateway_name, "Istio Gateway name. Default edgekit-gateway");
  direct_cmd->add_option("--wasm-image", direct_wasm_image,
                         "oci:// URL of YOUR Wasm module for rules routes cannot express");
  AddRenderOutputOptions(direct_cmd, &direct_render);

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
    if (authz_mode_opt->count() > 0) authz->set_mode(authz_mode);
    if (authz_per_try_opt->count() > 0) {
      authz->mutable_loopback()->set_per_try_timeout(authz_per_try);
    }
    if (authz_attempts_opt->count() > 0) authz->mutable_loopback()->set_attempts(authz_attempts);
    if (authz_max_attempts_opt->count() > 0) {
      authz->mutable_hedging()->set_max_attempts(authz_max_attempts);
    }
    if (authz_quantile_opt->count() > 0) authz->mutable_hedging()->set_quantile(authz_quantile);
    if (authz_budget_opt->count() > 0) authz->mutable_hedging()->set_budget(authz_budget);
    authz_render.config = &authz_config;
    return Finish(edgekit::cli::RunRender(authz_render));
  }
  if (tc_cmd->parsed()) {
    if (!ApplyGatewayFlags(tc_gateway, &tc_config)) return kExitUsage;
    if (tc_positional.empty() && tc_protos.empty() && tc_descriptor.empty()) {
      std::cerr << "render transcoding: give PROTO files (or --proto FILE) or --descriptor "
                   "FILE\nRun with --help for more information.\n";
      return kExitUsage;
    }
    edgekit::edge::v1::Transcoding* tc = tc_config.mutable_transcoding();
    for (const std::string& proto : tc_protos) tc->add_proto_files(proto);
    for (const std::string& proto : tc_positional) tc->add_proto_files(proto);
    for (const std::string& path : tc_proto_paths) tc->add_include_paths(path);
    if (!tc_descriptor.empty()) tc->set_descriptor_set(tc_descriptor);
    for (const std::string& service : tc_services) tc->add_services(service);
    if (tc_destination_opt->count() > 0) {
      absl::StatusOr<edgekit::HostPort> dest = edgekit::ParseHostPort(tc_destination);
      if (!dest.ok()) {
        std::cerr << "render transcoding: --destination: " << dest.status().message() << "\n";
        return kExitUsage;
      }
      tc->mutable_destination()->set_host(dest->host);
      tc->mutable_destination()->set_port(dest->port);
    }
    if (tc_dest_host_opt->count() > 0) tc->mutable_destination()->set_host(tc_dest_host);
    if (tc_dest_port_opt->count() > 0) tc->mutable_destination()->set_port(tc_dest_port);
    if (tc_name_opt->count() > 0) tc->set_name(tc_name);
    edgekit::edge::v1::Transcoding::PrintOptions* print = tc->mutable_print_options();
    print->set_add_whitespace(tc_whitespace);
    print->set_always_print_primitive_fields(tc_primitive);
    print->set_always_print_enums_as_ints(tc_enum_ints);
    print->set_preserve_proto_field_names(tc_proto_names);
    tc->set_convert_grpc_status(!tc_no_convert);
    if (tc_unknown_opt->count() > 0) {
      tc->set_unknown_query_parameters(
          tc_unknown == "ignore"   ? edgekit::edge::v1::Transcoding::IGNORE
          : tc_unknown == "reject" ? edgekit::edge::v1::Transcoding::REJECT
                                   : edgekit::edge::v1::Transcoding::PASS_THROUGH);
    }
    for (const std::string& name : tc_ignored) tc->add_ignored_query_parameters(name);
    if (tc_max_request_opt->count() > 0) tc->set_max_request_body_size(tc_max_request);
    if (tc_max_response_opt->count() > 0) tc->set_max_response_body_size(tc_max_response);
    if (tc_gzip) tc_config.mutable_gzip();
    tc_render.config = &tc_config;
    return Finish(edgekit::cli::RunRender(tc_render));
  }

  if (direct_cmd->parsed()) {
    if (!ApplyGatewayFlags(direct_gateway, &direct_config)) return kExitUsage;
    edgekit::edge::v1::Gateway* gateway = direct_config.mutable_gateway();
    for (const std::string& host : direct_hosts) gateway->add_hosts(host);
    if (direct_gateway_name_opt->count() > 0) gateway->set_name(direct_gateway_name);
    edgekit::edge::v1::DirectResponses* direct = direct_config.mutable_direct_responses();
    if (!direct_wasm_image.empty()) direct->mutable_wasm()->set_image(direct_wasm_image);
    edgekit::edge::v1::DirectResponseRule* rule = direct->add_rules();
    rule->set_name(direct_rule_name);
    rule->mutable_respond()->set_status(direct_status);
    if (direct_body_opt->count() > 0) rule->mutable_respond()->set_body(direct_body);
    for (const std::string& header : direct_response_headers) {
      const size_t eq = header.find('=');
      if (eq == std::string::npos) {
        std::cerr << "render direct-response: --response-header " << header
                  << ": expected NAME=VALUE\n";
        return kExitUsage;
      }
      (*rule->mutable_respond()->mutable_headers())[header.substr(0, eq)] =
          header.substr(eq + 1);
    }
    // NAME=VALUE -> header exact; NAME -> header present.
    auto header_test = [](const std::string& flag, edgekit::edge::v1::Condition* c) {
      const size_t eq = flag.find('=');
      edgekit::edge::v1::HeaderCondition* h = c->mutable_header();
      h->set_name(flag.substr(0, eq));
      if (eq == std::string::npos) {
        h->set_present(true);
      } else {
        h->set_exact(flag.substr(eq + 1));
      }
    };
    std::vector<edgekit::edge::v1::Condition> tests;
    for (const std::string& flag : direct_if_headers) header_test(flag, &tests.emplace_back());
    for (const std::string& name : direct_if_absent) {
      edgekit::edge::v1::HeaderCondition* h = tests.emplace_back().mutable_header();
      h->set_name(name);
      h->set_absent(true);
    }
    if (!direct_path_prefix.empty()) {
      tests.emplace_back().mutable_path()->set_prefix(direct_path_prefix);
    }
    if (!direct_method.empty()) tests.emplace_back().set_method(direct_method);
    if (!direct_unless_headers.empty()) {
      edgekit::edge::v1::Condition unless;
      for (const std::string& flag : direct_unless_headers) {
        header_test(flag, unless.mutable_not_()->add_all());
      }
      tests.push_back(unless);
    }
    if (tests.size() == 1) {
      *rule->mutable_when() = tests[0];
    } else if (tests.size() > 1) {
      for (const auto& test : tests) *rule->mutable_when()->add_all() = test;
    }
    if (direct_dest_opt->count() > 0) {
      absl::StatusOr<edgekit::HostPort> parsed = edgekit::ParseHostPort(direct_destination);
      if (!parsed.ok()) {
        std::cerr << "render direct-response: --destination: " << parsed.status().message()
                  << "\n";
        return kExitUsage;
      }
      edgekit::edge::v1::Destination* dest =
          direct_config.mutable_routes()->mutable_default_destination();
      dest->set_host(parsed->host);
      dest->set_port(parsed->port);
    }
    direct_render.config = &direct_config;
    return Finish(edgekit::cli::RunRender(direct_render));
  }

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
