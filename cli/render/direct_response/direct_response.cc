// The public API of the direct-response compiler (direct_response.h): the rules compiled
// one by one (CompileRule and its steps below), then split into the WasmPlugin's prefix
// and the routes. The pieces live beside this file: string_match (what one StringMatch
// accepts), match_blocks (AND-blocks, covering, the shadowing index), condition_compiler
// (`when` -> DNF), http_match_emit (blocks -> Istio matches -> YAML), wasm_plugin.
#include "cli/render/direct_response/direct_response.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/defaults.h"
#include "cli/edge/edge_config.h"
#include "cli/edge/hosts.h"
#include "cli/render/direct_response/broker_rules.h"
#include "cli/render/direct_response/condition_compiler.h"
#include "cli/render/direct_response/dry_run.h"
#include "cli/render/direct_response/http_match_emit.h"
#include "cli/render/direct_response/match_blocks.h"
#include "cli/render/output_files.h"
#include "cli/render/team_composition.h"
#include "rules/header_syntax.h"

namespace edgekit::cli {
namespace {

using direct_response_internal::Block;
using direct_response_internal::ConditionCompiler;
using direct_response_internal::CoverIndex;
using direct_response_internal::Dnf;
using direct_response_internal::MatchesEveryRequest;
using direct_response_internal::RemoveRedundantBlocks;
using direct_response_internal::ToHttpMatch;
using edge::v1::DirectResponses;
using edge::v1::EdgeConfig;
using rules::HeaderNameProblem;
using rules::IsHeaderValue;
using rules::v1::Rule;

// Istio warns about direct-response bodies over 100 KB and refuses them over 1 MB.
constexpr size_t kBodyWarnBytes = kDirectResponseBodyWarnBytes;
constexpr size_t kBodyMaxBytes = kDirectResponseBodyMaxBytes;
// Match blocks (alternatives) one rule may compile to.
constexpr size_t kMaxBlocks = 64;

std::string RulePath(int i) { return absl::StrCat("direct_responses.rules[", i, "]"); }

// The response must be one Istio accepts (status range, body size, settable headers);
// bodies large enough to bloat every gateway's route configuration are warned about.
absl::Status ValidateResponse(const rules::v1::Rule& rule, const std::string& path,
                              const std::string& source, std::vector<std::string>* warnings) {
  if (!rule.has_respond()) {
    return ConfigError(source, path + ".respond",
                       "required: the status (and body, headers) to answer");
  }
  const rules::v1::Response& r = rule.respond();
  if (!r.has_status()) return ConfigError(source, path + ".respond.status", "required, 200..599");
  if (r.status() < 200 || r.status() > 599) {
    return ConfigError(
        source, path + ".respond.status",
        absl::StrCat("must be in [200, 599] (Istio's directResponse), got ", r.status()));
  }
  if (r.body().size() > kBodyMaxBytes) {
    return ConfigError(
        source, path + ".respond.body",
        absl::StrCat("is ", r.body().size(),
                     " bytes; Istio refuses direct-response bodies over 1 MB (1048576 "
                     "bytes): serve it from a backend instead"));
  }
  if (r.body().size() > kBodyWarnBytes && warnings != nullptr) {
    warnings->push_back(absl::StrCat(
        source, ": ", path, ".respond.body: warning: ", r.body().size(),
        " bytes; bodies over 100 KB (102400 bytes) bloat every gateway's route configuration "
        "(Istio warns too)"));
  }
  for (const auto& [name, value] : r.headers()) {
    const std::string key = absl::StrCat(path, ".respond.headers[\"", name, "\"]");
    if (std::string p = HeaderNameProblem(name); !p.empty()) return ConfigError(source, key, p);
    if (name == "host" || name == "content-length") {
      return ConfigError(source, key,
                         absl::StrCat("\"", name, "\" cannot be set on a response here"));
    }
    if (!IsHeaderValue(value)) {
      return ConfigError(source, key, "a header value cannot contain CR, LF or NUL");
    }
  }
  return absl::OkStatus();
}

// One rule, compiled.
struct CompiledRule {
  Dnf blocks;      // the blocks rendered: those no earlier rule's block covers
  Dnf all_blocks;  // every block of the condition (what the rule takes from later rules)
  bool expressible = true;
  std::string inexpressible;  // when not expressible: why (ConditionCompiler::inexpressible)
};

// What the rules compiled so far mean for the next one.
struct EarlierRules {
  CoverIndex blocks;  // the blocks of the expressible rules so far
  std::set<std::string> names;
  int catch_all = -1;  // the first rule that matches every request
};

// Step 1, the section's shape, before any rule: a rule needing the WasmPlugin is only
// accepted when the plugin it goes to can be rendered, and a bad wasm section is reported
// even when no rule needs it (it would break the first rule that does).
absl::Status ValidateWasmSection(const DirectResponses& direct, const std::string& source) {
  if (!direct.has_wasm()) return absl::OkStatus();
  const edge::v1::DirectResponseWasm& wasm = direct.wasm();
  if (wasm.image().empty()) {
    return ConfigError(
        source, "direct_responses.wasm.image",
        "required: the Wasm module's URL, e.g. \"oci://ghcr.io/acme/direct-response:1.0\"");
  }
  if (!absl::StartsWith(wasm.image(), "oci://") && !absl::StartsWith(wasm.image(), "https://") &&
      !absl::StartsWith(wasm.image(), "file://")) {
    return ConfigError(
        source, "direct_responses.wasm.image",
        absl::StrCat("\"", wasm.image(),
                     "\" must start with oci://, https:// or file:// (Istio WasmPlugin url)"));
  }
  if (!IsDns1123Label(wasm.name())) {
    return ConfigError(
        source, "direct_responses.wasm.name",
        absl::StrCat("\"", wasm.name(), "\" is not a valid Kubernetes name (RFC 1123 label)"));
  }
  if (wasm.phase() == edge::v1::DirectResponseWasm::PHASE_UNSPECIFIED) {
    return ConfigError(source, "direct_responses.wasm.phase", "must be AUTHN, AUTHZ or STATS");
  }
  return absl::OkStatus();
}

// The rule's name names its route ("direct-<name>") and its WasmPlugin entry, so it must
// be a Kubernetes name and unique; `names` holds the earlier rules' names.
absl::Status ValidateRuleName(const rules::v1::Rule& rule, const std::string& path,
                              const std::string& source, std::set<std::string>* names) {
  if (!IsTeamScopedName(rule.name())) {
    return ConfigError(source, path + ".name",
                       rule.name().empty()
                           ? std::string("required: a name such as \"require-api-key\"")
                           : absl::StrCat("\"", rule.name(),
                                          "\" is not a valid Kubernetes name (RFC 1123 label: "
                                          "lowercase letters, digits and '-', at most 63)"));
  }
  if (!names->insert(rule.name()).second) {
    return ConfigError(source, path + ".name",
                       absl::StrCat("\"", rule.name(), "\" is used by an earlier rule"));
  }
  return absl::OkStatus();
}

// Rule.hosts: host patterns, each one of gateway.hosts or under one (as the broker's
// rule compiler requires of the same field).
absl::Status ValidateRuleHosts(const rules::v1::Rule& rule, const std::string& path,
                               const std::string& source,
                               const google::protobuf::RepeatedPtrField<std::string>& gateway) {
  for (int h = 0; h < rule.hosts_size(); ++h) {
    const std::string& host = rule.hosts(h);
    const std::string key = absl::StrCat(path, ".hosts[", h, "]");
    if (!IsHostPattern(host)) {
      return ConfigError(source, key,
                         absl::StrCat("\"", host,
                                      "\" is not a lowercase DNS name, \"*.\" + a DNS name, or "
                                      "\"*\""));
    }
    if (!gateway.empty() && std::none_of(gateway.begin(), gateway.end(),
                                         [&](const auto& g) { return HostCovers(g, host); })) {
      return ConfigError(source, key,
                         absl::StrCat("\"", host, "\" is outside gateway.hosts (",
                                      absl::StrJoin(gateway, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

// The rule's condition as blocks (one block testing nothing without `when`). A condition
// no route can express leaves the rule to the WasmPlugin (`expressible` false), which
// must then be configured: the error says why and where otherwise.
absl::Status CompileConditionBlocks(const rules::v1::Rule& rule, const std::string& path,
                                    bool has_wasm, const std::string& source,
                                    CompiledRule* compiled) {
  if (!rule.has_when()) {
    compiled->blocks.push_back(Block{});
    return absl::OkStatus();
  }
  ConditionCompiler compiler(source);
  absl::StatusOr<Dnf> dnf = compiler.Compile(rule.when(), false, path + ".when");
  if (!dnf.ok()) return dnf.status();
  if (!compiler.inexpressible().empty()) {
    if (!has_wasm) {
      return ConfigError(
          source, compiler.inexpressible_path(),
          absl::StrCat("rule \"", rule.name(),
                       "\" cannot be a VirtualService route: ", compiler.inexpressible(),
                       ". Let the broker answer it (render ext_authz through the broker, "
                       "or set direct_responses.engine: broker for a rules-only broker), set "
                       "direct_responses.wasm.image to answer it with a WasmPlugin running "
                       "your module, or rewrite the rule"));
    }
    compiled->expressible = false;
    compiled->inexpressible = compiler.inexpressible();
    return absl::OkStatus();
  }
  compiled->blocks = *std::move(dnf);
  return absl::OkStatus();
}

// The blocks of the rule's condition, scoped to the rule's hosts.
absl::Status CompileCondition(const rules::v1::Rule& rule, const std::string& path, bool has_wasm,
                              const std::string& source, CompiledRule* compiled) {
  absl::Status status = CompileConditionBlocks(rule, path, has_wasm, source, compiled);
  if (!status.ok() || rule.hosts().empty()) return status;
  // The rule's hosts scope every block (an `authority` match): a rule written for one
  // team's hosts never answers another's.
  std::vector<std::string> hosts(rule.hosts().begin(), rule.hosts().end());
  if (std::find(hosts.begin(), hosts.end(), "*") != hosts.end()) return status;  // every host
  std::sort(hosts.begin(), hosts.end());
  for (Block& block : compiled->blocks) block.hosts = hosts;
  return absl::OkStatus();
}

// A rule's blocks must fit in a route: at least one (every alternative contradicting
// itself means the rule can never match, surely a mistake) and at most kMaxBlocks (each
// negated header test doubles them: past that, the condition is one to simplify).
absl::Status CheckBlockCount(const rules::v1::Rule& rule, const std::string& path,
                             const std::string& source, const Dnf& blocks) {
  if (blocks.empty()) {
    return ConfigError(source, path + ".when",
                       absl::StrCat("rule \"", rule.name(),
                                    "\" can never match: every alternative of its condition "
                                    "contradicts itself (e.g. a header both present and absent, or "
                                    "two different exact values)"));
  }
  if (blocks.size() > kMaxBlocks) {
    return ConfigError(source, path + ".when",
                       absl::StrCat("rule \"", rule.name(), "\" needs ", blocks.size(),
                                    " match blocks (more than ", kMaxBlocks,
                                    "); each negated header test doubles them: simplify the "
                                    "condition or split the rule"));
  }
  return absl::OkStatus();
}

// Shadowing: a block some earlier (expressible) rule's block already answers never
// matches here; it is left out (so `edgekit validate` finds no dead match block), and
// a rule left with none can never answer. Every block of the earlier rule counts,
// rendered or not: a left-out block's requests are answered before it too.
absl::Status RemoveShadowedBlocks(const DirectResponses& direct, const rules::v1::Rule& rule,
                                  const std::string& path, const std::string& source,
                                  const CoverIndex& earlier_blocks, CompiledRule* compiled) {
  compiled->all_blocks = compiled->blocks;
  std::set<std::string> shadowing;
  Dnf uncovered;
  for (const Block& block : compiled->all_blocks) {
    const int e = earlier_blocks.FirstCovering(block);
    if (e >= 0) {
      shadowing.insert(direct.rules(e).name());
    } else {
      uncovered.push_back(block);
    }
  }
  if (uncovered.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& n : shadowing) quoted.push_back(absl::StrCat("\"", n, "\""));
    return ConfigError(source, path,
                       absl::StrCat("rule \"", rule.name(),
                                    "\" can never answer: every request it matches is answered "
                                    "first by earlier rule ",
                                    absl::StrJoin(quoted, ", "),
                                    " (reorder the rules or narrow the earlier one)"));
  }
  compiled->blocks = std::move(uncovered);
  return absl::OkStatus();
}

// Compiles rule `i`: its name, its response, then its condition, simplified (blocks the
// rule's own blocks cover), bounded, and cut by the earlier rules (shadowing). The checks
// run in this order so the first problem of a rule is the one reported. Updates `earlier`
// for the rules after it.
absl::StatusOr<CompiledRule> CompileRule(const DirectResponses& direct, int i,
                                         const std::string& source,
                                         std::vector<std::string>* warnings,
                                         bool allow_inexpressible, EarlierRules* earlier) {
  const rules::v1::Rule& rule = direct.rules(i);
  const std::string path = RulePath(i);
  if (absl::Status s = ValidateRuleName(rule, path, source, &earlier->names); !s.ok()) return s;
  if (absl::Status s = ValidateResponse(rule, path, source, warnings); !s.ok()) return s;
  if (earlier->catch_all >= 0) {
    return ConfigError(source, path,
                       absl::StrCat("rule \"", rule.name(), "\" can never answer: rule \"",
                                    direct.rules(earlier->catch_all).name(),
                                    "\" before it matches every request"));
  }
  CompiledRule compiled;
  if (absl::Status s = CompileCondition(rule, path, allow_inexpressible, source, &compiled);
      !s.ok()) {
    return s;
  }
  // The WasmPlugin answers it: no route, so no blocks to check or to shadow later rules.
  if (!compiled.expressible) return compiled;
  compiled.blocks = RemoveRedundantBlocks(compiled.blocks);
  if (absl::Status s = CheckBlockCount(rule, path, source, compiled.blocks); !s.ok()) return s;
  if (absl::Status s = RemoveShadowedBlocks(direct, rule, path, source, earlier->blocks, &compiled);
      !s.ok()) {
    return s;
  }
  if (MatchesEveryRequest(compiled.blocks)) earlier->catch_all = i;
  for (const Block& block : compiled.all_blocks) earlier->blocks.Add(block, i);
  return compiled;
}

// The WasmPlugin runs before routing, so the rules it answers must be a prefix of the
// rules for the order to hold: every rule up to the last one no route can express. Its
// index, or -1 when every rule is a route.
int LastWasmRule(const std::vector<CompiledRule>& rules) {
  int last = -1;
  for (int i = 0; i < static_cast<int>(rules.size()); ++i) {
    if (!rules[i].expressible) last = i;
  }
  return last;
}

// The transcoder rewrites the path (and the method, to POST) and clears the route
// cache: the router then serves the route matched on the gRPC request. A routed rule
// testing the path or method is warned about (with transcoding on), since it does not
// see the REST request.
void WarnPathOrMethodUnderTranscoding(const EdgeConfig& config, int i, const rules::v1::Rule& rule,
                                      const Dnf& blocks, const std::string& source,
                                      std::vector<std::string>* warnings,
                                      const Composition* composition) {
  if (!TranscodingEnabled(config) || warnings == nullptr) return;
  bool tests_path_or_method =
      std::any_of(blocks.begin(), blocks.end(), [](const Block& b) { return b.path || b.method; });
  std::string where = absl::StrCat(source, ": ", RulePath(i));
  if (composition != nullptr) {
    // A team's rule: its own condition decides (the path scope edgekit added covers the
    // team's gRPC paths too), and the message points into the team's file.
    auto origin = composition->rules.find(i);
    if (origin != composition->rules.end()) {
      tests_path_or_method = origin->second.tests_path_or_method;
      where = absl::StrCat(origin->second.file_at, ": ", origin->second.key);
    }
  }
  if (!tests_path_or_method) return;
  warnings->push_back(absl::StrCat(
      where, ".when: warning: rule \"", rule.name(),
      "\" tests the path or method: with transcoding on, transcoded requests are "
      "matched again on /<package>.<Service>/<Method> with method POST; this rule sees "
      "that path/method for them, not the REST one (a REST path test misses them, a "
      "method test sees POST). Match the gRPC path too (e.g. path prefix "
      "\"/<package>.<Service>/\"), or answer the rule with your Wasm module "
      "(direct_responses.wasm), which runs before the transcoder"));
}

// The route of a routed rule: its blocks as matches (none for a rule matching every
// request: an empty match list is Istio's "every request") and its response.
DirectResponseRoute ToRoute(const rules::v1::Rule& rule, const CompiledRule& compiled) {
  DirectResponseRoute route;
  route.name = "direct-" + rule.name();
  if (!MatchesEveryRequest(compiled.blocks)) {
    for (const Block& b : compiled.blocks) route.matches.push_back(ToHttpMatch(b));
  }
  route.status = rule.respond().status();
  if (rule.respond().has_body()) route.body = rule.respond().body();
  route.headers = Sorted(rule.respond().headers());
  return route;
}

// The rules as routes; a rule routes cannot express goes to the WasmPlugin when
// `allow_inexpressible` (wasm.image is set, or the engine is being decided), else is an
// error.
absl::StatusOr<CompiledDirectResponses> CompileAsRoutes(const EdgeConfig& config,
                                                        const std::string& source,
                                                        std::vector<std::string>* warnings,
                                                        bool allow_inexpressible,
                                                        const Composition* composition = nullptr) {
  const DirectResponses& direct = config.direct_responses();
  if (absl::Status s = ValidateWasmSection(direct, source); !s.ok()) return s;

  // Every rule is compiled (and checked) in order, the WasmPlugin's too: a rule's
  // shadowing depends on every routed rule before it.
  std::vector<CompiledRule> rules;
  EarlierRules earlier;
  for (int i = 0; i < direct.rules_size(); ++i) {
    if (absl::Status s =
            ValidateRuleHosts(direct.rules(i), RulePath(i), source, config.gateway().hosts());
        !s.ok()) {
      return s;
    }
    absl::StatusOr<CompiledRule> compiled =
        CompileRule(direct, i, source, warnings, allow_inexpressible, &earlier);
    if (!compiled.ok()) return compiled.status();
    rules.push_back(*std::move(compiled));
  }

  const int last_wasm = LastWasmRule(rules);
  CompiledDirectResponses out;
  out.catches_all = earlier.catch_all >= 0;
  for (int i = 0; i < direct.rules_size(); ++i) {
    if (i <= last_wasm) {
      out.wasm_rules.push_back(i);
      continue;
    }
    WarnPathOrMethodUnderTranscoding(config, i, direct.rules(i), rules[i].blocks, source, warnings,
                                     composition);
    out.routes.push_back(ToRoute(direct.rules(i), rules[i]));
  }
  if (last_wasm >= 0) {
    out.wasm_reason = absl::StrCat("rule \"", direct.rules(last_wasm).name(),
                                   "\": ", rules[last_wasm].inexpressible);
  }
  return out;
}

// AUTO: routes when they can answer every rule (or the user's Wasm module takes those
// they cannot), else the broker when ext_authz goes through it. Decided on a trial
// compilation; its errors are the routes' (a bad or unreachable rule is one for both).
// `why` (optional) says what decided, for the note `render` prints.
absl::StatusOr<bool> AutoInBroker(const EdgeConfig& config, const std::string& source,
                                  std::string* why = nullptr) {
  const DirectResponses& direct = config.direct_responses();
  absl::StatusOr<CompiledDirectResponses> trial =
      CompileAsRoutes(config, source, nullptr, /*allow_inexpressible=*/true);
  if (!trial.ok()) return trial.status();
  std::string local;
  if (why == nullptr) why = &local;
  if (trial->wasm_rules.empty()) {
    *why = "routes: every rule fits a VirtualService route";
    return false;
  }
  if (direct.has_wasm()) {
    *why = absl::StrCat("routes, with the WasmPlugin of direct_responses.wasm for ",
                        trial->wasm_reason);
    return false;
  }
  if (ExtAuthzEnabled(config) && !IsLoopbackMode(config.ext_authz())) {
    *why = absl::StrCat("broker (routes cannot express ", trial->wasm_reason, ")");
    return true;
  }
  // Neither: the error names the rule and what it needs.
  absl::StatusOr<CompiledDirectResponses> routes =
      CompileAsRoutes(config, source, nullptr, /*allow_inexpressible=*/false);
  return routes.ok() ? absl::InternalError("direct_responses: inconsistent trial compilation")
                     : routes.status();
}

// A rule testing the path sees it as Envoy normalized it, and Istio's default (BASE) does
// not merge slashes: `prefix: /admin` answers /admin but lets //admin through to a backend
// that may well serve it as /admin (CVE-2021-31920 is this class for
// AuthorizationPolicy). Said once, naming the rules, unless the gateway merges slashes.
void WarnPathRulesWithoutSlashMerging(const EdgeConfig& config, const RenderContext& context) {
  if (context.warnings == nullptr) return;
  const auto normalization = config.gateway().path_normalization();
  if (normalization == edge::v1::Gateway::MERGE_SLASHES ||
      normalization == edge::v1::Gateway::DECODE_AND_MERGE_SLASHES) {
    return;
  }
  std::vector<std::string> named;
  int count = 0;
  const auto& rules = config.direct_responses().rules();
  for (int i = 0; i < rules.size(); ++i) {
    const rules::v1::Rule& rule = rules[i];
    bool tests_path = rule.has_when() && TestsPathOrMethod(rule.when(), /*method=*/false);
    if (context.composition != nullptr) {
      // A team's rule: the path scope edgekit added is not the team's test.
      auto origin = context.composition->rules.find(i);
      if (origin != context.composition->rules.end()) tests_path = origin->second.tests_path;
    }
    if (!tests_path) continue;
    if (++count <= 3) named.push_back(absl::StrCat("\"", rule.name(), "\""));
  }
  if (count == 0) return;
  context.warnings->push_back(absl::StrCat(
      context.source, ": gateway.path_normalization: warning: rule", count > 1 ? "s " : " ",
      absl::StrJoin(named, ", "), count > 3 ? absl::StrCat(" and ", count - 3, " more") : "",
      count > 1 ? " test" : " tests",
      " the path, and Envoy does not merge slashes with Istio's default normalization (BASE): "
      "//admin passes a rule on /admin and reaches a backend that may serve it as /admin. "
      "Set gateway.path_normalization: MERGE_SLASHES (or DECODE_AND_MERGE_SLASHES; written "
      "into the mesh config), and use `ignore_case: true` where backends ignore case"));
}

}  // namespace

bool TestsPathOrMethod(const rules::v1::Condition& c, bool method) {
  if (c.has_path() || (method && c.has_method())) return true;
  for (const auto& sub : c.all()) {
    if (TestsPathOrMethod(sub, method)) return true;
  }
  for (const auto& sub : c.any()) {
    if (TestsPathOrMethod(sub, method)) return true;
  }
  return c.has_not_() && TestsPathOrMethod(c.not_(), method);
}

void ApplyDirectResponseDefaults(EdgeConfig* config) {
  if (!config->has_direct_responses()) return;
  DirectResponses* direct = config->mutable_direct_responses();
  ApplyDeclaredDefaults(direct);  // engine
  if (direct->has_wasm()) ApplyDeclaredDefaults(direct->mutable_wasm());
}

absl::StatusOr<bool> DirectResponsesInBroker(const EdgeConfig& config, const std::string& source,
                                             std::string* auto_choice) {
  const DirectResponses& direct = config.direct_responses();
  // A rule in dry run is counted, never answered: only the broker can do that.
  const bool dry_run = !direct_response_internal::DryRunKey(direct).empty();
  // Gateway API has no direct response: HTTPRoute has no such filter (GEP-2826 is
  // provisional), Istio rejects ExtensionRef filters, and a VirtualService does not bind
  // to a Gateway API Gateway. The broker, before the auth call, is the only way to answer.
  if (IsGatewayApi(config)) {
    if (direct.engine() == DirectResponses::ROUTES) {
      return ConfigError(source, "direct_responses.engine",
                         "routes cannot answer on gateway.api gateway-api: Gateway API has no "
                         "direct response (HTTPRoute has no such filter), so only the broker "
                         "can; set engine: broker (or auto, which picks it)");
    }
    if (auto_choice != nullptr && direct.engine() != DirectResponses::BROKER) {
      *auto_choice = "broker: gateway.api is gateway-api, where HTTPRoute has no direct response";
    }
    return true;
  }
  switch (direct.engine()) {
    case DirectResponses::ROUTES:
      if (dry_run) return direct_response_internal::DryRunNeedsBrokerEngine(direct, source);
      return false;
    case DirectResponses::BROKER:
      return true;
    case DirectResponses::AUTO:
    case DirectResponses::ENGINE_UNSPECIFIED:  // not set: the default, auto
      if (dry_run) {
        return direct_response_internal::AutoInBrokerForDryRun(config, source, auto_choice);
      }
      return AutoInBroker(config, source, auto_choice);
    default:
      return ConfigError(source, "direct_responses.engine", "must be routes, broker or auto");
  }
}

absl::StatusOr<CompiledDirectResponses> CompileDirectResponses(const EdgeConfig& config,
                                                               const std::string& source,
                                                               std::vector<std::string>* warnings,
                                                               const Composition* composition) {
  const DirectResponses& direct = config.direct_responses();
  if (direct.rules_size() == 0) {
    return ConfigError(source, "direct_responses.rules",
                       "at least one rule (or remove the section, or set enabled: false)");
  }
  absl::StatusOr<bool> in_broker = DirectResponsesInBroker(config, source);
  if (!in_broker.ok()) return in_broker.status();
  if (*in_broker) return direct_response_internal::CompileForBroker(config, source, warnings);
  return CompileAsRoutes(config, source, warnings, direct.has_wasm(), composition);
}

bool DirectResponseFeature::Enabled(const EdgeConfig& config) const {
  return DirectResponsesEnabled(config);
}

void DirectResponseFeature::ApplyDefaults(EdgeConfig* config) const {
  ApplyDirectResponseDefaults(config);
}

absl::Status DirectResponseFeature::Validate(const EdgeConfig& config,
                                             const RenderContext& context) {
  absl::StatusOr<CompiledDirectResponses> compiled =
      CompileDirectResponses(config, context.source, context.warnings, context.composition);
  if (!compiled.ok()) {
    if (context.composition == nullptr) return compiled.status();
    return Relocate(compiled.status(), context.source, "direct_responses.rules",
                    context.composition->rules);
  }
  WarnPathRulesWithoutSlashMerging(config, context);
  std::string auto_choice;
  if (context.notes != nullptr &&
      DirectResponsesInBroker(config, context.source, &auto_choice).ok() && !auto_choice.empty()) {
    context.notes->push_back(
        absl::StrCat(context.source, ": direct_responses.engine: auto chose ", auto_choice));
  }
  compiled_ = *std::move(compiled);
  return absl::OkStatus();
}

absl::Status DirectResponseFeature::Render(const EdgeConfig& config,
                                           const RenderContext& /*context*/,
                                           std::vector<RenderedFile>* files) {
  if (!compiled_.wasm_rules.empty()) {
    files->push_back({kDirectResponseWasmFile, {RenderDirectResponseWasm(config, compiled_)}});
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
