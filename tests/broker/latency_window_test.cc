// LatencyWindow: quantile accuracy against exact order statistics of synthetic
// distributions, window expiry with a fake clock, clamping, and concurrent Record.
#include "broker/latency_window.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace edgekit::broker {
namespace {

// Fake time: MonoTime values built by hand. kStart sits on a slot boundary for every
// window used below (1000 s is a multiple of 5 s and of 1 s).
const MonoTime kStart = MonoTime{} + std::chrono::seconds(1000);

MonoTime At(absl::Duration since_start) {
  return kStart + std::chrono::nanoseconds(absl::ToInt64Nanoseconds(since_start));
}

double RelativeError(absl::Duration got, absl::Duration want) {
  return std::abs(absl::FDivDuration(got - want, want));
}

// Records every sample at one instant and checks q = 0.5, 0.9, 0.95, 0.99 against the
// exact order statistic: the ceil(q * n)-th smallest sample.
void ExpectQuantilesMatch(const std::vector<absl::Duration>& samples) {
  LatencyWindow window(absl::Seconds(30));
  for (absl::Duration s : samples) window.Record(s, kStart);
  ASSERT_EQ(window.Count(kStart), samples.size());

  std::vector<absl::Duration> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const uint64_t n = sorted.size();
  for (uint64_t permille : {500, 900, 950, 990}) {
    // Integer arithmetic: the rank must not depend on how 0.95 * n rounds.
    const uint64_t rank = (permille * n + 999) / 1000;
    const absl::Duration exact = sorted[rank - 1];
    const absl::Duration got = window.Quantile(permille / 1000.0, kStart);
    EXPECT_LT(RelativeError(got, exact), 0.02)
        << "q=" << permille / 1000.0 << " got " << got << " exact " << exact;
  }
}

constexpr int kSamples = 200000;

TEST(LatencyWindowTest, UniformMatchesExactQuantiles) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> ns(100e3, 20e6);  // 100 us .. 20 ms
  std::vector<absl::Duration> samples;
  for (int i = 0; i < kSamples; ++i) samples.push_back(absl::Nanoseconds(ns(rng)));
  ExpectQuantilesMatch(samples);
}

TEST(LatencyWindowTest, LognormalMatchesExactQuantiles) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> ns(std::log(1e6), 0.3);  // median 1 ms
  std::vector<absl::Duration> samples;
  for (int i = 0; i < kSamples; ++i) samples.push_back(absl::Nanoseconds(ns(rng)));
  ExpectQuantilesMatch(samples);
}

TEST(LatencyWindowTest, BimodalMatchesExactQuantiles) {
  // 97% a lognormal around 1 ms, 3% the same shifted by +50 ms (a slow path): p95 sits
  // in the fast mode, p99 in the slow one.
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> ns(std::log(1e6), 0.3);
  std::bernoulli_distribution slow(0.03);
  std::vector<absl::Duration> samples;
  for (int i = 0; i < kSamples; ++i) {
    absl::Duration d = absl::Nanoseconds(ns(rng));
    if (slow(rng)) d += absl::Milliseconds(50);
    samples.push_back(d);
  }
  ExpectQuantilesMatch(samples);

  LatencyWindow window(absl::Seconds(30));
  for (absl::Duration s : samples) window.Record(s, kStart);
  EXPECT_LT(window.Quantile(0.95, kStart), absl::Milliseconds(5));
  EXPECT_GT(window.Quantile(0.99, kStart), absl::Milliseconds(50));
}

TEST(LatencyWindowTest, SingleSampleWithinHalfABucket) {
  // Sweep the whole range: a bucket is 1/64 of its octave, so its midpoint is within
  // 1/128 of any value in it (plus the 1/64 us unit the value is floored to).
  for (double ns = 1000; ns < 68e9; ns *= 1.013) {
    LatencyWindow window(absl::Seconds(30), 2);
    const absl::Duration value = absl::Nanoseconds(ns);
    window.Record(value, kStart);
    EXPECT_LE(RelativeError(window.Quantile(0.5, kStart), value), 1.0 / 128 + 1e-3) << value;
  }
}

