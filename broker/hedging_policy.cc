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

HedgeBudget::HedgeBudget(double budget) {
  absl::MutexLock lock(&mu_);
  ConfigureLocked(budget);
  tokens_ = max_tokens_;
}

void HedgeBudget::ConfigureLocked(double budget) {
  if (!(budget >= 0.0)) budget = 0.0;  // also catches NaN
  budget = std::min(budget, 1.0);
  deposit_ = ToUnits(budget, kUnitsPerToken);
  if (budget > 0.0 && deposit_ == 0) deposit_ = 1;
  max_tokens_ = std::max(kUnitsPerToken, 100 * deposit_);
}

void HedgeBudget::SetBudget(double budget) {
  absl::MutexLock lock(&mu_);
  ConfigureLocked(budget);
  tokens_ = std::min(tokens_, max_tokens_);
}

void HedgeBudget::OnPrimary() {
  absl::MutexLock lock(&mu_);
  tokens_ = std::min(tokens_ + deposit_, max_tokens_);
}

bool HedgeBudget::TryWithdraw() {
  absl::MutexLock lock(&mu_);
  // budget 0 keeps its (capped) balance so turning it back on does not start empty,
  // but never spends it.
  if (deposit_ == 0 || tokens_ < kUnitsPerToken) return false;
  tokens_ -= kUnitsPerToken;
  return true;
}

double HedgeBudget::Balance() const {
  absl::MutexLock lock(&mu_);
  return static_cast<double>(tokens_) / kUnitsPerToken;
}

// --- RetryThrottle ---

RetryThrottle::RetryThrottle(double max_tokens, double token_ratio) {
  absl::MutexLock lock(&mu_);
  max_tokens_ = std::max<int64_t>(1, max_tokens > 0.0 ? ToUnits(max_tokens, kUnitsPerToken) : 0);
  token_ratio_ = token_ratio > 0.0 ? ToUnits(token_ratio, kUnitsPerToken) : 0;
  tokens_ = max_tokens_;
}

void RetryThrottle::Reconfigure(double max_tokens, double token_ratio) {
  absl::MutexLock lock(&mu_);
  const int64_t new_max =
      std::max<int64_t>(1, max_tokens > 0.0 ? ToUnits(max_tokens, kUnitsPerToken) : 0);
  // Same fill fraction, so a throttle that was tripping keeps tripping after SIGHUP.
  const double fill = static_cast<double>(tokens_) / static_cast<double>(max_tokens_);
  tokens_ = std::clamp<int64_t>(std::llround(fill * static_cast<double>(new_max)), 0, new_max);
  max_tokens_ = new_max;
  token_ratio_ = token_ratio > 0.0 ? ToUnits(token_ratio, kUnitsPerToken) : 0;
}

void RetryThrottle::OnFailure() {
  absl::MutexLock lock(&mu_);
  tokens_ = std::max<int64_t>(0, tokens_ - kUnitsPerToken);
}

void RetryThrottle::OnSuccess() {
  absl::MutexLock lock(&mu_);
  tokens_ = std::min(tokens_ + token_ratio_, max_tokens_);
}

bool RetryThrottle::AllowsExtraAttempts() const {
  absl::MutexLock lock(&mu_);
  return 2 * tokens_ > max_tokens_;  // tokens > max / 2, exactly
}

double RetryThrottle::Tokens() const {
  absl::MutexLock lock(&mu_);
  return static_cast<double>(tokens_) / kUnitsPerToken;
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
