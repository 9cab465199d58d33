#include "cli/commands/render_ext_authz_command.h"

#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/edge/defaults.h"

namespace edgekit::cli {

absl::StatusOr<edge::v1::EdgeConfig> ExtAuthzFlagsToConfig(const ExtAuthzFlags& flags) {
  edge::v1::EdgeConfig config;
  if (absl::Status s = ApplyGatewayFlags(flags.gateway, "render", &config); !s.ok()) return s;
  edge::v1::ExtAuthz* authz = config.mutable_ext_authz();
  authz->set_upstream_target(flags.upstream);
  if (flags.provider_name) authz->set_provider_name(*flags.provider_name);
  if (flags.port) authz->set_port(*flags.port);
  if (flags.host) authz->set_host(*flags.host);
  if (flags.service_entry_name) authz->set_service_entry_name(*flags.service_entry_name);
  if (flags.policy_name) authz->set_policy_name(*flags.policy_name);
  if (flags.timeout) authz->set_timeout(*flags.timeout);
  authz->set_fail_open(flags.fail_open);
  if (flags.status_on_error) authz->set_status_on_error(*flags.status_on_error);
  for (const std::string& path : flags.excluded_paths) authz->add_excluded_paths(path);
  for (const std::string& cidr : flags.excluded_cidrs) authz->add_excluded_cidrs(cidr);
  if (flags.mode) {
    // Checked here rather than by CLI11, so a bad --mode reads like any bad setting.
    if (*flags.mode == "broker") {
      authz->set_mode(edge::v1::ExtAuthz::BROKER);
    } else if (*flags.mode == "loopback") {
      authz->set_mode(edge::v1::ExtAuthz::LOOPBACK);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "command line: ext_authz.mode: \"", *flags.mode, "\" is not \"broker\" or \"loopback\""));
    }
  }
  if (flags.per_try_timeout) authz->mutable_loopback()->set_per_try_timeout(*flags.per_try_timeout);
  if (flags.attempts) authz->mutable_loopback()->set_attempts(*flags.attempts);
  if (flags.max_attempts) authz->mutable_hedging()->set_max_attempts(*flags.max_attempts);
  if (flags.hedge_quantile) authz->mutable_hedging()->set_quantile(*flags.hedge_quantile);
  if (flags.hedge_budget) authz->mutable_hedging()->set_budget(*flags.hedge_budget);
  return config;
}

Command AddRenderExtAuthzCommand(CLI::App& render) {
  auto flags = std::make_shared<ExtAuthzFlags>();
  CLI::App* command = render.add_subcommand(
      "ext-authz",
      "ServiceEntry, extension provider (IstioOperator overlay and istiod Helm values), "
      "CUSTOM AuthorizationPolicy and broker config for ext_authz through the edgekit broker");
  AddGatewayFlags(command, &flags->gateway);
  command
      ->add_option("--upstream", flags->upstream,
                   "The broker's auth service (gRPC target). Required")
      ->required();
  command->add_option("--provider-name", flags->provider_name,
                      absl::StrCat("Extension provider name.",
                                   DefaultHelp(edge::v1::ExtAuthz::descriptor(), "provider_name")));
  command->add_option("--port", flags->port,
                      absl::StrCat("Broker port on 127.0.0.1.",
                                   DefaultHelp(edge::v1::ExtAuthz::descriptor(), "port")));
  command->add_option("--host", flags->host,
                      "ServiceEntry host. Default: the ServiceEntry name + .local");
  command->add_option("--service-entry-name", flags->service_entry_name,
                      "ServiceEntry name. Default: the provider name (loopback: the listener's)");
  command->add_option("--policy-name", flags->policy_name,
                      absl::StrCat("AuthorizationPolicy name.",
                                   DefaultHelp(edge::v1::ExtAuthz::descriptor(), "policy_name")));
  command->add_option(
      "--timeout", flags->timeout,
      absl::StrCat("Check timeout.", DefaultHelp(edge::v1::ExtAuthz::descriptor(), "timeout")));
  command->add_flag("--fail-open", flags->fail_open, "Allow requests when the broker fails");
  command->add_option(
      "--status-on-error", flags->status_on_error,
      absl::StrCat("Status when the broker fails.",
                   DefaultHelp(edge::v1::ExtAuthz::descriptor(), "status_on_error")));
  command
      ->add_option("--exclude-path", flags->excluded_paths,
                   "Path that skips authorization; repeatable")
      ->allow_extra_args(false);
  command
      ->add_option("--exclude-cidr", flags->excluded_cidrs,
                   "Client CIDR that skips authorization; repeatable")
      ->allow_extra_args(false);
  command->add_option(
      "--mode", flags->mode,
      "broker (default): hedge through the edgekit broker; loopback: no broker, Envoy's own "
      "hedge_policy on a loopback listener of the gateway (fixed delay, no budget)");
  command->add_option(
      "--per-try-timeout", flags->per_try_timeout,
      absl::StrCat("loopback: hedge after this long.",
                   DefaultHelp(edge::v1::ExtAuthzLoopback::descriptor(), "per_try_timeout")));
  command->add_option(
      "--attempts", flags->attempts,
      absl::StrCat("loopback: most attempts per Check, 2..5.",
                   DefaultHelp(edge::v1::ExtAuthzLoopback::descriptor(), "attempts")));
  command->add_option("--max-attempts", flags->max_attempts,
                      "broker: attempts per Check, 1..5 (broker default 2)");
  command->add_option("--hedge-quantile", flags->hedge_quantile,
                      "broker: latency quantile used as hedge delay (0.95)");
  command->add_option("--hedge-budget", flags->hedge_budget,
                      "broker: hedges per primary call, 0..1 (0.1)");
  AddRenderOutputOptions(command, &flags->output);
  return {command, [flags] { return RunRender(ExtAuthzFlagsToConfig(*flags), flags->output); }};
}

}  // namespace edgekit::cli
