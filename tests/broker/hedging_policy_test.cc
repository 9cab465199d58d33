// The hedging policy with explicit inputs only: no clock, no randomness.
#include "broker/hedging_policy.h"

#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/time/time.h"
#include "broker/settings.h"
#include "gtest/gtest.h"

namespace edgekit::broker {
namespace {

// --- ComputeHedgeDelay ---

HedgingSettings Settings() {
  HedgingSettings s;
  s.delay_min = absl::Milliseconds(1);
  s.delay_max = absl::Seconds(1);
  s.initial_delay = absl::Milliseconds(10);
  s.min_samples = 100;
  return s;
}

TEST(ComputeHedgeDelayTest, WarmUpUsesInitialDelay) {
  const HedgingSettings s = Settings();
  EXPECT_EQ(ComputeHedgeDelay(s, 0, absl::ZeroDuration()), absl::Milliseconds(10));
  EXPECT_EQ(ComputeHedgeDelay(s, 99, absl::Milliseconds(3)), absl::Milliseconds(10));
  EXPECT_EQ(ComputeHedgeDelay(s, 100, absl::Milliseconds(3)), absl::Milliseconds(3));
}

TEST(ComputeHedgeDelayTest, NoWarmUpWithMinSamplesZero) {
  HedgingSettings s = Settings();
  s.min_samples = 0;
  EXPECT_EQ(ComputeHedgeDelay(s, 0, absl::Milliseconds(3)), absl::Milliseconds(3));
}

TEST(ComputeHedgeDelayTest, QuantileIsClamped) {
  const HedgingSettings s = Settings();
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::Microseconds(100)), absl::Milliseconds(1));
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::ZeroDuration()), absl::Milliseconds(1));
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::Seconds(5)), absl::Seconds(1));
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::Milliseconds(1)), absl::Milliseconds(1));
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::Seconds(1)), absl::Seconds(1));
}

TEST(ComputeHedgeDelayTest, InitialDelayIsClamped) {
  HedgingSettings s = Settings();
  s.initial_delay = absl::Seconds(5);
  EXPECT_EQ(ComputeHedgeDelay(s, 0, absl::Milliseconds(3)), absl::Seconds(1));
  s.initial_delay = absl::ZeroDuration();
  EXPECT_EQ(ComputeHedgeDelay(s, 0, absl::Milliseconds(3)), absl::Milliseconds(1));
}

TEST(ComputeHedgeDelayTest, InvertedRangeGivesMax) {
  HedgingSettings s = Settings();
  s.delay_min = absl::Milliseconds(50);
  s.delay_max = absl::Milliseconds(20);
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::Milliseconds(3)), absl::Milliseconds(20));
  EXPECT_EQ(ComputeHedgeDelay(s, 1000, absl::Milliseconds(90)), absl::Milliseconds(20));
}

// --- HedgeBudget ---

TEST(HedgeBudgetTest, StartsFullAtTheCap) {
  EXPECT_EQ(HedgeBudget(0.1).Balance(), 10.0);
  EXPECT_EQ(HedgeBudget(0.05).Balance(), 5.0);
  EXPECT_EQ(HedgeBudget(1.0).Balance(), 100.0);
  // 100 * 0.005 = 0.5 < 1: the cap is one token, or no hedge could ever be paid for.
  EXPECT_EQ(HedgeBudget(0.005).Balance(), 1.0);
}

TEST(HedgeBudgetTest, WithdrawSpendsOneTokenUntilEmpty) {
  HedgeBudget budget(0.1);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(budget.TryWithdraw()) << i;
  EXPECT_EQ(budget.Balance(), 0.0);
  EXPECT_FALSE(budget.TryWithdraw());
  EXPECT_EQ(budget.Balance(), 0.0);
}

TEST(HedgeBudgetTest, EachPrimaryDepositsTheBudget) {
  HedgeBudget budget(0.1);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(budget.TryWithdraw());
  for (int i = 0; i < 9; ++i) budget.OnPrimary();
  EXPECT_NEAR(budget.Balance(), 0.9, 1e-9);
  EXPECT_FALSE(budget.TryWithdraw());
  budget.OnPrimary();
  // Exactly one token: ten deposits of 0.1 must not add up to 0.99999...
  EXPECT_EQ(budget.Balance(), 1.0);
  EXPECT_TRUE(budget.TryWithdraw());
  EXPECT_FALSE(budget.TryWithdraw());
}

TEST(HedgeBudgetTest, BalanceIsCapped) {
  HedgeBudget budget(0.1);
  for (int i = 0; i < 1000; ++i) budget.OnPrimary();
  EXPECT_EQ(budget.Balance(), 10.0);
}

TEST(HedgeBudgetTest, ZeroBudgetNeverHedges) {
  HedgeBudget budget(0.0);
  EXPECT_FALSE(budget.TryWithdraw());
  for (int i = 0; i < 1000; ++i) budget.OnPrimary();
  EXPECT_FALSE(budget.TryWithdraw());
  budget.SetBudget(0.1);
  budget.SetBudget(0.0);
  EXPECT_FALSE(budget.TryWithdraw());
}

