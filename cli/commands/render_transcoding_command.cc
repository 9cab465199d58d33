#include "cli/commands/render_transcoding_command.h"

#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/edge/defaults.h"
#include "common/syntax.h"

namespace edgekit::cli {

using edge::v1::Transcoding;

absl::StatusOr<edge::v1::EdgeConfig> TranscodingFlagsToConfig(const TranscodingFlags& flags) {
  edge::v1::EdgeConfig config;
  if (absl::Status s = ApplyGatewayFlags(flags.gateway, "render", &config); !s.ok()) return s;
  const bool has_descriptor = flags.descriptor.has_value() && !flags.descriptor->empty();
  if (flags.positional_protos.empty() && flags.protos.empty() && !has_descriptor) {
    return UsageError(
        "render transcoding: give PROTO files (or --proto FILE) or --descriptor FILE\n"
        "Run with --help for more information.");
  }
  Transcoding* tc = config.mutable_transcoding();
  for (const std::string& proto : flags.protos) tc->add_proto_files(proto);
  for (const std::string& proto : flags.positional_protos) tc->add_proto_files(proto);
  for (const std::string& path : flags.proto_paths) tc->add_include_paths(path);
  if (has_descriptor) tc->set_descriptor_set(*flags.descriptor);
  for (const std::string& service : flags.services) tc->add_services(service);
  if (flags.destination) {
    absl::StatusOr<HostPort> dest = ParseHostPort(*flags.destination);
    if (!dest.ok()) {
      return UsageError(
          absl::StrCat("render transcoding: --destination: ", dest.status().message()));
    }
    tc->mutable_destination()->set_host(dest->host);
    tc->mutable_destination()->set_port(dest->port);
  }
  if (flags.destination_host) tc->mutable_destination()->set_host(*flags.destination_host);
  if (flags.destination_port) tc->mutable_destination()->set_port(*flags.destination_port);
  if (flags.name) tc->set_name(*flags.name);
  Transcoding::PrintOptions* print = tc->mutable_print_options();
  print->set_add_whitespace(flags.add_whitespace);
  print->set_always_print_primitive_fields(flags.always_print_primitive_fields);
  print->set_always_print_enums_as_ints(flags.always_print_enums_as_ints);
  print->set_preserve_proto_field_names(flags.preserve_proto_field_names);
  tc->set_convert_grpc_status(!flags.no_convert_grpc_status);
  if (flags.unknown_query_parameters) {
    const std::string& v = *flags.unknown_query_parameters;
    tc->set_unknown_query_parameters(v == "ignore"   ? Transcoding::IGNORE
                                     : v == "reject" ? Transcoding::REJECT
                                                     : Transcoding::PASS_THROUGH);
  }
  for (const std::string& name : flags.ignored_query_parameters) {
    tc->add_ignored_query_parameters(name);
  }
  if (flags.max_request_body_size) tc->set_max_request_body_size(*flags.max_request_body_size);
  if (flags.max_response_body_size) {
    tc->set_max_response_body_size(*flags.max_response_body_size);
  }
  if (flags.gzip) config.mutable_gzip();
  return config;
}

Command AddRenderTranscodingCommand(CLI::App& render) {
  auto flags = std::make_shared<TranscodingFlags>();
  CLI::App* command = render.add_subcommand(
      "transcoding",
      "EnvoyFilter with the gRPC-JSON transcoder (descriptor built in-process from .proto "
      "files, or a prebuilt one) and the VirtualService routes to the gRPC service");
  AddGatewayFlags(command, &flags->gateway);
  CLI::Option* positional = command->add_option("PROTO", flags->positional_protos,
                                                ".proto files to compile (as --proto)");
  CLI::Option* protos =
      command->add_option("--proto", flags->protos, ".proto file to compile; repeatable")
          ->allow_extra_args(false)
          ->type_name("FILE");
  AddProtoPathOption(command, &flags->proto_paths);
  command
      ->add_option("--descriptor", flags->descriptor,
                   "Prebuilt FileDescriptorSet with imports (binary or base64) instead of "
                   ".proto files")
      ->excludes(positional)
      ->excludes(protos)
      ->type_name("FILE");
  command
      ->add_option("--service", flags->services,
                   "gRPC service to transcode (package.Service); repeatable. Default: every "
                   "service with google.api.http bindings")
      ->allow_extra_args(false)
      ->type_name("NAME");
  CLI::Option* destination =
      command
          ->add_option("--destination", flags->destination,
                       "The gRPC service, HOST:PORT (e.g. greeter.default.svc:50051)")
          ->type_name("HOST:PORT");
  command->add_option("--destination-host", flags->destination_host, "The gRPC service's host")
      ->excludes(destination)
      ->type_name("HOST");
  command->add_option("--destination-port", flags->destination_port, "The gRPC service's port")
      ->excludes(destination)
      ->type_name("PORT");
  command->add_option(
      "--name", flags->name,
      absl::StrCat("EnvoyFilter name.", DefaultHelp(edge::v1::Transcoding::descriptor(), "name")));
  command->add_flag("--add-whitespace", flags->add_whitespace, "Indent JSON responses");
  command->add_flag("--always-print-primitive-fields", flags->always_print_primitive_fields,
                    "Print fields holding default values (0, \"\", false)");
  command->add_flag("--always-print-enums-as-ints", flags->always_print_enums_as_ints,
                    "Print enums as numbers");
  command->add_flag("--preserve-proto-field-names", flags->preserve_proto_field_names,
                    "Use .proto field names (snake_case) in JSON, not lowerCamelCase");
  command->add_flag("--no-convert-grpc-status", flags->no_convert_grpc_status,
                    "Do not turn gRPC errors into JSON bodies (convert_grpc_status false)");
  command
      ->add_option("--unknown-query-parameters", flags->unknown_query_parameters,
                   "Query parameters mapping to no field: pass-through (Envoy's default: "
                   "not transcoded), ignore, or reject (400)")
      ->check(CLI::IsMember({"pass-through", "ignore", "reject"}));
  command
      ->add_option("--ignore-query-parameter", flags->ignored_query_parameters,
                   "Query parameter never mapped nor rejected; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME");
  command->add_option("--max-request-body-size", flags->max_request_body_size,
                      "Largest request body buffered, bytes");
  command->add_option("--max-response-body-size", flags->max_response_body_size,
                      "Largest response body buffered, bytes");
  command->add_flag("--gzip", flags->gzip,
                    "Also compress responses (gzip defaults), in the same EnvoyFilter");
  AddRenderOutputOptions(command, &flags->output);
  return {command, [flags] { return RunRender(TranscodingFlagsToConfig(*flags), flags->output); }};
}

}  // namespace edgekit::cli
