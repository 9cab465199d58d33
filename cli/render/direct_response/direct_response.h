// The direct-response rule compiler of `edgekit render` (edge.yaml `direct_responses`).
//
// Each rule's condition (header / path / method tests combined with all, any, not) is
// put in disjunctive normal form: an OR of AND-blocks, each AND-block one Istio
// HTTPMatchRequest (uri, method, headers, withoutHeaders). Istio ORs the `match` blocks of
// a route, so one rule becomes one VirtualService HTTP route with a directResponse, and
// the rules keep their order, before every other route.
//
// Negation follows what Envoy really does (see the negation facts in http_match_emit.cc):
// a `withoutHeaders` matcher with a value never matches a request *without* the header,
// so not(header h exact v) is two blocks: "h present and not v" or "h absent".
// Contradictory blocks (h present and absent, two different exact values) are dropped;
// a rule left with no block can never match (an error). A block an earlier rule's block
// already covers never matches in its route and is left out; a rule every block of which
// is covered is shadowed (an error). With transcoding on, a routed rule testing the path
// or method is warned about: transcoded requests are matched on their gRPC path and POST
// (DESIGN.md "Facts for manifests"). A condition routes cannot
// express (a negated path or method, two headers compared with each other, two regexes
// on one header in one block) goes, with every rule before it, to a WasmPlugin when
// `direct_responses.wasm.image` is set, and is otherwise an error saying why. A rule in
// dry run (counted, not answered) needs the broker engine (dry_run.h).
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_DIRECT_RESPONSE_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_DIRECT_RESPONSE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/render/feature.h"
#include "cli/render/manifest_doc.h"
#include "edgekit/edge/v1/edge_config.pb.h"
#include "edgekit/rules/v1/rules.pb.h"

namespace edgekit::cli {

// Istio's StringMatch.
struct StringMatch {
  enum class Kind { kExact, kPrefix, kRegex };
  Kind kind = Kind::kExact;
  std::string value;
  bool operator==(const StringMatch& o) const { return kind == o.kind && value == o.value; }
  bool operator<(const StringMatch& o) const {
    return kind != o.kind ? kind < o.kind : value < o.value;
  }
};

// One Istio HTTPMatchRequest: every set key must hold (AND).
struct HttpMatch {
  std::optional<StringMatch> uri;
  // The request's :authority (host and optional port); routes.http with `hosts`.
  std::optional<StringMatch> authority;
  std::optional<StringMatch> method;
  // Header name -> value test; nullopt is `{}`: the header is present.
  std::map<std::string, std::optional<StringMatch>> headers;
  // Header name -> value test the header must be present and NOT pass; nullopt is `{}`:
  // the header is absent.
  std::map<std::string, std::optional<StringMatch>> without_headers;
};

// One VirtualService route answering directly.
struct DirectResponseRoute {
  std::string name;                // "direct-<rule name>"
  std::vector<HttpMatch> matches;  // OR'd; empty: every request
  uint32_t status = 0;
  std::optional<std::string> body;
  std::map<std::string, std::string> headers;  // headers.response.set
};

struct CompiledDirectResponses {
  // The routes, in rule order, for the rules not in the WasmPlugin.
  std::vector<DirectResponseRoute> routes;
  // Indices into direct_responses.rules of the rules the WasmPlugin answers (always a
  // prefix of the rules, so the plugin, which runs before routing, keeps their order).
  std::vector<int> wasm_rules;
  // Why the first of wasm_rules needs Wasm (for the manifest comment).
  std::string wasm_reason;
  // Some rule matches every request: nothing after the direct responses is reachable.
  bool catches_all = false;
  // The rules are answered by the broker (direct_responses.engine broker, or auto with
  // a rule routes cannot express): no routes, no WasmPlugin; they go into broker.yaml.
  bool in_broker = false;
};

// Defaults of direct_responses.wasm (name, phase).
void ApplyDirectResponseDefaults(edge::v1::EdgeConfig* config);

// Validates direct_responses (enabled) and decides its engine (ROUTES, BROKER, AUTO: see
// DirectResponses.engine), then compiles the rules into routes unless the broker answers
// them. Errors are InvalidArgument
// "<source>: direct_responses.<key.path>: <problem>"; warnings (large bodies, path or
// method tests under transcoding) are appended to `warnings` when it is not null.
absl::StatusOr<CompiledDirectResponses> CompileDirectResponses(
    const edge::v1::EdgeConfig& config, const std::string& source,
    std::vector<std::string>* warnings, const Composition* composition = nullptr);

// Writes `match` as one item of a VirtualService http[].match list.
void EmitHttpMatch(Doc& d, const HttpMatch& match);

// The WasmPlugin document answering compiled.wasm_rules (wasm_plugin.cc):
// pluginConfig {hosts: gateway.hosts (["*"] when empty), excluded_ports: [{number:
// ext_authz.port}] in ext_authz loopback mode, rules}.
std::string RenderDirectResponseWasm(const edge::v1::EdgeConfig& config,
                                     const CompiledDirectResponses& compiled);

// The condition tests the path (or, with `method`, the method) anywhere in it.
bool TestsPathOrMethod(const rules::v1::Condition& c, bool method = true);

// Whether the broker answers the rules when edge.yaml is rendered as it is: engine
// BROKER, or AUTO with ext_authz through the broker and either a rule in dry run
// (dry_run.h: only the broker counts a rule without answering) or a rule no route can
// express and no wasm.image. Errors as CompileDirectResponses; a rule in dry run with
// engine ROUTES is one.
// `auto_choice` (optional) is set, for AUTO, to what it chose and why.
absl::StatusOr<bool> DirectResponsesInBroker(const edge::v1::EdgeConfig& config,
                                             const std::string& source,
                                             std::string* auto_choice = nullptr);

// The feature: Validate compiles the rules once (routes.h reads them through compiled()),
// Render writes direct-response-wasm.yaml when some rule needs the WasmPlugin.
class DirectResponseFeature final : public Feature {
 public:
  bool Enabled(const edge::v1::EdgeConfig& config) const override;
  void ApplyDefaults(edge::v1::EdgeConfig* config) const override;
  absl::Status Validate(const edge::v1::EdgeConfig& config, const RenderContext& context) override;
  absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                      std::vector<RenderedFile>* files) override;

  // After Validate: the compiled rules (empty when disabled).
  const CompiledDirectResponses& compiled() const { return compiled_; }

 private:
  CompiledDirectResponses compiled_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_DIRECT_RESPONSE_H_
