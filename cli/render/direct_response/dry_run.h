// Dry-run direct-response rules (edgekit.rules.v1.Rule.dry_run, and direct_responses.dry_run
// for the whole section): the broker evaluates and counts such a rule
// (edgekit_broker_direct_responses_total{mode="dry_run"}) but never answers with it, so
// only the broker engine can run one. This decides what a dry run means for the engine
// choice: an error with engine routes, the broker with engine auto (when ext_authz goes
// through the broker; otherwise an error saying what the broker needs). Internal to
// direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_DRY_RUN_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_DRY_RUN_H_

#include <string>

#include "absl/status/statusor.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli::direct_response_internal {

// The key of the first dry-run setting: "direct_responses.dry_run" (the whole section) or
// "direct_responses.rules[i].dry_run"; "" when no rule is in dry run.
std::string DryRunKey(const edge::v1::DirectResponses& direct);

// Engine routes with a rule in dry run: the error naming it.
absl::Status DryRunNeedsBrokerEngine(const edge::v1::DirectResponses& direct,
                                     const std::string& source);

// Engine auto with a rule in dry run (DryRunKey not empty): true (the broker) when ext_authz
// goes through the broker, with `why` saying so; else the error saying what the broker
// engine needs.
absl::StatusOr<bool> AutoInBrokerForDryRun(const edge::v1::EdgeConfig& config,
                                           const std::string& source, std::string* why);

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_DRY_RUN_H_
