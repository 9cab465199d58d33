#include "cli/commands/shared_flags.h"

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/commands/command.h"
#include "cli/edge/defaults.h"

namespace edgekit::cli {

void AddProtoPathOption(CLI::App* command, std::vector<std::string>* paths) {
  command
      ->add_option("-I,--proto_path", *paths,
                   "Directory to search for imports; repeatable, searched in order. "
                   "DIR1:DIR2 and VIRTUAL=DIR work as in protoc. Default: .")
      // One value per -I, so `-I dir a.proto` leaves a.proto to the PROTO list.
      ->allow_extra_args(false)
      ->type_name("DIR");
}

void AddGatewayFlags(CLI::App* command, GatewayFlags* flags) {
  command
      ->add_option("--namespace", flags->namespace_,
                   absl::StrCat("Namespace of the gateway (gateway.namespace).",
                                DefaultHelp(edge::v1::Gateway::descriptor(), "namespace")))
      ->type_name("NS");
  command
      ->add_option("--selector", flags->selector,
                   absl::StrCat("Gateway pod label KEY=VALUE (gateway.selector); repeatable.",
                                DefaultHelp(edge::v1::Gateway::descriptor(), "selector")))
      ->allow_extra_args(false)
      ->type_name("KEY=VALUE");
}

std::optional<std::pair<std::string, std::string>> SplitKeyValue(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) return std::nullopt;
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

absl::Status ApplyGatewayFlags(const GatewayFlags& flags, const std::string& command,
                               edge::v1::EdgeConfig* config) {
  edge::v1::Gateway* gateway = config->mutable_gateway();
  if (flags.namespace_.has_value()) gateway->set_namespace_(*flags.namespace_);
  for (const std::string& label : flags.selector) {
    std::optional<std::pair<std::string, std::string>> kv = SplitKeyValue(label);
    if (!kv.has_value()) {
      return UsageError(absl::StrCat(command, ": --selector ", label, ": expected KEY=VALUE"));
    }
    (*gateway->mutable_selector())[kv->first] = kv->second;
  }
  return absl::OkStatus();
}

void AddRenderOutputOptions(CLI::App* command, RenderOptions* options) {
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

}  // namespace edgekit::cli
