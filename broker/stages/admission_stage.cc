#include "broker/stages/admission_stage.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace edgekit::broker {

StageVerdict AdmissionStage::OnRequest(CheckCall& call) {
  if (call.inflight_at_arrival() > max_inflight_) {
    call.Refuse(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                             absl::StrCat("edgekit-broker: more than ", max_inflight_,
                                          " calls in flight (limits.max_inflight)")));
    return StageVerdict::kAnswer;
  }
  if (std::find(forward_methods_.begin(), forward_methods_.end(), call.method()) ==
      forward_methods_.end()) {
    call.Refuse(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                             absl::StrCat("edgekit-broker: method ", call.method(),
                                          " is not forwarded (forward_methods)")));
    return StageVerdict::kAnswer;
  }
  return StageVerdict::kContinue;
}

}  // namespace edgekit::broker
