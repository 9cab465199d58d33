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
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace edgekit::broker {

using MonoTime = std::chrono::steady_clock::time_point;

class LatencyWindow {
 public:
  // window > 0, slots >= 2 (smaller values are raised to 1 ns per slot and 2 slots).
  explicit LatencyWindow(absl::Duration window, int slots = 6);

  // A sample whose `now` is already older than the window (a late caller) is dropped.
  void Record(absl::Duration latency, MonoTime now);

  // Number of samples in the window at `now`.
  uint64_t Count(MonoTime now) const;

  // The q-quantile (q in [0, 1]) of the samples in the window at `now`: the smallest
  // bucket value v such that at least ceil(q * count) samples are <= v, reported as the
  // bucket's midpoint. Returns absl::ZeroDuration() when the window is empty. At least
  // one sample is always counted, so q = 0 gives the smallest sample's bucket.
  absl::Duration Quantile(double q, MonoTime now) const;

  // Adds the window's per-bucket counts at `now` to `totals` (kBuckets entries) and
  // returns how many samples it holds: ShardedLatencyWindow merges its shards with it.
  uint64_t AddTotalsTo(MonoTime now, std::vector<uint64_t>* totals) const;
  // The q-quantile of merged `totals` holding `count` samples, as Quantile defines it.
  static absl::Duration QuantileOf(const std::vector<uint64_t>& totals, uint64_t count, double q);

  static constexpr int kBucketCount = 36 * 64;

 private:
  // Bucket layout: a value is measured in units of 1/64 us, so 1 us = 2^6 units and the
  // top of the range, 2^36 us (~68.7 s), is 2^42 units. Octave o holds [2^(o+6),
  // 2^(o+7)) units split into 64 equal sub-buckets.
  static constexpr int kSubBucketBits = 6;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kOctaves = 36;
  static constexpr int kBuckets = kOctaves * kSubBuckets;
  static_assert(kBuckets == kBucketCount);

  // One sub-window. Which epoch a slot holds is implied by head_epoch_: the live epochs
  // are (head_epoch_ - slots, head_epoch_], epoch e lives in slot e mod slots, and a
  // slot is zeroed when its epoch leaves the window.
  struct Slot {
    uint64_t count = 0;
    std::vector<uint32_t> buckets;  // kBuckets entries
  };

  static int BucketOf(absl::Duration latency);
  static absl::Duration BucketMidpoint(int bucket);
  int64_t EpochOf(MonoTime now) const;
  Slot& SlotFor(int64_t epoch) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the window forward to `epoch`, expiring slots that fall out of it. Called by
  // the const queries too: expiry is lazy, so a query may be the first to notice that
  // time has passed. An `epoch` behind head_epoch_ (a caller whose `now` was read just
  // before another thread's) changes nothing.
  void AdvanceLocked(int64_t epoch) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int num_slots_;
  const int64_t slot_nanos_;
  mutable absl::Mutex mu_;
  mutable bool has_head_ ABSL_GUARDED_BY(mu_) = false;
  mutable int64_t head_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);
  // Sums over the live slots, kept up to date by Record and expiry so a query reads one
  // histogram (and skips whole octaves) instead of merging `slots` of them.
  mutable std::vector<uint64_t> total_ ABSL_GUARDED_BY(mu_);         // kBuckets
  mutable std::vector<uint64_t> octave_total_ ABSL_GUARDED_BY(mu_);  // kOctaves
  mutable uint64_t total_count_ ABSL_GUARDED_BY(mu_) = 0;
};

// The window every forwarded call records into, split into shards so that calls on
// different threads do not meet on one mutex: a thread records into its own shard (by a
// per-thread index), and the queries, which run every 100 ms on the tick, merge them.
class ShardedLatencyWindow {
 public:
  explicit ShardedLatencyWindow(absl::Duration window, int slots = 6);

  void Record(absl::Duration latency, MonoTime now);
  uint64_t Count(MonoTime now) const;
  absl::Duration Quantile(double q, MonoTime now) const;

 private:
  static constexpr int kShards = 4;
  std::unique_ptr<LatencyWindow> shards_[kShards];  // separate allocations: no false sharing
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_LATENCY_WINDOW_H_
