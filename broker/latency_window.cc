// LatencyWindow: rotating log-linear histograms plus a running sum over the live ones,
// so Record is a few increments under one lock and a quantile scans one histogram.
#include "broker/latency_window.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

#include "absl/numeric/bits.h"

namespace edgekit::broker {
namespace {

// 1 us, and 2^36 us (~68.7 s): the bucketed range, in nanoseconds.
constexpr int64_t kMinNanos = 1000;
constexpr int64_t kMaxNanos = kMinNanos << 36;

// Floor division: steady_clock's epoch is unspecified and a fake clock may sit before
// it, so `now` can be negative, and truncation would merge epochs -1 and 0.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

LatencyWindow::LatencyWindow(absl::Duration window, int slots)
    : num_slots_(std::max(2, slots)),
      slot_nanos_(std::max<int64_t>(1, absl::ToInt64Nanoseconds(window) / std::max(2, slots))),
      slots_(num_slots_),
      total_(kBuckets, 0),
      octave_total_(kOctaves, 0) {
  for (Slot& slot : slots_) slot.buckets.assign(kBuckets, 0);
}

int LatencyWindow::BucketOf(absl::Duration latency) {
  // Compare as Durations first: ToInt64Nanoseconds of a huge (not infinite) duration is
  // not something to rely on.
  if (latency < absl::Nanoseconds(kMinNanos)) return 0;
  if (latency >= absl::Nanoseconds(kMaxNanos)) return kBuckets - 1;
  const int64_t nanos = absl::ToInt64Nanoseconds(latency);
  // Units of 1/64 us: 1 us is exactly 2^6 units, so octaves start on whole microseconds.
  // nanos * 64 < 2^53, no overflow.
  const uint64_t units = static_cast<uint64_t>(nanos) * kSubBuckets / 1000;
  const int msb = 63 - absl::countl_zero(units);  // in [6, 41]
  const int octave = msb - kSubBucketBits;
  const int sub = static_cast<int>(units >> octave) & (kSubBuckets - 1);
  return octave * kSubBuckets + sub;
}

absl::Duration LatencyWindow::BucketMidpoint(int bucket) {
  const int octave = bucket / kSubBuckets;
  const int sub = bucket % kSubBuckets;
  // The midpoint in half-units is (2 * (64 + sub) + 1) << octave; one half-unit is
  // 1000 / 128 ns (exact in a double).
  const int64_t half_units = (int64_t{2} * (kSubBuckets + sub) + 1) << octave;
  return absl::Nanoseconds(static_cast<double>(half_units) * (1000.0 / 128.0));
}

int64_t LatencyWindow::EpochOf(MonoTime now) const {
  const int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  return FloorDiv(nanos, slot_nanos_);
}

LatencyWindow::Slot& LatencyWindow::SlotFor(int64_t epoch) const {
  int64_t index = epoch % num_slots_;
  if (index < 0) index += num_slots_;
  return slots_[static_cast<size_t>(index)];
}

void LatencyWindow::AdvanceLocked(int64_t epoch) const {
  if (has_head_ && epoch <= head_epoch_) return;
  if (!has_head_ || epoch - head_epoch_ >= num_slots_) {
    // Everything expired (or nothing was ever recorded): start over.
    if (total_count_ != 0) {
      for (Slot& slot : slots_) {
        std::fill(slot.buckets.begin(), slot.buckets.end(), 0);
        slot.count = 0;
      }
      std::fill(total_.begin(), total_.end(), 0);
      std::fill(octave_total_.begin(), octave_total_.end(), 0);
      total_count_ = 0;
    }
  } else {
    // Epochs head+1 .. epoch reuse the slots of head+1-slots .. epoch-slots, which have
    // just left the window. At most once per slot length, so the full scan is cheap.
    for (int64_t e = head_epoch_ + 1; e <= epoch; ++e) {
      Slot& slot = SlotFor(e);
      if (slot.count == 0) continue;
      for (int b = 0; b < kBuckets; ++b) {
        const uint32_t n = slot.buckets[b];
        if (n == 0) continue;
        total_[b] -= n;
        octave_total_[b / kSubBuckets] -= n;
        slot.buckets[b] = 0;
      }
      total_count_ -= slot.count;
      slot.count = 0;
    }
  }
  has_head_ = true;
  head_epoch_ = epoch;
}

void LatencyWindow::Record(absl::Duration latency, MonoTime now) {
  // Everything that does not need the lock is computed before taking it.
  const int bucket = BucketOf(latency);
  const int64_t epoch = EpochOf(now);
  absl::MutexLock lock(&mu_);
  AdvanceLocked(epoch);
  if (epoch <= head_epoch_ - num_slots_) return;  // older than the window
  Slot& slot = SlotFor(epoch);
  ++slot.buckets[bucket];
  ++slot.count;
  ++total_[bucket];
  ++octave_total_[bucket / kSubBuckets];
  ++total_count_;
}

uint64_t LatencyWindow::Count(MonoTime now) const {
  const int64_t epoch = EpochOf(now);
  absl::MutexLock lock(&mu_);
  AdvanceLocked(epoch);
  return total_count_;
}

namespace {

// The rank Quantile looks for among `count` samples: ceil(q * count), in [1, count].
uint64_t RankOf(double q, uint64_t count) {
  if (!(q >= 0.0)) q = 0.0;  // also catches NaN
  if (q > 1.0) q = 1.0;
  const double target = q * static_cast<double>(count);
  // The relative slack keeps a product that should be an integer but came out a few
  // ulps above it (0.95 * n) from asking for one sample more.
  const uint64_t rank = static_cast<uint64_t>(std::ceil(target * (1.0 - 1e-12)));
  return std::clamp<uint64_t>(rank, 1, count);
}

}  // namespace

absl::Duration LatencyWindow::Quantile(double q, MonoTime now) const {
  const int64_t epoch = EpochOf(now);
  int bucket = -1;
  {
    absl::MutexLock lock(&mu_);
    AdvanceLocked(epoch);
    if (total_count_ == 0) return absl::ZeroDuration();
    const uint64_t rank = RankOf(q, total_count_);
    uint64_t seen = 0;
    for (int o = 0; o < kOctaves && bucket < 0; ++o) {
      if (seen + octave_total_[o] < rank) {
        seen += octave_total_[o];
        continue;
      }
      for (int b = o * kSubBuckets; b < (o + 1) * kSubBuckets; ++b) {
        seen += total_[b];
        if (seen >= rank) {
          bucket = b;
          break;
        }
      }
    }
  }
  // rank <= total_count_ guarantees a bucket was found.
  return BucketMidpoint(bucket);
}

uint64_t LatencyWindow::AddTotalsTo(MonoTime now, std::vector<uint64_t>* totals) const {
  const int64_t epoch = EpochOf(now);
  absl::MutexLock lock(&mu_);
  AdvanceLocked(epoch);
  if (total_count_ == 0) return 0;
  for (int b = 0; b < kBuckets; ++b) (*totals)[b] += total_[b];
  return total_count_;
}

absl::Duration LatencyWindow::QuantileOf(const std::vector<uint64_t>& totals, uint64_t count,
                                         double q) {
  if (count == 0) return absl::ZeroDuration();
  const uint64_t rank = RankOf(q, count);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += totals[b];
    if (seen >= rank) return BucketMidpoint(b);
  }
  return BucketMidpoint(kBuckets - 1);  // totals hold fewer than `count`: not for callers
}

ShardedLatencyWindow::ShardedLatencyWindow(absl::Duration window, int slots) {
  for (auto& shard : shards_) shard = std::make_unique<LatencyWindow>(window, slots);
}

void ShardedLatencyWindow::Record(absl::Duration latency, MonoTime now) {
  // Threads take shards round-robin as they first record: the broker's few workers each
  // get their own.
  static std::atomic<unsigned> next_shard{0};
  thread_local const unsigned shard = next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  shards_[shard]->Record(latency, now);
}

uint64_t ShardedLatencyWindow::Count(MonoTime now) const {
  uint64_t count = 0;
  for (const auto& shard : shards_) count += shard->Count(now);
  return count;
}

absl::Duration ShardedLatencyWindow::Quantile(double q, MonoTime now) const {
  std::vector<uint64_t> totals(LatencyWindow::kBucketCount, 0);
  uint64_t count = 0;
  for (const auto& shard : shards_) count += shard->AddTotalsTo(now, &totals);
  return LatencyWindow::QuantileOf(totals, count, q);
}

}  // namespace edgekit::broker
