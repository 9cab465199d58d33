// First stage: whether the broker takes the call at all. Refuses a call that arrived
// with more than limits.max_inflight calls in flight (RESOURCE_EXHAUSTED) and methods not
// in forward_methods (UNIMPLEMENTED), before anything parses the request.
#ifndef EDGEKIT_BROKER_STAGES_ADMISSION_STAGE_H_
#define EDGEKIT_BROKER_STAGES_ADMISSION_STAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "broker/check_stage.h"

namespace edgekit::broker {

class AdmissionStage final : public CheckStage {
 public:
  AdmissionStage(uint32_t max_inflight, std::vector<std::string> forward_methods)
      : max_inflight_(max_inflight), forward_methods_(std::move(forward_methods)) {}

  StageVerdict OnRequest(CheckCall& call) override;

 private:
  const uint32_t max_inflight_;
  const std::vector<std::string> forward_methods_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_STAGES_ADMISSION_STAGE_H_
