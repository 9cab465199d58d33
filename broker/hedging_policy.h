// The hedging policy: side-effect-free decisions plus two small lock-free counters
// (the extra-load budget and the outage throttle). The per-call state machine in
// hedged_forward.cc asks these and acts; nothing here touches gRPC calls or real time.
#ifndef EDGEKIT_BROKER_HEDGING_POLICY_H_
#define EDGEKIT_BROKER_HEDGING_POLICY_H_

#include <atomic>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "broker/settings.h"

namespace edgekit::broker {

// The hedge delay in force: the configured initial delay while the window holds fewer
// than min_samples samples, else quantile_value clamped to [delay_min, delay_max].
// (initial_delay is clamped too.) Should delay_min exceed delay_max (config validation
// rejects that), delay_max wins.
absl::Duration ComputeHedgeDelay(const HedgingSettings& settings, uint64_t samples,
                                 absl::Duration quantile_value);

// Extra-load budget (Finagle's RetryBudget idea as a token bucket): each primary request
// deposits `budget` tokens, a hedge withdraws one. The balance is capped at
// max(1, 100 * budget) tokens so a quiet period cannot save
// up a burst of hedges. Starts full. budget 0 means never hedge. A budget outside
// [0, 1] (or NaN) is clamped into it; a positive budget too small to count (< 1e-6)
// still deposits the smallest unit, so it never silently turns hedging off.
class HedgeBudget {
 public:
  explicit HedgeBudget(double budget);
  void SetBudget(double budget);  // SIGHUP; keeps the balance (capped to the new max)
  void OnPrimary();
  bool TryWithdraw();  // true (and one token less) if a token is there
  double Balance() const;

 private:
  // Balances are whole millionths of a token: a double fed 0.1 ten times ends just
  // below 1.0, which would cost one hedge per refill cycle for ever.
  static constexpr int64_t kUnitsPerToken = 1'000'000;
  void Configure(double budget);

  std::atomic<int64_t> deposit_{0};     // units per primary; 0 = never hedge
  std::atomic<int64_t> max_tokens_{0};  // units
  std::atomic<int64_t> tokens_{0};      // units, in [0, max_tokens_]
};

// Outage throttling after gRFC A6 retryThrottling: starts at max_tokens; a failed
// attempt (one ending with a non-fatal status) takes 1, a successful one gives
// token_ratio back (capped at max_tokens). Extra attempts are allowed only while
// tokens > max_tokens / 2. Never below 0. Arguments are clamped: max_tokens to at least
// one millionth, token_ratio to >= 0.
class RetryThrottle {
 public:
  RetryThrottle(double max_tokens, double token_ratio);
  void Reconfigure(double max_tokens, double token_ratio);  // keeps the fill fraction
  void OnFailure();
  void OnSuccess();
  bool AllowsExtraAttempts() const;
  double Tokens() const;

 private:
  // Whole millionths of a token, like gRPC core's milli-tokens but finer: exact
  // arithmetic, so "tokens > max / 2" does not flicker on rounding.
  static constexpr int64_t kUnitsPerToken = 1'000'000;

  std::atomic<int64_t> max_tokens_{1};   // units
  std::atomic<int64_t> token_ratio_{0};  // units given back per success
  std::atomic<int64_t> tokens_{0};       // units, in [0, max_tokens_]
};

// Why an extra attempt is or is not started.
enum class AttemptVerdict {
  kSend,
  kNoMoreAttempts,      // max_attempts reached (not a suppression: nothing to count)
  kSuppressedDeadline,  // the caller's remaining time is too short to be worth it
  kSuppressedThrottle,  // the upstream is failing: do not hit it twice as hard
  kSuppressedBudget,    // the extra-load budget is spent
};

enum class AttemptKind {
  kHedge,  // the previous attempts are still outstanding after the hedge delay
  kRetry,  // an attempt failed with a non-fatal status: replace it at once
};

struct AttemptInputs {
  AttemptKind kind = AttemptKind::kHedge;
  int attempts_started = 1;
  int max_attempts = 2;
  absl::Duration remaining_deadline = absl::InfiniteDuration();
  // A typical attempt latency (the window's median); an attempt started with less time
  // than this left is suppressed with kSuppressedDeadline, and so is one with no time
  // left at all (remaining_deadline <= 0) whatever typical_latency says.
  absl::Duration typical_latency = absl::ZeroDuration();
  bool throttle_allows = true;
  bool budget_has_token = true;  // only consulted for kHedge
};

// Checks in this order: attempts, deadline, throttle, then (hedges only) budget.
// Retries after a non-fatal status are limited by the throttle, not by the budget.
AttemptVerdict DecideExtraAttempt(const AttemptInputs& in);

// gRFC A6 server pushback from the `grpc-retry-pushback-ms` trailer.
struct Pushback {
  enum class Kind { kNone, kDelay, kStop };
  Kind kind = Kind::kNone;
  absl::Duration delay = absl::ZeroDuration();
};
// absent (nullptr) -> kNone; a non-negative decimal integer -> kDelay of that many ms;
// anything else (negative, not a number, trailing junk) -> kStop: no further attempts.
// Strict: only ASCII digits, no sign, no spaces (an empty value is kStop). A number too
// large for an int64 count of milliseconds (more than ~292 million years) is kStop too:
// the server clearly means "do not come back", and a clamped delay would only push an
// overflow risk into whoever adds it to a deadline.
Pushback ParsePushback(const std::string_view* header_value);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_HEDGING_POLICY_H_
