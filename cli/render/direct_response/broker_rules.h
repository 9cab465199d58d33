// Direct-response rules answered by the broker (direct_responses.engine broker, or auto
// with a rule routes cannot express): checked with the broker's own rule compiler
// (rules/rule_set.h) and against what keeps requests from reaching the broker at all (the
// CUSTOM AuthorizationPolicy's exclusions). Internal to direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_BROKER_RULES_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_BROKER_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/render/direct_response/direct_response.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli::direct_response_internal {

// Errors: the rules as the broker would refuse them ("<source>: direct_responses.rules[i]
// ...", the same key paths as in edge.yaml), ext_authz in loopback mode (no broker), a
// wasm section (routes only), a rule an ext_authz exclusion would hide. Warns about
// client_ip rules without gateway.num_trusted_proxies.
absl::StatusOr<CompiledDirectResponses> CompileForBroker(const edge::v1::EdgeConfig& config,
                                                         const std::string& source,
                                                         std::vector<std::string>* warnings);

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_BROKER_RULES_H_
