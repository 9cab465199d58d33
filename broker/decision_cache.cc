#include "broker/decision_cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/log.h"
#include "envoy/service/auth/v3/external_auth.pb.h"

namespace edgekit::broker {
namespace {

constexpr absl::Duration kStaleLogInterval = absl::Seconds(10);

// The TTL the upstream asked for in `metadata`: nullopt when it says nothing; zero when
// it forbids storing (also for a value that is not whole seconds: refusing is the safe
// reading of a value we do not understand).
std::optional<absl::Duration> UpstreamTtl(const cache::Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    if (key != kCacheTtlKey) continue;
    uint32_t seconds;
    if (!absl::SimpleAtoi(value, &seconds)) return absl::ZeroDuration();
    return absl::Seconds(seconds);
  }
  return std::nullopt;
}

}  // namespace

DecisionCache::DecisionCache(const CacheSettings& settings, const cache::Secret& secret,
                             BrokerMetrics& metrics)
    : settings_(settings),
      keys_(settings.key, secret),
      metrics_(metrics),
      store_(cache::StoreLimits{settings.max_entries, settings.max_bytes}) {
  UpdateGauges();
}

bool DecisionCache::JoinOrLead(const cache::CacheKey& key, FlightWaiter* waiter) {
  FlightShard& shard = FlightShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto [it, inserted] = shard.flights.try_emplace(key);
  if (inserted) return true;  // the leader is not in the list: it lands the flight
  it->second.push_back(waiter);
  return false;
}

bool DecisionCache::Leave(const cache::CacheKey& key, FlightWaiter* waiter) {
  FlightShard& shard = FlightShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.flights.find(key);
  if (it == shard.flights.end()) return false;
  auto& waiters = it->second;
  auto found = std::find(waiters.begin(), waiters.end(), waiter);
  if (found == waiters.end()) return false;
  waiters.erase(found);
  return true;
}

void DecisionCache::Land(const cache::CacheKey& key, std::shared_ptr<const cache::Entry> entry) {
  std::vector<FlightWaiter*> waiters;
  {
    FlightShard& shard = FlightShardOf(key);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.flights.find(key);
    if (it == shard.flights.end()) return;
    waiters = std::move(it->second);
    shard.flights.erase(it);
  }
  for (FlightWaiter* waiter : waiters) waiter->OnFlightDone(entry);
}

std::shared_ptr<const cache::Entry> DecisionCache::Admit(std::string response,
                                                         cache::Metadata initial,
                                                         cache::Metadata trailing,
                                                         cache::CacheTime now) const {
  envoy::service::auth::v3::CheckResponse parsed;
  if (!parsed.ParseFromString(response)) return nullptr;  // not ours to judge: not stored
  const bool deny = parsed.status().code() != 0;
  absl::Duration ttl = deny ? settings_.deny_ttl : settings_.ttl;
  for (const cache::Metadata* metadata : {&initial, &trailing}) {
    if (std::optional<absl::Duration> asked = UpstreamTtl(*metadata)) ttl = std::min(ttl, *asked);
  }
  if (ttl <= absl::ZeroDuration()) return nullptr;
  auto entry = std::make_shared<cache::Entry>();
  entry->response = std::move(response);
  entry->initial_metadata = std::move(initial);
  entry->trailing_metadata = std::move(trailing);
  entry->fresh_until = now + absl::ToChronoNanoseconds(ttl);
  entry->stale_until = entry->fresh_until + absl::ToChronoNanoseconds(settings_.stale_ttl);
  return entry;
}

void DecisionCache::Insert(const cache::CacheKey& key, std::shared_ptr<const cache::Entry> entry) {
  const size_t evicted = store_.Insert(key, std::move(entry));
  if (evicted > 0) metrics_.cache_evictions->Increment(static_cast<double>(evicted));
  UpdateGauges();
}

void DecisionCache::NoteStaleServed(absl::string_view upstream_error) {
  metrics_.cache_stale_served->Increment();
  const int64_t pending = stale_since_log_.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t last = last_stale_log_ns_.load(std::memory_order_relaxed);
  if (now - last < absl::ToInt64Nanoseconds(kStaleLogInterval)) return;
  if (!last_stale_log_ns_.compare_exchange_strong(last, now)) return;  // another call logs
  stale_since_log_.fetch_sub(pending, std::memory_order_relaxed);
  LogError(absl::StrCat("cache: served ", pending,
                        " stale answer(s) since the last report: every attempt failed (last: ",
                        upstream_error, "); entries are served up to cache.stale_ttl (",
                        absl::FormatDuration(settings_.stale_ttl), ") past their TTL"));
}

size_t DecisionCache::Flush() {
  const size_t entries = store_.entries();
  store_.Clear();
  UpdateGauges();
  return entries;
}

void DecisionCache::UpdateGauges() {
  if (retired_.load(std::memory_order_relaxed)) return;
  metrics_.cache_entries->Set(static_cast<double>(store_.entries()));
  metrics_.cache_bytes->Set(static_cast<double>(store_.bytes()));
}

}  // namespace edgekit::broker
