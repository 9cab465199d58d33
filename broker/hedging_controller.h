// State shared by all calls for hedging: the settings in force (swapped on SIGHUP), the
// latency window, the extra-load budget, the outage throttle, and the hedge delay
// computed from the window. Calls do not read the settings and the window from here:
// they come with the call's CallConfig snapshot (call_config.h), which the broker
// republishes after Reconfigure. The delay is recomputed periodically (Recompute), not
// per call, so the hot path reads one atomic; budget and throttle are lock-free.
#ifndef EDGEKIT_BROKER_HEDGING_CONTROLLER_H_
#define EDGEKIT_BROKER_HEDGING_CONTROLLER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/hedging_policy.h"
#include "broker/latency_window.h"
#include "broker/settings.h"

namespace edgekit::broker {

// HedgingSettings plus what the hot path derives from them.
struct ActiveHedging {
  HedgingSettings settings;
  uint32_t non_fatal_mask = 0;  // bit c set: status code c starts the next attempt

  bool IsNonFatal(int code) const {
    return code >= 0 && code < 32 && (non_fatal_mask >> code) & 1u;
  }
};

class HedgingController {
 public:
  explicit HedgingController(const HedgingSettings& settings);

  // Applies new settings (SIGHUP). Calls in flight keep the settings they started with;
  // the window is kept unless its length changed.
  void Reconfigure(const HedgingSettings& settings, MonoTime now);

  // What the next CallConfig carries: the settings and the window calls record into.
  std::shared_ptr<const ActiveHedging> active() const;
  std::shared_ptr<ShardedLatencyWindow> window() const;

  // Recomputes the hedge delay and the typical latency from the window.
  void Recompute(MonoTime now);

  absl::Duration delay() const {
    return absl::Nanoseconds(delay_nanos_.load(std::memory_order_relaxed));
  }
  absl::Duration typical_latency() const {
    return absl::Nanoseconds(median_nanos_.load(std::memory_order_relaxed));
  }

  HedgeBudget& budget() { return budget_; }
  RetryThrottle& throttle() { return throttle_; }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const ActiveHedging> active_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<ShardedLatencyWindow> window_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> delay_nanos_;
  std::atomic<int64_t> median_nanos_{0};
  HedgeBudget budget_;
  RetryThrottle throttle_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_HEDGING_CONTROLLER_H_
