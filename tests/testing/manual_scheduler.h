// A Scheduler (common/scheduler.h) whose time moves only when the test says so: timers
// run inside Advance, on the test's thread, in time order. Hedge delays, deadlines and
// cache TTLs are then tested exactly, without sleeping on the wall clock.
#ifndef EDGEKIT_TESTS_TESTING_MANUAL_SCHEDULER_H_
#define EDGEKIT_TESTS_TESTING_MANUAL_SCHEDULER_H_

#include <chrono>
#include <map>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/scheduler.h"

namespace edgekit::testing {

class ManualScheduler final : public Scheduler {
 public:
  // An arbitrary start, far from the steady clock's epoch.
  ManualScheduler() : now_(std::chrono::hours(24 * 365)) {}

  TimePoint Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  TimerId Schedule(TimePoint when, absl::AnyInvocable<void()> fn) override {
    absl::MutexLock lock(&mu_);
    const TimerId id = next_id_++;
    timers_.emplace(Key{when, id}, std::move(fn));
    return id;
  }

  bool Cancel(TimerId id) override {
    absl::AnyInvocable<void()> fn;  // destroyed unlocked
    absl::MutexLock lock(&mu_);
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        fn = std::move(it->second);
        timers_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Moves time forward by `by`, running every timer that falls due (including ones those
  // timers schedule) at its own time.
  void Advance(absl::Duration by) {
    TimePoint target;
    {
      absl::MutexLock lock(&mu_);
      target = now_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          absl::ToChronoNanoseconds(by));
    }
    for (;;) {
      absl::AnyInvocable<void()> fn;
      {
        absl::MutexLock lock(&mu_);
        auto first = timers_.begin();
        if (first == timers_.end() || first->first.first > target) {
          now_ = target;
          return;
        }
        if (first->first.first > now_) now_ = first->first.first;
        fn = std::move(first->second);
        timers_.erase(first);
      }
      fn();
    }
  }

  // Timers waiting to run.
  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return timers_.size();
  }

  // Waits (up to `timeout` of real time) until exactly `count` timers are pending: how a
  // test knows that a call on another thread has armed its timer, without sleeping.
  bool WaitForPending(size_t count, absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return timers_.size() == count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  // Whether a timer is pending at exactly `when` (it has not run, so nothing it does
  // has happened).
  bool HasTimerAt(TimePoint when) const {
    absl::MutexLock lock(&mu_);
    auto it = timers_.lower_bound(Key{when, 0});
    return it != timers_.end() && it->first.first == when;
  }

  // Waits until a timer is pending at exactly `when`.
  bool WaitForTimerAt(TimePoint when, absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    auto armed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = timers_.lower_bound(Key{when, 0});
      return it != timers_.end() && it->first.first == when;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&armed), timeout);
  }

 private:
  using Key = std::pair<TimePoint, TimerId>;  // ties run in scheduling order
  mutable absl::Mutex mu_;
  TimePoint now_ ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<Key, absl::AnyInvocable<void()>> timers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_MANUAL_SCHEDULER_H_
