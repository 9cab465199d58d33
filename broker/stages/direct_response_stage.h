// The direct-response rules (direct_responses.h) on Check calls: a matching rule answers
// with its denial; a dry-run rule is only counted and logged; on a rules-only broker a
// call no rule answers is allowed here. A request that is not a CheckRequest is refused
// (INVALID_ARGUMENT) when rules must read it.
#ifndef EDGEKIT_BROKER_STAGES_DIRECT_RESPONSE_STAGE_H_
#define EDGEKIT_BROKER_STAGES_DIRECT_RESPONSE_STAGE_H_

#include "broker/check_stage.h"

namespace edgekit::broker {

class DirectResponseStage final : public CheckStage {
 public:
  StageVerdict OnRequest(CheckCall& call) override;
};

// Refuses a call whose bytes are not a CheckRequest (counted in
// edgekit_broker_malformed_requests_total); shared by the stages that read the request.
StageVerdict RefuseMalformed(CheckCall& call);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_STAGES_DIRECT_RESPONSE_STAGE_H_
