// The decision cache (decision_cache.h) on Check calls. On the way in: a fresh entry
// answers (a hit); a miss with coalescing either leads the flight for its key or waits
// for the call that does. On the way back: an upstream answer the cache admits is
// stored, a leader lands its flight (its waiters replay what was stored, or go upstream
// themselves), and a failure is answered with a stale entry while stale_ttl allows.
#ifndef EDGEKIT_BROKER_STAGES_DECISION_CACHE_STAGE_H_
#define EDGEKIT_BROKER_STAGES_DECISION_CACHE_STAGE_H_

#include "broker/check_stage.h"

namespace edgekit::broker {

class DecisionCacheStage final : public CheckStage {
 public:
  StageVerdict OnRequest(CheckCall& call) override;
  StageVerdict OnResume(CheckCall& call) override;
  bool Abandon(CheckCall& call) override;
  void OnUpstreamResult(CheckCall& call, const UpstreamResult& result) override;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_STAGES_DECISION_CACHE_STAGE_H_
