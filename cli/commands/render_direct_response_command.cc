#include "cli/commands/render_direct_response_command.h"

#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/edge/defaults.h"
#include "common/syntax.h"

namespace edgekit::cli {
namespace {

using rules::v1::Condition;

// NAME=VALUE -> header exact; NAME -> header present.
void HeaderTest(const std::string& flag, Condition* condition) {
  rules::v1::HeaderCondition* header = condition->mutable_header();
  std::optional<std::pair<std::string, std::string>> kv = SplitKeyValue(flag);
  if (kv.has_value()) {
    header->set_name(kv->first);
    header->set_exact(kv->second);
  } else {
    header->set_name(flag);
    header->set_present(true);
  }
}

}  // namespace

absl::StatusOr<edge::v1::EdgeConfig> DirectResponseFlagsToConfig(const DirectResponseFlags& flags) {
  edge::v1::EdgeConfig config;
  if (absl::Status s = ApplyGatewayFlags(flags.gateway, "render", &config); !s.ok()) return s;
  edge::v1::Gateway* gateway = config.mutable_gateway();
  for (const std::string& host : flags.hosts) gateway->add_hosts(host);
  if (flags.gateway_name) gateway->set_name(*flags.gateway_name);
  edge::v1::DirectResponses* direct = config.mutable_direct_responses();
  if (!flags.wasm_image.empty()) direct->mutable_wasm()->set_image(flags.wasm_image);
  rules::v1::Rule* rule = direct->add_rules();
  rule->set_name(flags.rule_name);
  rule->mutable_respond()->set_status(flags.status);
  if (flags.body) rule->mutable_respond()->set_body(*flags.body);
  for (const std::string& header : flags.response_headers) {
    std::optional<std::pair<std::string, std::string>> kv = SplitKeyValue(header);
    if (!kv.has_value()) {
      return UsageError(absl::StrCat("render direct-response: --response-header ", header,
                                     ": expected NAME=VALUE"));
    }
    (*rule->mutable_respond()->mutable_headers())[kv->first] = kv->second;
  }

  std::vector<Condition> tests;
  for (const std::string& flag : flags.if_headers) HeaderTest(flag, &tests.emplace_back());
  for (const std::string& name : flags.if_absent) {
    rules::v1::HeaderCondition* header = tests.emplace_back().mutable_header();
    header->set_name(name);
    header->set_absent(true);
  }
  if (!flags.if_path_prefix.empty()) {
    tests.emplace_back().mutable_path()->set_prefix(flags.if_path_prefix);
  }
  if (!flags.if_method.empty()) tests.emplace_back().set_method(flags.if_method);
  if (!flags.unless_headers.empty()) {
    Condition unless;
    for (const std::string& flag : flags.unless_headers) {
      HeaderTest(flag, unless.mutable_not_()->add_all());
    }
    tests.push_back(unless);
  }
  if (tests.size() == 1) {
    *rule->mutable_when() = tests[0];
  } else if (tests.size() > 1) {
    for (const Condition& test : tests) *rule->mutable_when()->add_all() = test;
  }

  if (flags.destination) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(*flags.destination);
    if (!parsed.ok()) {
      return UsageError(
          absl::StrCat("render direct-response: --destination: ", parsed.status().message()));
    }
    edge::v1::Destination* dest = config.mutable_routes()->mutable_default_destination();
    dest->set_host(parsed->host);
    dest->set_port(parsed->port);
  }
  return config;
}

Command AddRenderDirectResponseCommand(CLI::App& render) {
  auto flags = std::make_shared<DirectResponseFlags>();
  CLI::App* command = render.add_subcommand(
      "direct-response",
      "VirtualService answering matching requests directly (one rule), before a catch-all "
      "route to --destination. The rule answers when every --if-* test holds and NOT every "
      "--unless-header test holds; e.g. `--unless-header x-foo=1 --unless-header x-bar=1 "
      "--status 400 --body 'This is direct response!' --destination web.default:8080` "
      "proxies only requests carrying both headers. More (any/not, regex): edge.yaml "
      "direct_responses.");
  AddGatewayFlags(command, &flags->gateway);
  command->add_option("--status", flags->status, "HTTP status to answer, 200..599. Required")
      ->required();
  command->add_option("--body", flags->body, "Response body (text). Default: none");
  command
      ->add_option("--response-header", flags->response_headers,
                   "Response header NAME=VALUE; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME=VALUE");
  command
      ->add_option("--if-header", flags->if_headers,
                   "Answer only if header NAME has exactly VALUE (NAME alone: is present); "
                   "repeatable, all must hold")
      ->allow_extra_args(false)
      ->type_name("NAME[=VALUE]");
  command
      ->add_option("--if-absent", flags->if_absent,
                   "Answer only if header NAME is absent; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME");
  command
      ->add_option("--unless-header", flags->unless_headers,
                   "Do not answer (proxy instead) when header NAME has exactly VALUE (NAME "
                   "alone: is present) and every other --unless-header holds too; repeatable")
      ->allow_extra_args(false)
      ->type_name("NAME[=VALUE]");
  command
      ->add_option("--if-path-prefix", flags->if_path_prefix,
                   "Answer only for paths starting with PREFIX")
      ->type_name("PREFIX");
  command->add_option("--if-method", flags->if_method, "Answer only for this method (GET, ...)")
      ->type_name("METHOD");
  command->add_option(
      "--rule-name", flags->rule_name,
      absl::StrCat("Rule name (route direct-NAME). Default ", DirectResponseFlags().rule_name));
  command
      ->add_option("--destination", flags->destination,
                   "Catch-all destination HOST:PORT for requests not answered "
                   "(routes.default_destination)")
      ->type_name("HOST:PORT");
  command
      ->add_option("--host", flags->hosts,
                   "Host served (gateway.hosts); repeatable. Default: every host (\"*\")")
      ->allow_extra_args(false);
  command->add_option(
      "--gateway", flags->gateway_name,
      absl::StrCat("Istio Gateway name.", DefaultHelp(edge::v1::Gateway::descriptor(), "name")));
  command->add_option("--wasm-image", flags->wasm_image,
                      "oci:// URL of YOUR Wasm module for rules routes cannot express");
  AddRenderOutputOptions(command, &flags->output);
  return {command,
          [flags] { return RunRender(DirectResponseFlagsToConfig(*flags), flags->output); }};
}

}  // namespace edgekit::cli
