#include "cache/decision_store.h"

#include <algorithm>

namespace edgekit::cache {

size_t Entry::charge() const {
  // What an entry really costs beyond its bytes: the shared_ptr control block with this
  // struct, the response's heap block, the LRU list node, the index slot (at the hash
  // map's load factor) and malloc's rounding. Measured with bench.py cache: RSS grew by
  // about 400 bytes per entry of a 40-byte response and no metadata, and 160 (an earlier
  // guess) let a "32 MiB" cache take 70 MiB.
  constexpr size_t kOverhead = 384;
  constexpr size_t kPerMetadata = 96;  // a pair of strings and its vector slot
  size_t size = kOverhead + response.size();
  for (const auto& [key, value] : initial_metadata) {
    size += key.size() + value.size() + kPerMetadata;
  }
  for (const auto& [key, value] : trailing_metadata) {
    size += key.size() + value.size() + kPerMetadata;
  }
  return size;
}

DecisionStore::DecisionStore(const StoreLimits& limits)
    : max_entries_per_shard_(std::max<size_t>(1, limits.max_entries / kShards)),
      max_bytes_per_shard_(std::max<size_t>(1, limits.max_bytes / kShards)) {}

DecisionStore::Found DecisionStore::Find(const CacheKey& key, CacheTime now) {
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return {};
  const std::shared_ptr<const Entry>& entry = it->second->second;
  if (now >= entry->stale_until) {
    EraseLocked(shard, it->second);
    return {};
  }
  Found found{entry, now < entry->fresh_until};
  if (found.fresh) shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return found;
}

size_t DecisionStore::Insert(const CacheKey& key, std::shared_ptr<const Entry> entry) {
  const size_t charge = entry->charge();
  if (charge > max_bytes_per_shard_) return 0;
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.index.find(key);
  if (it != shard.index.end()) EraseLocked(shard, it->second);
  shard.lru.emplace_front(key, std::move(entry));
  shard.index.emplace(key, shard.lru.begin());
  shard.bytes += charge;
  bytes_.fetch_add(charge, std::memory_order_relaxed);
  entries_.fetch_add(1, std::memory_order_relaxed);
  size_t evicted = 0;
  while (shard.lru.size() > max_entries_per_shard_ || shard.bytes > max_bytes_per_shard_) {
    EraseLocked(shard, std::prev(shard.lru.end()));
    ++evicted;
  }
  return evicted;
}

void DecisionStore::Clear() {
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    while (!shard.lru.empty()) EraseLocked(shard, shard.lru.begin());
  }
}

void DecisionStore::EraseLocked(Shard& shard, Shard::List::iterator it) {
  const size_t charge = it->second->charge();
  shard.bytes -= charge;
  bytes_.fetch_sub(charge, std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  shard.index.erase(it->first);
  shard.lru.erase(it);
}

}  // namespace edgekit::cache
