// Unit tests for edgekit::TimerQueue: ordering, cancellation (and what happens to the
// cancelled callback's state), re-entrancy and shutdown. Timings are only checked as
// "not before the deadline": the machines running these are shared and noisy.
#include "common/timer_queue.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgekit {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using ::testing::ElementsAre;

// Long enough that a test would time out rather than pass by accident.
constexpr std::chrono::seconds kWait(10);

// A one-shot event built on the standard library so ThreadSanitizer understands it (the
// packaged Abseil is not built with TSAN annotations).
class Event {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool WaitForNotificationWithTimeout(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return count_ > 0; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// Sets a flag when destroyed, to observe when a callback's captures go away.
struct DestructionFlag {
  explicit DestructionFlag(std::atomic<bool>* destroyed) : flag(destroyed) {}
  ~DestructionFlag() { flag->store(true); }
  std::atomic<bool>* flag;
};

TEST(TimerQueueTest, FiresInDeadlineOrderNotScheduleOrder) {
  TimerQueue queue;
  std::mutex mu;
  std::vector<int> order;
  Event done;
  const auto base = Clock::now() + milliseconds(30);
  auto record = [&](int n) {
    return [&, n] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(n);
      if (order.size() == 4) done.Notify();
    };
  };
  queue.Schedule(base + milliseconds(30), record(3));
  queue.Schedule(base + milliseconds(10), record(1));
  queue.Schedule(base + milliseconds(40), record(4));
  queue.Schedule(base + milliseconds(20), record(2));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 4));
}

