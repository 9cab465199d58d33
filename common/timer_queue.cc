// TimerQueue: one thread sleeping on a condition variable until the earliest deadline of
// a min-heap. Cancel only removes the callback from the id map; its heap entry is skipped
// when it surfaces (lazy deletion), so Cancel is O(1) apart from an occasional compaction.
#include "common/timer_queue.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace edgekit {

struct TimerQueue::Impl {
  struct Entry {
    TimePoint when;
    TimerId id;
  };
  // std::push_heap builds a max-heap; "later" as the ordering puts the earliest on top.
  // Ties fire in scheduling order (ids increase).
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.when != b.when ? a.when > b.when : a.id > b.id;
    }
  };

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Entry> heap;  // guarded by mu; may hold entries of cancelled timers
  std::unordered_map<TimerId, absl::AnyInvocable<void()>> pending;  // guarded by mu
  TimerId next_id = 1;                                              // guarded by mu
  bool stopping = false;                                            // guarded by mu
  std::thread thread;

  void Run();
  // Drops heap entries whose timer was cancelled. Requires mu.
  void Compact();
};

void TimerQueue::Impl::Compact() {
  heap.erase(std::remove_if(heap.begin(), heap.end(),
                            [this](const Entry& e) { return !pending.count(e.id); }),
             heap.end());
  std::make_heap(heap.begin(), heap.end(), Later());
}

void TimerQueue::Impl::Run() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    // Skip entries of cancelled timers that reached the top.
    while (!heap.empty() && !pending.count(heap.front().id)) {
      std::pop_heap(heap.begin(), heap.end(), Later());
      heap.pop_back();
    }
    if (heap.empty()) {
      cv.wait(lock);
      continue;
    }
    const Entry top = heap.front();
    if (std::chrono::steady_clock::now() < top.when) {
      // Woken early by Schedule (new earliest deadline), Cancel or the destructor, or
      // spuriously: either way, re-evaluate from the top.
      cv.wait_until(lock, top.when);
      continue;
    }
    std::pop_heap(heap.begin(), heap.end(), Later());
    heap.pop_back();
    auto it = pending.find(top.id);
    absl::AnyInvocable<void()> fn = std::move(it->second);
    pending.erase(it);
    // Run and destroy the callback unlocked: it may Schedule or Cancel, and its captures'
    // destructors may too.
    lock.unlock();
    fn();
    fn = nullptr;
    lock.lock();
  }
}

TimerQueue::TimerQueue() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

TimerQueue::~TimerQueue() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_one();
  impl_->thread.join();
  // Destroy the callbacks that never ran without holding the lock (their destructors may
  // call Cancel, which then simply finds nothing).
  std::unordered_map<TimerId, absl::AnyInvocable<void()>> never_run;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    never_run.swap(impl_->pending);
    impl_->heap.clear();
  }
  never_run.clear();
}

TimerQueue::TimerId TimerQueue::Schedule(TimePoint when, absl::AnyInvocable<void()> fn) {
  TimerId id;
  bool new_earliest;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    id = impl_->next_id++;
    impl_->pending.emplace(id, std::move(fn));
    impl_->heap.push_back({when, id});
    std::push_heap(impl_->heap.begin(), impl_->heap.end(), Impl::Later());
    new_earliest = impl_->heap.front().id == id;
  }
  // Only a new earliest deadline changes how long the thread should sleep.
  if (new_earliest) impl_->cv.notify_one();
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  absl::AnyInvocable<void()> cancelled;  // destroyed after the lock is released
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->pending.find(id);
    if (it == impl_->pending.end()) return false;
    cancelled = std::move(it->second);
    impl_->pending.erase(it);
    // Lazy deletion leaves the heap entry behind; with many long timers cancelled early
    // (the common case for hedges and deadlines) stale entries would pile up, so compact
    // once they outnumber the live ones.
    if (impl_->heap.size() > 1024 && impl_->heap.size() > 2 * impl_->pending.size()) {
      impl_->Compact();
    }
  }
  return true;
}

}  // namespace edgekit
