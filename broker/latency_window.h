// A sliding window of attempt latencies with quantile queries: the hedge delay is a
// quantile of what the upstream did recently, so the window must forget old regimes.
//
// Samples go into log-linear buckets (64 sub-buckets per power of two, so a reported
// quantile is within ~1.6% of the true sample value) covering 1 us .. ~68 s; values
// outside are clamped into the first/last bucket. The window is `slots` equal
// sub-windows; a sub-window older than `window` is dropped whole, so the window's true
// length varies between window*(slots-1)/slots and window.
//
// Time is passed in (no clock inside) so tests drive it with a fake clock.
// Thread-safe: Record and the queries may run concurrently.
#ifndef EDGEKIT_BROKER_LATENCY_WINDOW_H_
#define EDGEKIT_BROKER_LATENCY_WINDOW_H_

#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edgekit::broker {

using MonoTime = std::chrono::steady_clock::time_point;

class LatencyWindow {
 public:
  // window > 0, slots >= 2.
  explicit LatencyWindow(absl::Duration window, int slots = 6);

  void Record(absl::Duration latency, MonoTime now);

  // Number of samples in the window at `now`.
  uint64_t Count(MonoTime now) const;

  // The q-quantile (q in [0, 1]) of the samples in the window at `now`: the smallest
  // bucket value v such that at least ceil(q * count) samples are <= v, reported as the
  // bucket's midpoint. Returns absl::ZeroDuration() when the window is empty.
  absl::Duration Quantile(double q, MonoTime now) const;

 private:
  struct Slot {
    int64_t epoch = -1;            // which sub-window of time this slot holds
    uint64_t count = 0;
    std::vector<uint32_t> buckets;
  };
  int64_t EpochOf(MonoTime now) const;

  const int64_t slot_nanos_;
  mutable absl::Mutex mu_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_LATENCY_WINDOW_H_