TEST(LatencyWindowTest, ExtremeQuantilesAreMinAndMax) {
  LatencyWindow window(absl::Seconds(30));
  for (int ms : {3, 1, 7, 2}) window.Record(absl::Milliseconds(ms), kStart);
  EXPECT_LT(RelativeError(window.Quantile(0.0, kStart), absl::Milliseconds(1)), 0.01);
  EXPECT_LT(RelativeError(window.Quantile(1.0, kStart), absl::Milliseconds(7)), 0.01);
  EXPECT_LT(RelativeError(window.Quantile(0.5, kStart), absl::Milliseconds(2)), 0.01);
  EXPECT_LT(RelativeError(window.Quantile(0.75, kStart), absl::Milliseconds(3)), 0.01);
}

TEST(LatencyWindowTest, EmptyWindowReturnsZero) {
  LatencyWindow window(absl::Seconds(30));
  EXPECT_EQ(window.Count(kStart), 0u);
  EXPECT_EQ(window.Quantile(0.5, kStart), absl::ZeroDuration());
  EXPECT_EQ(window.Quantile(0.0, kStart), absl::ZeroDuration());
  EXPECT_EQ(window.Quantile(1.0, kStart), absl::ZeroDuration());
}

TEST(LatencyWindowTest, SamplesOlderThanTheWindowVanish) {
  // 30 s in 6 slots of 5 s. Samples at the start of slot 0 live until slot 6 begins.
  LatencyWindow window(absl::Seconds(30), 6);
  for (int i = 0; i < 100; ++i) window.Record(absl::Milliseconds(2), kStart);
  EXPECT_EQ(window.Count(At(absl::Seconds(29.999))), 100u);
  EXPECT_GT(window.Quantile(0.95, At(absl::Seconds(29.999))), absl::ZeroDuration());
  EXPECT_EQ(window.Count(At(absl::Seconds(30))), 0u);
  EXPECT_EQ(window.Quantile(0.95, At(absl::Seconds(30))), absl::ZeroDuration());
}

TEST(LatencyWindowTest, TrueLengthIsBetweenFiveSixthsAndAllOfTheWindow) {
  LatencyWindow window(absl::Seconds(30), 6);
  // Recorded at the end of slot 0: gone 25 s later, when slot 6 begins.
  window.Record(absl::Milliseconds(1), At(absl::Seconds(4.9)));
  EXPECT_EQ(window.Count(At(absl::Seconds(29.9))), 1u);
  EXPECT_EQ(window.Count(At(absl::Seconds(30))), 0u);
}

TEST(LatencyWindowTest, SlotsAreReusedAfterExpiry) {
  LatencyWindow window(absl::Seconds(30), 6);
  window.Record(absl::Milliseconds(1), kStart);                 // slot 0
  window.Record(absl::Milliseconds(9), At(absl::Seconds(30)));  // reuses slot 0
  EXPECT_EQ(window.Count(At(absl::Seconds(30))), 1u);
  EXPECT_LT(RelativeError(window.Quantile(0.0, At(absl::Seconds(30))), absl::Milliseconds(9)),
            0.01);
  // A gap of many windows clears everything at once.
  window.Record(absl::Milliseconds(4), At(absl::Hours(10)));
  EXPECT_EQ(window.Count(At(absl::Hours(10))), 1u);
  EXPECT_LT(RelativeError(window.Quantile(1.0, At(absl::Hours(10))), absl::Milliseconds(4)), 0.01);
}

