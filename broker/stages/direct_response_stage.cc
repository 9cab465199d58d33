#include "broker/stages/direct_response_stage.h"

namespace edgekit::broker {

StageVerdict RefuseMalformed(CheckCall& call) {
  call.metrics().malformed_requests->Increment();
  call.Refuse(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "edgekit-broker: the request is not a valid CheckRequest"));
  return StageVerdict::kAnswer;
}

StageVerdict DirectResponseStage::OnRequest(CheckCall& call) {
  // The rules are about Check calls; other forwarded methods carry other messages.
  if (!call.is_check()) return StageVerdict::kContinue;
  const DirectResponses& rules = *call.config().direct_responses;
  if (!rules.active()) return StageVerdict::kContinue;
  const CheckRequestView* request = nullptr;
  if (rules.rule_count() > 0) {  // rules-only without rules has nothing to read
    request = call.check();
    if (request == nullptr) return RefuseMalformed(call);
  }
  const DirectResponses::Decision decision = rules.Decide(request);
  if (decision.kind != DirectResponses::Decision::Kind::kAnswer) return StageVerdict::kContinue;
  call.AnswerMessage(*decision.response);  // shares the slices: no copy of the bytes
  return StageVerdict::kAnswer;
}

}  // namespace edgekit::broker
