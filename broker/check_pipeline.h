// The order in which a Check call meets the broker's stages (check_stage.h), and the
// walk along them: check_pipeline.cc is the one place that lists them.
#ifndef EDGEKIT_BROKER_CHECK_PIPELINE_H_
#define EDGEKIT_BROKER_CHECK_PIPELINE_H_

#include <memory>
#include <vector>

#include "broker/check_stage.h"
#include "broker/settings.h"

namespace edgekit::broker {

class CheckPipeline {
 public:
  // The broker's stages.
  explicit CheckPipeline(const BrokerSettings& settings);
  // Given stages, in order (tests).
  explicit CheckPipeline(std::vector<std::unique_ptr<CheckStage>> stages);

  struct Step {
    StageVerdict verdict = StageVerdict::kContinue;  // kContinue: on to the upstream
    size_t stage = 0;                                // which stage answered or waits
  };
  // Runs the stages from `from` on; call.now() is the time for all of them.
  Step Run(CheckCall& call, size_t from = 0) const;
  // The wait of stage `stage` ended: that stage decides again, then the ones after it.
  Step Resume(CheckCall& call, size_t stage) const;
  // The call gives up waiting at stage `stage` (see CheckStage::Abandon).
  bool Abandon(CheckCall& call, size_t stage) const;
  // The upstream's result, to every stage in reverse order (the call passed them all).
  void Settle(CheckCall& call, const UpstreamResult& result) const;

  size_t size() const { return stages_.size(); }

 private:
  std::vector<std::unique_ptr<CheckStage>> stages_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_CHECK_PIPELINE_H_