TEST(LatencyWindowTest, RegimeShiftMovesP95) {
  LatencyWindow window(absl::Seconds(30), 6);
  // 1000 samples per second of fake time: 1 ms for 30 s, then 5 ms.
  absl::Duration t;
  auto run = [&](absl::Duration latency, absl::Duration length) {
    for (const absl::Duration end = t + length; t < end; t += absl::Milliseconds(1)) {
      window.Record(latency, At(t));
    }
  };
  run(absl::Milliseconds(1), absl::Seconds(30));
  EXPECT_LT(RelativeError(window.Quantile(0.95, At(t)), absl::Milliseconds(1)), 0.01);

  // The window now holds 25 s of 1 ms samples. After 1 s of 5 ms samples they are
  // under 5% of the window, so p95 has not moved yet...
  run(absl::Milliseconds(5), absl::Seconds(1));
  EXPECT_LT(RelativeError(window.Quantile(0.95, At(t)), absl::Milliseconds(1)), 0.01);
  // ...after 3 s they are over 10%, and p95 is the new regime.
  run(absl::Milliseconds(5), absl::Seconds(2));
  EXPECT_LT(RelativeError(window.Quantile(0.95, At(t)), absl::Milliseconds(5)), 0.01);
  // Once a whole window has passed, no 1 ms sample is left at all.
  run(absl::Milliseconds(5), absl::Seconds(27));
  EXPECT_LT(RelativeError(window.Quantile(0.0, At(t)), absl::Milliseconds(5)), 0.01);
  EXPECT_EQ(window.Count(At(t)), 25000u);  // t is on a slot boundary: 5 full slots
}

TEST(LatencyWindowTest, OutOfRangeValuesAreClamped) {
  LatencyWindow low(absl::Seconds(30));
  low.Record(absl::ZeroDuration(), kStart);
  low.Record(absl::Milliseconds(-5), kStart);
  low.Record(-absl::InfiniteDuration(), kStart);
  low.Record(absl::Nanoseconds(500), kStart);
  EXPECT_EQ(low.Count(kStart), 4u);
  const absl::Duration lowest = low.Quantile(1.0, kStart);  // all in the first bucket
  EXPECT_GE(lowest, absl::Microseconds(1));
  EXPECT_LT(lowest, absl::Nanoseconds(1016));

  LatencyWindow high(absl::Seconds(30));
  high.Record(absl::Hours(1), kStart);
  high.Record(absl::InfiniteDuration(), kStart);
  high.Record(absl::Hours(24 * 365 * 1000), kStart);
  EXPECT_EQ(high.Count(kStart), 3u);
  const absl::Duration highest = high.Quantile(0.0, kStart);  // all in the last bucket
  EXPECT_GT(highest, absl::Seconds(68));
  EXPECT_LT(highest, absl::Microseconds(int64_t{1} << 36));
}

TEST(LatencyWindowTest, LateRecordOutsideTheWindowIsDropped) {
  LatencyWindow window(absl::Seconds(30), 6);
  window.Record(absl::Milliseconds(1), At(absl::Seconds(100)));
  // A caller that read its clock 40 s earlier: outside the window, dropped.
  window.Record(absl::Milliseconds(1), At(absl::Seconds(60)));
  // One that read it a little earlier (previous slot) still counts.
  window.Record(absl::Milliseconds(1), At(absl::Seconds(99)));
  EXPECT_EQ(window.Count(At(absl::Seconds(100))), 2u);
}

TEST(LatencyWindowTest, TimesBeforeTheClockEpochRotateCorrectly) {
  // Epoch -1 and epoch 0 are different slots even though they are 2 ns apart.
  LatencyWindow window(absl::Seconds(10), 2);  // slots of 5 s
  window.Record(absl::Milliseconds(1), MonoTime{} - std::chrono::nanoseconds(1));
  EXPECT_EQ(window.Count(MonoTime{} + std::chrono::seconds(4)), 1u);
  EXPECT_EQ(window.Count(MonoTime{} + std::chrono::seconds(5)), 0u);
}

TEST(LatencyWindowTest, ConcurrentRecordKeepsEveryCount) {
  LatencyWindow window(absl::Seconds(30));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&window, t] {
      for (int i = 0; i < kPerThread; ++i) {
        window.Record(absl::Microseconds(100 + 100 * t + i % 50), kStart);
      }
    });
  }
  // A reader alongside, as the broker's calls query while others record.
  std::thread reader([&window] {
    for (int i = 0; i < 1000; ++i) (void)window.Quantile(0.95, kStart);
  });
  for (std::thread& th : threads) th.join();
  reader.join();
  EXPECT_EQ(window.Count(kStart), uint64_t{kThreads} * kPerThread);
  // The slowest thread's values (400..449 us) hold the top quarter.
  EXPECT_GE(window.Quantile(0.8, kStart), absl::Microseconds(396));
}

}  // namespace
}  // namespace edgekit::broker
