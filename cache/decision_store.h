// The decision cache's storage: entries by key, bounded by an entry count and a byte
// size, least recently used first out. Sharded by key (16 shards, each with its own
// mutex) so concurrent hits on different keys never wait on one global lock.
//
// An entry is immutable once inserted and handed out as a shared_ptr: a hit copies a
// pointer under the shard lock and replays the answer outside it.
#ifndef EDGEKIT_CACHE_DECISION_STORE_H_
#define EDGEKIT_CACHE_DECISION_STORE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cache/cache_key.h"

namespace edgekit::cache {

using CacheTime = std::chrono::steady_clock::time_point;
using Metadata = std::vector<std::pair<std::string, std::string>>;

// One upstream answer as it is replayed: the response message's exact bytes and the
// metadata that came with it.
struct Entry {
  std::string response;
  Metadata initial_metadata;
  Metadata trailing_metadata;
  CacheTime fresh_until;  // served as a hit before this
  CacheTime stale_until;  // after fresh_until, served only when the upstream fails

  // What the entry is charged against max_bytes: its bytes plus a fixed overhead for the
  // key, the maps' nodes and the allocations.
  size_t charge() const;
};

struct StoreLimits {
  size_t max_entries = 100000;
  size_t max_bytes = 32 << 20;
};

class DecisionStore {
 public:
  static constexpr int kShards = 16;

  explicit DecisionStore(const StoreLimits& limits);

  struct Found {
    std::shared_ptr<const Entry> entry;  // null: no entry, or past stale_until
    bool fresh = false;                  // now < entry->fresh_until
  };
  // Looks `key` up; a fresh hit moves the entry to the front of its shard's LRU list.
  // An entry past stale_until is removed.
  Found Find(const CacheKey& key, CacheTime now);

  // Inserts or replaces the entry for `key`, then evicts least recently used entries of
  // that shard until it is within its share of the limits. An entry larger than a
  // shard's byte share is not stored. Returns how many entries were evicted.
  size_t Insert(const CacheKey& key, std::shared_ptr<const Entry> entry);

  // Removes every entry.
  void Clear();

  size_t entries() const { return entries_.load(std::memory_order_relaxed); }
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Shard {
    using List = std::list<std::pair<CacheKey, std::shared_ptr<const Entry>>>;
    absl::Mutex mu;
    List lru ABSL_GUARDED_BY(mu);  // front: most recently used
    absl::flat_hash_map<CacheKey, List::iterator, CacheKeyHash> index ABSL_GUARDED_BY(mu);
    size_t bytes ABSL_GUARDED_BY(mu) = 0;
  };
  Shard& ShardOf(const CacheKey& key) {
    // The digest's last byte: independent of the bytes the hash map uses.
    return shards_[key[31] % kShards];
  }
  void EraseLocked(Shard& shard, Shard::List::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  const size_t max_entries_per_shard_;
  const size_t max_bytes_per_shard_;
  Shard shards_[kShards];
  std::atomic<size_t> entries_{0};
  std::atomic<size_t> bytes_{0};
};

}  // namespace edgekit::cache

#endif  // EDGEKIT_CACHE_DECISION_STORE_H_