TEST(HedgeBudgetTest, OutOfRangeBudgetsAreClamped) {
  HedgeBudget negative(-0.5);
  EXPECT_FALSE(negative.TryWithdraw());
  HedgeBudget nan(std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(nan.TryWithdraw());
  EXPECT_EQ(HedgeBudget(7.0).Balance(), 100.0);  // as budget 1
  // Tiny but positive still hedges (slowly) rather than rounding to "off".
  HedgeBudget tiny(1e-9);
  EXPECT_TRUE(tiny.TryWithdraw());
}

TEST(HedgeBudgetTest, SetBudgetKeepsTheBalanceCapped) {
  HedgeBudget budget(0.1);  // 10 tokens
  budget.SetBudget(0.02);   // cap 2
  EXPECT_EQ(budget.Balance(), 2.0);
  budget.SetBudget(0.5);  // cap 50: the balance is kept, not refilled
  EXPECT_EQ(budget.Balance(), 2.0);
  for (int i = 0; i < 2; ++i) budget.OnPrimary();
  EXPECT_EQ(budget.Balance(), 3.0);  // now deposits 0.5 per primary
}

TEST(HedgeBudgetTest, LongRunRatioIsTheBudgetPlusTheCap) {
  HedgeBudget budget(0.1);
  int granted = 0;
  for (int i = 0; i < 10000; ++i) {
    budget.OnPrimary();
    if (budget.TryWithdraw()) ++granted;
  }
  // 0.1 * 10000 + cap 10, less the very first deposit, lost because the bucket started
  // full: 1009 exactly with exact token arithmetic.
  EXPECT_NEAR(granted, 0.1 * 10000 + 10, 2);
  EXPECT_EQ(granted, 1009);
}

// --- RetryThrottle (gRFC A6 retryThrottling) ---

TEST(RetryThrottleTest, StartsAtMax) {
  RetryThrottle throttle(10, 0.1);
  EXPECT_EQ(throttle.Tokens(), 10.0);
  EXPECT_TRUE(throttle.AllowsExtraAttempts());
}

TEST(RetryThrottleTest, FailureTakesOneSuccessGivesRatio) {
  RetryThrottle throttle(10, 0.1);
  throttle.OnFailure();
  EXPECT_EQ(throttle.Tokens(), 9.0);
  throttle.OnSuccess();
  EXPECT_NEAR(throttle.Tokens(), 9.1, 1e-9);
}

TEST(RetryThrottleTest, AllowsOnlyAboveHalf) {
  RetryThrottle throttle(10, 0.1);
  for (int i = 0; i < 4; ++i) throttle.OnFailure();
  EXPECT_EQ(throttle.Tokens(), 6.0);
  EXPECT_TRUE(throttle.AllowsExtraAttempts());
  throttle.OnFailure();
  EXPECT_EQ(throttle.Tokens(), 5.0);
  EXPECT_FALSE(throttle.AllowsExtraAttempts());  // 5 is not > 10 / 2
  throttle.OnSuccess();
  EXPECT_TRUE(throttle.AllowsExtraAttempts());  // 5.1
  throttle.OnFailure();
  EXPECT_FALSE(throttle.AllowsExtraAttempts());  // 4.1
  for (int i = 0; i < 9; ++i) throttle.OnSuccess();
  EXPECT_FALSE(throttle.AllowsExtraAttempts());  // 5.0 exactly, not 5.0000001
  EXPECT_EQ(throttle.Tokens(), 5.0);
  throttle.OnSuccess();
  EXPECT_TRUE(throttle.AllowsExtraAttempts());
}

TEST(RetryThrottleTest, FloorIsZeroAndCapIsMax) {
  RetryThrottle throttle(10, 0.1);
  for (int i = 0; i < 25; ++i) throttle.OnFailure();
  EXPECT_EQ(throttle.Tokens(), 0.0);
  throttle.OnSuccess();
  EXPECT_NEAR(throttle.Tokens(), 0.1, 1e-9);  // recovery starts from 0, not -15

  RetryThrottle full(10, 0.1);
  for (int i = 0; i < 100; ++i) full.OnSuccess();
  EXPECT_EQ(full.Tokens(), 10.0);
}

TEST(RetryThrottleTest, ReconfigureKeepsTheFillFraction) {
  RetryThrottle throttle(10, 0.1);
  for (int i = 0; i < 4; ++i) throttle.OnFailure();  // 6 / 10
  throttle.Reconfigure(100, 0.5);
  EXPECT_EQ(throttle.Tokens(), 60.0);
  throttle.OnSuccess();
  EXPECT_EQ(throttle.Tokens(), 60.5);
  throttle.Reconfigure(5, 0.1);  // 0.605 of 5
  EXPECT_NEAR(throttle.Tokens(), 3.025, 1e-9);
  EXPECT_TRUE(throttle.AllowsExtraAttempts());

  // A tripped throttle stays tripped.
  RetryThrottle tripped(10, 0.1);
  for (int i = 0; i < 6; ++i) tripped.OnFailure();  // 4 / 10
  tripped.Reconfigure(1000, 1);
  EXPECT_EQ(tripped.Tokens(), 400.0);
  EXPECT_FALSE(tripped.AllowsExtraAttempts());
}

// --- DecideExtraAttempt ---

TEST(DecideExtraAttemptTest, SendsWhenEverythingAllows) {
  EXPECT_EQ(DecideExtraAttempt(AttemptInputs{}), AttemptVerdict::kSend);
  AttemptInputs retry;
  retry.kind = AttemptKind::kRetry;
  EXPECT_EQ(DecideExtraAttempt(retry), AttemptVerdict::kSend);
}

// Every check fails; removing them one at a time, in order, shows the order.
TEST(DecideExtraAttemptTest, ChecksAttemptsThenDeadlineThenThrottleThenBudget) {
  AttemptInputs in;
  in.kind = AttemptKind::kHedge;
  in.attempts_started = 2;
  in.max_attempts = 2;
  in.remaining_deadline = absl::Milliseconds(1);
  in.typical_latency = absl::Milliseconds(2);
  in.throttle_allows = false;
  in.budget_has_token = false;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kNoMoreAttempts);
  in.max_attempts = 3;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedDeadline);
  in.remaining_deadline = absl::Milliseconds(100);
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedThrottle);
  in.throttle_allows = true;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedBudget);
  in.budget_has_token = true;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSend);
}

