// Time for code that must run the same under a test's hand as in production: a monotonic
// clock and one-shot timers behind one interface. TimerQueue (timer_queue.h) is the real
// one; tests/testing/manual_scheduler.h keeps time still until the test advances it, so
// hedge delays, deadlines and TTLs are tested without sleeping on the wall clock.
#ifndef EDGEKIT_COMMON_SCHEDULER_H_
#define EDGEKIT_COMMON_SCHEDULER_H_

#include <chrono>
#include <cstdint>

#include "absl/functional/any_invocable.h"

namespace edgekit {

class Scheduler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using TimerId = uint64_t;  // never 0

  virtual ~Scheduler() = default;

  virtual TimePoint Now() const = 0;

  // Runs `fn` at or shortly after `when` (a time in the past: as soon as possible), on a
  // thread of the scheduler's choosing, never inside Schedule itself.
  virtual TimerId Schedule(TimePoint when, absl::AnyInvocable<void()> fn) = 0;

  // True if the timer was still pending: it will not run and `fn` has been destroyed.
  // False if it already ran, is running now, or is unknown.
  virtual bool Cancel(TimerId id) = 0;
};

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_SCHEDULER_H_
