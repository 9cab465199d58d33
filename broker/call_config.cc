#include "broker/call_config.h"

#include <utility>

namespace edgekit::broker {
namespace {

std::atomic<uint64_t> next_version{1};

struct ThreadCopy {
  uint64_t version = 0;
  std::shared_ptr<const CallConfig> config;
};
thread_local ThreadCopy thread_copy;

}  // namespace

CallConfigHolder::CallConfigHolder(CallConfig initial) {
  Update([&](CallConfig& config) { config = std::move(initial); });
}

std::shared_ptr<const CallConfig> CallConfigHolder::Get() const {
  ThreadCopy& copy = thread_copy;
  if (copy.version != version_.load(std::memory_order_acquire)) {
    absl::MutexLock lock(&mu_);
    copy.config = current_;
    copy.version = current_version_;
  }
  return copy.config;
}

void CallConfigHolder::Update(absl::FunctionRef<void(CallConfig&)> edit) {
  absl::MutexLock lock(&mu_);
  auto next = current_ != nullptr ? std::make_shared<CallConfig>(*current_)
                                  : std::make_shared<CallConfig>();
  edit(*next);
  current_ = std::move(next);
  current_version_ = next_version.fetch_add(1, std::memory_order_relaxed);
  version_.store(current_version_, std::memory_order_release);
}

}  // namespace edgekit::broker
