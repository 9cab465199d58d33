// See hedging_controller.h.
#include "broker/hedging_controller.h"

namespace edgekit::broker {
namespace {

std::shared_ptr<const ActiveHedging> MakeActive(const HedgingSettings& settings) {
  auto active = std::make_shared<ActiveHedging>();
  active->settings = settings;
  for (GrpcCode code : settings.non_fatal_codes) {
    active->non_fatal_mask |= 1u << static_cast<int>(code);
  }
  return active;
}

}  // namespace

HedgingController::HedgingController(const HedgingSettings& settings)
    : active_(MakeActive(settings)),
      window_(std::make_shared<ShardedLatencyWindow>(settings.window)),
      delay_nanos_(absl::ToInt64Nanoseconds(ComputeHedgeDelay(settings, 0, absl::ZeroDuration()))),
      budget_(settings.budget),
      throttle_(settings.throttle_max_tokens, settings.throttle_token_ratio) {}

void HedgingController::Reconfigure(const HedgingSettings& settings, MonoTime now) {
  {
    absl::MutexLock lock(&mu_);
    if (settings.window != active_->settings.window) {
      window_ = std::make_shared<ShardedLatencyWindow>(settings.window);
    }
    active_ = MakeActive(settings);
  }
  budget_.SetBudget(settings.budget);
  throttle_.Reconfigure(settings.throttle_max_tokens, settings.throttle_token_ratio);
  Recompute(now);
}

std::shared_ptr<const ActiveHedging> HedgingController::active() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

std::shared_ptr<ShardedLatencyWindow> HedgingController::window() const {
  absl::MutexLock lock(&mu_);
  return window_;
}

void HedgingController::Recompute(MonoTime now) {
  std::shared_ptr<ShardedLatencyWindow> window;
  std::shared_ptr<const ActiveHedging> active;
  {
    absl::MutexLock lock(&mu_);
    window = window_;
    active = active_;
  }
  const uint64_t samples = window->Count(now);
  const absl::Duration quantile = window->Quantile(active->settings.quantile, now);
  delay_nanos_.store(
      absl::ToInt64Nanoseconds(ComputeHedgeDelay(active->settings, samples, quantile)),
      std::memory_order_relaxed);
  median_nanos_.store(absl::ToInt64Nanoseconds(window->Quantile(0.5, now)),
                      std::memory_order_relaxed);
}

}  // namespace edgekit::broker
