#include "broker/check_pipeline.h"

#include <optional>
#include <utility>

#include "broker/stages/admission_stage.h"
#include "broker/stages/decision_cache_stage.h"
#include "broker/stages/direct_response_stage.h"

namespace edgekit::broker {

CheckPipeline::CheckPipeline(const BrokerSettings& settings) {
  // 1. admission: limits.max_inflight, forward_methods
  stages_.push_back(
      std::make_unique<AdmissionStage>(settings.max_inflight, settings.forward_methods));
  // 2. direct-response rules (dry-run ones only counted), or rules-only's allow
  stages_.push_back(std::make_unique<DirectResponseStage>());
  // 3. decision cache: a hit answers, a miss leads or joins the flight for its key
  stages_.push_back(std::make_unique<DecisionCacheStage>());
  // 4. then the hedged forward to the upstream (hedged_forward.h), and on its result
  // 5. the stages above in reverse: the cache fills, lands its flight, serves stale
}

CheckPipeline::CheckPipeline(std::vector<std::unique_ptr<CheckStage>> stages)
    : stages_(std::move(stages)) {}

CheckPipeline::Step CheckPipeline::Run(CheckCall& call, size_t from) const {
  // The request is parsed at most once per pass, into this arena, and only if a stage
  // asks for it.
  std::optional<CheckRequestArena> arena;
  call.BeginPass(&arena);
  Step step;
  for (step.stage = from; step.stage < stages_.size(); ++step.stage) {
    step.verdict = stages_[step.stage]->OnRequest(call);
    if (step.verdict != StageVerdict::kContinue) break;
  }
  call.EndPass();
  return step;
}

CheckPipeline::Step CheckPipeline::Resume(CheckCall& call, size_t stage) const {
  const StageVerdict verdict = stages_[stage]->OnResume(call);
  if (verdict != StageVerdict::kContinue) return Step{verdict, stage};
  return Run(call, stage + 1);
}

bool CheckPipeline::Abandon(CheckCall& call, size_t stage) const {
  return stages_[stage]->Abandon(call);
}

void CheckPipeline::Settle(CheckCall& call, const UpstreamResult& result) const {
  for (size_t i = stages_.size(); i-- > 0;) stages_[i]->OnUpstreamResult(call, result);
}

}  // namespace edgekit::broker