TEST(TimerQueueTest, EqualDeadlinesFireInScheduleOrder) {
  TimerQueue queue;
  std::vector<int> order;  // only touched on the timer thread until done
  Event done;
  const auto when = Clock::now() + milliseconds(10);
  for (int i = 0; i < 5; ++i) {
    queue.Schedule(when, [&, i] {
      order.push_back(i);
      if (i == 4) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4));
}

TEST(TimerQueueTest, FiresAtOrAfterDeadline) {
  TimerQueue queue;
  Event done;
  const auto deadline = Clock::now() + milliseconds(20);
  Clock::time_point fired;
  queue.Schedule(deadline, [&] {
    fired = Clock::now();
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_GE(fired, deadline);
}

TEST(TimerQueueTest, IdsAreNonZeroAndDistinct) {
  TimerQueue queue;
  const auto later = Clock::now() + std::chrono::hours(1);
  TimerQueue::TimerId a = queue.Schedule(later, [] {});
  TimerQueue::TimerId b = queue.Schedule(later, [] {});
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
}

TEST(TimerQueueTest, CancelBeforeFiringPreventsRunAndDestroysCallback) {
  TimerQueue queue;
  std::atomic<bool> ran{false};
  std::atomic<bool> destroyed{false};
  auto flag = std::make_unique<DestructionFlag>(&destroyed);
  TimerQueue::TimerId id = queue.Schedule(Clock::now() + milliseconds(200),
                                          [&ran, flag = std::move(flag)] { ran = true; });
  EXPECT_TRUE(queue.Cancel(id));
  // Cancel returns only after the callback (and so its captures) has been destroyed.
  EXPECT_TRUE(destroyed.load());
  EXPECT_FALSE(queue.Cancel(id));  // already cancelled

  // A later timer firing proves the queue moved past the cancelled deadline.
  Event after;
  queue.Schedule(Clock::now() + milliseconds(300), [&] { after.Notify(); });
  ASSERT_TRUE(after.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(ran.load());
}

TEST(TimerQueueTest, CancelAfterFiringReturnsFalse) {
  TimerQueue queue;
  Event fired;
  TimerQueue::TimerId id = queue.Schedule(Clock::now(), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(queue.Cancel(id));
}

TEST(TimerQueueTest, CancelUnknownIdReturnsFalse) {
  TimerQueue queue;
  EXPECT_FALSE(queue.Cancel(12345));
}

TEST(TimerQueueTest, CancelledCallbackDestructorMayUseQueue) {
  // The cancelled callback is destroyed outside the queue's lock, so its destructor can
  // call back into the queue without deadlocking.
  TimerQueue queue;
  Event rescheduled_ran;
  struct Reschedule {
    Reschedule(TimerQueue* q, Event* d) : queue(q), done(d) {}
    ~Reschedule() {
      queue->Schedule(Clock::now(), [d = done] { d->Notify(); });
    }
    TimerQueue* queue;
    Event* done;
  };
  auto guard = std::make_unique<Reschedule>(&queue, &rescheduled_ran);
  TimerQueue::TimerId id =
      queue.Schedule(Clock::now() + std::chrono::hours(1), [g = std::move(guard)] {});
  EXPECT_TRUE(queue.Cancel(id));
  EXPECT_TRUE(rescheduled_ran.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(rescheduled_ran.count(), 1);
}

TEST(TimerQueueTest, ScheduleFromWithinCallback) {
  TimerQueue queue;
  Event second;
  std::atomic<bool> first_ran{false};
  queue.Schedule(Clock::now() + milliseconds(5), [&] {
    first_ran = true;
    queue.Schedule(Clock::now() + milliseconds(5), [&] { second.Notify(); });
  });
  ASSERT_TRUE(second.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(first_ran.load());
}

TEST(TimerQueueTest, CancelFromWithinCallback) {
  TimerQueue queue;
  std::atomic<bool> victim_ran{false};
  Event done;
  TimerQueue::TimerId victim =
      queue.Schedule(Clock::now() + milliseconds(50), [&] { victim_ran = true; });
  std::atomic<bool> cancelled{false};
  queue.Schedule(Clock::now(), [&] { cancelled = queue.Cancel(victim); });
  queue.Schedule(Clock::now() + milliseconds(100), [&] { done.Notify(); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(cancelled.load());
  EXPECT_FALSE(victim_ran.load());
}

TEST(TimerQueueTest, PastDeadlineFiresPromptly) {
  TimerQueue queue;
  // Keep a far-away timer at the top so the thread sleeps a long time; a past deadline
  // must wake it rather than wait behind that one.
  queue.Schedule(Clock::now() + std::chrono::hours(1), [] {});
  Event fired;
  queue.Schedule(Clock::now() - std::chrono::seconds(1), [&] { fired.Notify(); });
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(kWait));
}

TEST(TimerQueueTest, EarlierDeadlineWakesSleepingThread) {
  TimerQueue queue;
  queue.Schedule(Clock::now() + std::chrono::hours(1), [] {});
  Event fired;
  queue.Schedule(Clock::now() + milliseconds(10), [&] { fired.Notify(); });
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(kWait));
}

TEST(TimerQueueTest, DestructorDestroysPendingTimersWithoutRunningThem) {
  std::atomic<bool> ran{false};
  std::atomic<bool> destroyed{false};
  {
    TimerQueue queue;
    auto flag = std::make_unique<DestructionFlag>(&destroyed);
    queue.Schedule(Clock::now() + std::chrono::hours(1),
                   [&ran, flag = std::move(flag)] { ran = true; });
    queue.Schedule(Clock::now() + std::chrono::hours(2), [&ran] { ran = true; });
  }
  EXPECT_FALSE(ran.load());
  EXPECT_TRUE(destroyed.load());
}

TEST(TimerQueueTest, ManyCancelledTimersDoNotDisturbLiveOnes) {
  // Enough cancellations to trigger compaction of the lazily deleted heap entries.
  TimerQueue queue;
  std::atomic<int> fired{0};
  Event done;
  const auto far = Clock::now() + std::chrono::hours(1);
  std::vector<TimerQueue::TimerId> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(queue.Schedule(far, [] { FAIL(); }));
  const int kLive = 10;
  for (int i = 0; i < kLive; ++i) {
    queue.Schedule(Clock::now() + milliseconds(i), [&] {
      if (++fired == kLive) done.Notify();
    });
  }
  for (TimerQueue::TimerId id : ids) EXPECT_TRUE(queue.Cancel(id));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(fired.load(), kLive);
}

TEST(TimerQueueTest, ConcurrentScheduleAndCancel) {
  TimerQueue queue;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::atomic<int> ran{0};
  std::atomic<int> cancelled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        TimerQueue::TimerId id =
            queue.Schedule(Clock::now() + std::chrono::microseconds(i % 50), [&] { ++ran; });
        if (i % 2 == 0 && queue.Cancel(id)) ++cancelled;
      }
    });
  }
  for (auto& t : threads) t.join();
  Event drained;
  queue.Schedule(Clock::now() + milliseconds(100), [&] { drained.Notify(); });
  ASSERT_TRUE(drained.WaitForNotificationWithTimeout(kWait));
  // Every timer either ran or was cancelled, never both, never neither.
  EXPECT_EQ(ran.load() + cancelled.load(), kThreads * kPerThread);
}

}  // namespace
}  // namespace edgekit
