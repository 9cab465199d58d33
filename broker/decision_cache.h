// The broker's decision cache: which Check calls may be answered from a stored upstream
// answer, which upstream answers may be stored, and the coalescing of concurrent calls
// with one key into one upstream call (a "flight": the first call leads, the others
// wait for its answer).
//
// Safe by construction: only an OK call carrying a CheckResponse the upstream sent is
// stored (a denial only with deny_ttl), never a gRPC error or an answer the broker made;
// the upstream can lower the TTL or forbid storing per answer (kCacheTtlKey); a waiting
// call is handed only an answer that was stored, so a leader's error or an answer the
// upstream marked uncacheable never answers another call.
//
// Threading: a DecisionCache is shared by every call (through the CallConfig snapshot;
// a reload that changes the cache settings builds a new one); its store is sharded and
// its flights are in sharded maps, each under its own mutex, held only for the map
// operation: a leader landing its flight calls the waiters after leaving the shard.
#ifndef EDGEKIT_BROKER_DECISION_CACHE_H_
#define EDGEKIT_BROKER_DECISION_CACHE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/metrics.h"
#include "broker/settings.h"
#include "cache/cache_key.h"
#include "cache/decision_store.h"

namespace edgekit::broker {

// Response metadata (initial or trailing) by which the upstream lowers the TTL of one
// answer: whole seconds, "0" = do not store this answer. The operator's TTL is the
// ceiling; a value that is not a whole number stores nothing.
inline constexpr char kCacheTtlKey[] = "x-edgekit-cache-ttl";

// A call waiting for a flight's answer.
class FlightWaiter {
 public:
  virtual ~FlightWaiter() = default;
  // The flight ended: `entry` is the stored answer to replay, or null (the leader failed
  // or its answer was not stored) and the waiter goes upstream itself. Called on the
  // leader's thread, under no lock: the waiter posts itself an event (server_call.h).
  virtual void OnFlightDone(std::shared_ptr<const cache::Entry> entry) = 0;
};

class DecisionCache {
 public:
  DecisionCache(const CacheSettings& settings, const cache::Secret& secret, BrokerMetrics& metrics);

  const CacheSettings& settings() const { return settings_; }
  bool enabled() const { return settings_.enabled(); }

  // nullopt: the request carries no key header and is not cached.
  std::optional<cache::CacheKey> Key(const rules::RequestView& request) const {
    return keys_.Build(request);
  }
  cache::DecisionStore::Found Find(const cache::CacheKey& key, cache::CacheTime now) {
    return store_.Find(key, now);
  }

  // Joins the flight for `key`, or starts it: true when `waiter` leads (no flight was
  // in the air), false when it now waits for the leader's answer.
  bool JoinOrLead(const cache::CacheKey& key, FlightWaiter* waiter);
  // A waiter gives up (its deadline, or its caller went away). False when the flight has
  // already ended: OnFlightDone is then on its way to it.
  bool Leave(const cache::CacheKey& key, FlightWaiter* waiter);
  // The leader's flight ends: every waiter is called with `entry`.
  void Land(const cache::CacheKey& key, std::shared_ptr<const cache::Entry> entry);

  // The entry to store for an upstream answer (an OK call with `response`), or null
  // when the settings or the upstream's kCacheTtlKey say not to store it.
  std::shared_ptr<const cache::Entry> Admit(std::string response, cache::Metadata initial,
                                            cache::Metadata trailing, cache::CacheTime now) const;
  void Insert(const cache::CacheKey& key, std::shared_ptr<const cache::Entry> entry);

  // Counts a stale answer served and logs, at most once per interval, how many.
  void NoteStaleServed(absl::string_view upstream_error);

  // Empties the store (flights in the air are left to land). Returns the entries dropped.
  size_t Flush();

  // A reload replaced this cache: calls still holding it may finish and insert, but it
  // no longer writes the entries and bytes gauges (they are the new cache's).
  void Retire() { retired_.store(true, std::memory_order_relaxed); }

 private:
  struct FlightShard {
    absl::Mutex mu;
    absl::flat_hash_map<cache::CacheKey, std::vector<FlightWaiter*>, cache::CacheKeyHash> flights
        ABSL_GUARDED_BY(mu);
  };
  FlightShard& FlightShardOf(const cache::CacheKey& key) {
    return flight_shards_[key[30] % cache::DecisionStore::kShards];
  }
  void UpdateGauges();

  const CacheSettings settings_;
  const cache::KeyBuilder keys_;
  BrokerMetrics& metrics_;
  cache::DecisionStore store_;
  FlightShard flight_shards_[cache::DecisionStore::kShards];
  std::atomic<bool> retired_{false};
  std::atomic<int64_t> stale_since_log_{0};
  std::atomic<int64_t> last_stale_log_ns_{0};
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_DECISION_CACHE_H_
