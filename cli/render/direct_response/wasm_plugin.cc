// The WasmPlugin of `edgekit render` for direct-response rules VirtualService routes
// cannot express (cli/render/direct_response/direct_response.h). The module is the user's; edgekit
// renders the WasmPlugin that loads it, with the rules, in order, as pluginConfig, plus the hosts
// the module acts on (the routes' hosts) and the ports it must leave alone.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/edge/edge_config.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/gateway_attachment.h"

namespace edgekit::cli {
namespace {

using rules::v1::Condition;

void EmitCondition(Doc& d, const Condition& c) {
  d.Map();
  if (c.has_header()) {
    const rules::v1::HeaderCondition& h = c.header();
    d.Key("header").Map().KV("name", h.name());
    if (h.has_exact()) d.KV("exact", h.exact());
    if (h.has_prefix()) d.KV("prefix", h.prefix());
    if (h.has_regex()) d.KV("regex", h.regex());
    if (h.has_present()) d.KV("present", h.present());
    if (h.has_absent()) d.KV("absent", h.absent());
    d.EndMap();
  } else if (c.has_path()) {
    d.Key("path").Map();
    if (c.path().has_exact()) d.KV("exact", c.path().exact());
    if (c.path().has_prefix()) d.KV("prefix", c.path().prefix());
    if (c.path().has_regex()) d.KV("regex", c.path().regex());
    d.EndMap();
  } else if (c.has_method()) {
    d.KV("method", c.method());
  } else if (c.all_size() > 0 || c.any_size() > 0) {
    d.Key(c.all_size() > 0 ? "all" : "any").Seq();
    for (const Condition& item : c.all_size() > 0 ? c.all() : c.any()) EmitCondition(d, item);
    d.EndSeq();
  } else if (c.has_not_()) {
    d.Key("not");
    EmitCondition(d, c.not_());
  } else if (c.headers_equal_size() > 0) {
    d.StrSeq("headers_equal", {c.headers_equal().begin(), c.headers_equal().end()});
  } else if (c.has_client_ip()) {
    d.Key("client_ip").Map();
    d.StrSeq("cidrs", {c.client_ip().cidrs().begin(), c.client_ip().cidrs().end()});
    d.EndMap();
  }
  d.EndMap();
}

}  // namespace

std::string RenderDirectResponseWasm(const edge::v1::EdgeConfig& config,
                                     const CompiledDirectResponses& compiled) {
  const edge::v1::DirectResponses& direct = config.direct_responses();
  const edge::v1::DirectResponseWasm& wasm = direct.wasm();
  Doc d;
  Header(d, "extensions.istio.io/v1alpha1", "WasmPlugin", wasm.name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  EmitGatewayAttachment(d, config, SelectorStyle::kSelector);
  d.KV("url", wasm.image());
  d.KV("phase", edge::v1::DirectResponseWasm::Phase_Name(wasm.phase()));
  // A WasmPlugin has only a selector (its `match` selects ports to run on, and the
  // gateway's ports are not known here), so it sees every host and port of the gateway
  // pods: the module must act only on the routes' hosts, and never on the ext_authz
  // loopback listener (answering a Check call there would break every authorization).
  std::vector<std::string> hosts(config.gateway().hosts().begin(), config.gateway().hosts().end());
  if (hosts.empty()) hosts.push_back("*");  // as the VirtualService (cli/render/routes.cc)
  std::vector<uint32_t> excluded_ports;
  if (ExtAuthzEnabled(config) && IsLoopbackMode(config.ext_authz())) {
    excluded_ports.push_back(config.ext_authz().port());
  }
  d.Key("pluginConfig").Map();
  d.StrSeq("hosts", hosts);
  if (!excluded_ports.empty()) {
    // The shape of Istio's PortSelector (WasmPlugin match[].ports[]): {number: N}.
    d.Key("excluded_ports").Seq();
    for (uint32_t port : excluded_ports) d.Map().KV("number", port).EndMap();
    d.EndSeq();
  }
  d.Key("rules").Seq();
  for (int i : compiled.wasm_rules) {
    const rules::v1::Rule& rule = direct.rules(i);
    d.Map().KV("name", rule.name());
    if (rule.has_when()) {
      d.Key("when");
      EmitCondition(d, rule.when());
    }
    d.Key("respond").Map().KV("status", rule.respond().status());
    if (rule.respond().has_body()) d.Literal("body", rule.respond().body());
    if (rule.respond().headers_size() > 0) {
      d.Labels("headers", Sorted(rule.respond().headers()));
    }
    d.EndMap().EndMap();
  }
  d.EndSeq().EndMap();  // rules, pluginConfig
  d.EndMap().EndMap();  // spec, document
  std::string comment = absl::StrCat(
      "# Direct-response rules VirtualService routes cannot express, and every rule before\n"
      "# them (",
      compiled.wasm_reason,
      "),\n"
      "# answered in order by YOUR Wasm module (edgekit only\n"
      "# renders this WasmPlugin): the first rule whose `when` holds answers with `respond`;\n"
      "# otherwise the request continues to the routes. Semantics: edge.yaml direct_responses\n"
      "# in the edgekit README.\n"
      "# The plugin runs on every host and port of the gateway: the module must act only on\n"
      "# requests whose host (:authority without port) matches pluginConfig.hosts (the\n"
      "# routes' hosts; \"*.example.com\" any subdomain, \"*\" all) and let others through.\n");
  if (!excluded_ports.empty()) {
    absl::StrAppend(&comment, "# It must also let through every request received on a port in\n",
                    "# pluginConfig.excluded_ports (", absl::StrJoin(excluded_ports, ", "),
                    ": the ext_authz loopback listener, whose requests are\n"
                    "# the Check calls: answering them would break every authorization).\n");
  }
  return d.Text(comment);
}

}  // namespace edgekit::cli
