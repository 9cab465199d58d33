// The hedging policy's decisions and its two token counters (see hedging_policy.h).
#include "broker/hedging_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace edgekit::broker {
namespace {

// max(lo, min(v, hi)) would let an inverted range pick lo; the header promises hi.
absl::Duration ClampDelay(absl::Duration v, absl::Duration lo, absl::Duration hi) {
  return std::min(std::max(v, lo), hi);
}

// Tokens to units, rounding to nearest; `x` is finite and non-negative here.
int64_t ToUnits(double x, int64_t units_per_token) {
  const double units = x * static_cast<double>(units_per_token);
  if (units >= static_cast<double>(std::numeric_limits<int64_t>::max() / 4)) {
    return std::numeric_limits<int64_t>::max() / 4;  // headroom for additions
  }
  return std::llround(units);
}

}  // namespace

absl::Duration ComputeHedgeDelay(const HedgingSettings& settings, uint64_t samples,
                                 absl::Duration quantile_value) {
  const absl::Duration raw =
      samples < settings.min_samples ? settings.initial_delay : quantile_value;
  return ClampDelay(raw, settings.delay_min, settings.delay_max);
}

// --- HedgeBudget ---
// Lock-free: every call's primary deposits and every hedge withdraws, so these are on
// the hot path of every forwarded call. The parameters change only on SIGHUP; a call
// racing with one may use the old deposit or cap once, which is harmless.

namespace {

// Adds `delta` to `value`, keeping it in [0, cap]; returns the value before.
int64_t AddClamped(std::atomic<int64_t>& value, int64_t delta, int64_t cap) {
  int64_t old = value.load(std::memory_order_relaxed);
  while (!value.compare_exchange_weak(old, std::clamp<int64_t>(old + delta, 0, cap),
                                      std::memory_order_relaxed)) {
  }
  return old;
}

}  // namespace

HedgeBudget::HedgeBudget(double budget) {
  Configure(budget);
  tokens_.store(max_tokens_.load());
}

void HedgeBudget::Configure(double budget) {
  if (!(budget >= 0.0)) budget = 0.0;  // also catches NaN
  budget = std::min(budget, 1.0);
  int64_t deposit = ToUnits(budget, kUnitsPerToken);
  if (budget > 0.0 && deposit == 0) deposit = 1;
  deposit_.store(deposit, std::memory_order_relaxed);
  max_tokens_.store(std::max(kUnitsPerToken, 100 * deposit), std::memory_order_relaxed);
}

void HedgeBudget::SetBudget(double budget) {
  Configure(budget);
  AddClamped(tokens_, 0, max_tokens_.load(std::memory_order_relaxed));
}

void HedgeBudget::OnPrimary() {
  AddClamped(tokens_, deposit_.load(std::memory_order_relaxed),
             max_tokens_.load(std::memory_order_relaxed));
}

bool HedgeBudget::TryWithdraw() {
  // budget 0 keeps its (capped) balance so turning it back on does not start empty,
  // but never spends it.
  if (deposit_.load(std::memory_order_relaxed) == 0) return false;
  int64_t old = tokens_.load(std::memory_order_relaxed);
  do {
    if (old < kUnitsPerToken) return false;
  } while (!tokens_.compare_exchange_weak(old, old - kUnitsPerToken, std::memory_order_relaxed));
  return true;
}

double HedgeBudget::Balance() const {
  return static_cast<double>(tokens_.load(std::memory_order_relaxed)) / kUnitsPerToken;
}

// --- RetryThrottle ---

RetryThrottle::RetryThrottle(double max_tokens, double token_ratio) {
  const int64_t max =
      std::max<int64_t>(1, max_tokens > 0.0 ? ToUnits(max_tokens, kUnitsPerToken) : 0);
  max_tokens_.store(max);
  token_ratio_.store(token_ratio > 0.0 ? ToUnits(token_ratio, kUnitsPerToken) : 0);
  tokens_.store(max);
}

void RetryThrottle::Reconfigure(double max_tokens, double token_ratio) {
  const int64_t new_max =
      std::max<int64_t>(1, max_tokens > 0.0 ? ToUnits(max_tokens, kUnitsPerToken) : 0);
  // Same fill fraction, so a throttle that was tripping keeps tripping after SIGHUP.
  const double fill = static_cast<double>(tokens_.load()) / static_cast<double>(max_tokens_.load());
  tokens_.store(std::clamp<int64_t>(std::llround(fill * static_cast<double>(new_max)), 0, new_max));
  max_tokens_.store(new_max);
  token_ratio_.store(token_ratio > 0.0 ? ToUnits(token_ratio, kUnitsPerToken) : 0);
}

void RetryThrottle::OnFailure() {
  AddClamped(tokens_, -kUnitsPerToken, max_tokens_.load(std::memory_order_relaxed));
}

void RetryThrottle::OnSuccess() {
  AddClamped(tokens_, token_ratio_.load(std::memory_order_relaxed),
             max_tokens_.load(std::memory_order_relaxed));
}

bool RetryThrottle::AllowsExtraAttempts() const {
  // tokens > max / 2, exactly
  return 2 * tokens_.load(std::memory_order_relaxed) > max_tokens_.load(std::memory_order_relaxed);
}

double RetryThrottle::Tokens() const {
  return static_cast<double>(tokens_.load(std::memory_order_relaxed)) / kUnitsPerToken;
}

// --- Decisions ---

AttemptVerdict DecideExtraAttempt(const AttemptInputs& in) {
  if (in.attempts_started >= in.max_attempts) return AttemptVerdict::kNoMoreAttempts;
  if (in.remaining_deadline <= absl::ZeroDuration() || in.remaining_deadline < in.typical_latency) {
    return AttemptVerdict::kSuppressedDeadline;
  }
  if (!in.throttle_allows) return AttemptVerdict::kSuppressedThrottle;
  if (in.kind == AttemptKind::kHedge && !in.budget_has_token) {
    return AttemptVerdict::kSuppressedBudget;
  }
  return AttemptVerdict::kSend;
}

Pushback ParsePushback(const std::string_view* header_value) {
  Pushback result;
  if (header_value == nullptr) return result;  // kNone
  result.kind = Pushback::Kind::kStop;
  if (header_value->empty()) return result;
  int64_t ms = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (const char c : *header_value) {
    if (c < '0' || c > '9') return result;
    const int digit = c - '0';
    if (ms > (kMax - digit) / 10) return result;  // overflow: see the header
    ms = ms * 10 + digit;
  }
  result.kind = Pushback::Kind::kDelay;
  result.delay = absl::Milliseconds(ms);
  return result;
}

}  // namespace edgekit::broker
