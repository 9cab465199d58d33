// What one call reads from the broker's reloadable state, as one immutable snapshot:
// the direct-response rules, the decision cache, the hedging settings with the latency
// window they feed, and the upstream endpoints. A reload (or a change in the resolved
// endpoints) builds a new snapshot and publishes it; a call takes the one in force when
// its request arrives and keeps it to the end, so no call mixes two configurations.
//
// Taking the snapshot is the hot path's only read of shared configuration: one atomic
// load of a version number, compared with the copy the thread took last time. Only the
// first call on each thread after a publish takes the holder's mutex.
#ifndef EDGEKIT_BROKER_CALL_CONFIG_H_
#define EDGEKIT_BROKER_CALL_CONFIG_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "broker/decision_cache.h"
#include "broker/direct_responses.h"
#include "broker/hedging_controller.h"
#include "broker/latency_window.h"
#include "broker/upstream_pool.h"

namespace edgekit::broker {

struct CallConfig {
  std::shared_ptr<const DirectResponses> direct_responses;  // never null
  std::shared_ptr<DecisionCache> cache;                     // never null (maybe off)
  std::shared_ptr<const ActiveHedging> hedging;             // never null
  std::shared_ptr<ShardedLatencyWindow> latency;            // where attempts are recorded
  std::shared_ptr<const UpstreamPool::Snapshot> endpoints;  // null on a rules-only broker
};

class CallConfigHolder {
 public:
  explicit CallConfigHolder(CallConfig initial);

  // The snapshot in force. Lock-free unless a new one was published since this thread's
  // last call. (Each thread keeps its last snapshot alive until its next call: one old
  // snapshot per thread at most.)
  std::shared_ptr<const CallConfig> Get() const;

  // Publishes a copy of the snapshot in force changed by `edit`. Publishers (reloads,
  // the resolver) are serialized here, so no edit is lost.
  void Update(absl::FunctionRef<void(CallConfig&)> edit);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const CallConfig> current_ ABSL_GUARDED_BY(mu_);
  uint64_t current_version_ ABSL_GUARDED_BY(mu_) = 0;
  // current_version_, readable without the mutex. Versions are unique in the process
  // (tests run several brokers), so a thread's cached copy can only match its own.
  std::atomic<uint64_t> version_{0};
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_CALL_CONFIG_H_