TEST(DecideExtraAttemptTest, MaxAttemptsOneMeansNoExtraAttempt) {
  AttemptInputs in;
  in.max_attempts = 1;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kNoMoreAttempts);
  in.kind = AttemptKind::kRetry;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kNoMoreAttempts);
}

TEST(DecideExtraAttemptTest, DeadlineBoundary) {
  AttemptInputs in;
  in.typical_latency = absl::Milliseconds(2);
  in.remaining_deadline = absl::Milliseconds(2);
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSend);  // not "less than"
  in.remaining_deadline = absl::Milliseconds(2) - absl::Nanoseconds(1);
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedDeadline);
  // No time left is never worth an attempt, even before the window has a median.
  in.typical_latency = absl::ZeroDuration();
  in.remaining_deadline = absl::ZeroDuration();
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedDeadline);
  in.remaining_deadline = -absl::Milliseconds(1);
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedDeadline);
  in.remaining_deadline = absl::InfiniteDuration();
  in.typical_latency = absl::Seconds(10);
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSend);
}

TEST(DecideExtraAttemptTest, RetriesIgnoreTheBudgetButNotTheThrottle) {
  AttemptInputs in;
  in.kind = AttemptKind::kRetry;
  in.budget_has_token = false;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSend);
  in.throttle_allows = false;
  EXPECT_EQ(DecideExtraAttempt(in), AttemptVerdict::kSuppressedThrottle);
}

// --- ParsePushback ---

Pushback Parse(std::string_view value) { return ParsePushback(&value); }

TEST(ParsePushbackTest, AbsentIsNone) {
  const Pushback p = ParsePushback(nullptr);
  EXPECT_EQ(p.kind, Pushback::Kind::kNone);
  EXPECT_EQ(p.delay, absl::ZeroDuration());
}

TEST(ParsePushbackTest, NonNegativeIntegerIsDelay) {
  Pushback p = Parse("0");
  EXPECT_EQ(p.kind, Pushback::Kind::kDelay);
  EXPECT_EQ(p.delay, absl::ZeroDuration());
  p = Parse("250");
  EXPECT_EQ(p.kind, Pushback::Kind::kDelay);
  EXPECT_EQ(p.delay, absl::Milliseconds(250));
  p = Parse("007");
  EXPECT_EQ(p.kind, Pushback::Kind::kDelay);
  EXPECT_EQ(p.delay, absl::Milliseconds(7));
  p = Parse("9223372036854775807");  // the largest int64
  EXPECT_EQ(p.kind, Pushback::Kind::kDelay);
  EXPECT_EQ(p.delay, absl::Milliseconds(std::numeric_limits<int64_t>::max()));
}

TEST(ParsePushbackTest, AnythingElseIsStop) {
  for (std::string_view bad : {"-1", "abc", "12x", "", "+5", " 5", "5 ", "1.5", "0x10", "-0",
                               "9223372036854775808", "99999999999999999999999999"}) {
    const Pushback p = Parse(bad);
    EXPECT_EQ(p.kind, Pushback::Kind::kStop) << "'" << bad << "'";
    EXPECT_EQ(p.delay, absl::ZeroDuration()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace edgekit::broker
