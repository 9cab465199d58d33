// One thread that runs callbacks at steady-clock deadlines, with sub-millisecond
// precision. gRPC 1.51's grpc::Alarm ticks in whole milliseconds (a 1 ms alarm fires after
// ~1.9 ms), which is too coarse for hedge delays near a ~1-2 ms p95 and for the fake auth
// service's latency model; this queue sleeps on a condition variable until the earliest
// deadline instead.
//
// Callbacks run on the timer thread one at a time and must be fast (never block).
// Thread-safe: Schedule and Cancel may be called from any thread, including callbacks.
#ifndef EDGEKIT_COMMON_TIMER_QUEUE_H_
#define EDGEKIT_COMMON_TIMER_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/functional/any_invocable.h"
#include "common/scheduler.h"

namespace edgekit {

class TimerQueue final : public Scheduler {
 public:
  TimerQueue();            // starts the thread
  ~TimerQueue() override;  // stops it; callbacks still pending are destroyed, not run
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` on the timer thread at or shortly after `when` (a deadline in the past runs
  // as soon as possible).
  TimerId Schedule(TimePoint when, absl::AnyInvocable<void()> fn) override;

  // True if the timer was still pending: it will not run and `fn` has been destroyed
  // (outside the queue's lock, so fn's destructor may call back into the queue).
  // False if it already ran, is running now, or is unknown.
  bool Cancel(TimerId id) override;

  TimePoint Now() const override { return std::chrono::steady_clock::now(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_TIMER_QUEUE_H_
