// Tests for cache/decision_store: fresh and stale lookups, replacement, LRU eviction by
// count and by bytes, accounting, and a concurrent hit/miss/evict stress (run under
// ASan/UBSan in the sanitizer CI stage).
#include "cache/decision_store.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace edgekit::cache {
namespace {

using std::chrono::seconds;

CacheKey KeyOf(uint32_t n) {
  // Spread over the shards the way digests are: the store shards on the last byte.
  CacheKey key{};
  std::memcpy(key.data(), &n, sizeof(n));
  key[31] = static_cast<uint8_t>(n * 7919u);
  key[30] = static_cast<uint8_t>(n >> 8);
  return key;
}

std::shared_ptr<const Entry> MakeEntry(const std::string& response, CacheTime now, seconds fresh,
                                       seconds stale = seconds(0)) {
  auto entry = std::make_shared<Entry>();
  entry->response = response;
  entry->trailing_metadata = {{"x-identity", response}};
  entry->fresh_until = now + fresh;
  entry->stale_until = entry->fresh_until + stale;
  return entry;
}

TEST(DecisionStoreTest, FreshThenStaleThenGone) {
  DecisionStore store(StoreLimits{});
  const CacheTime t0 = CacheTime() + seconds(1000);
  store.Insert(KeyOf(1), MakeEntry("a", t0, seconds(10), seconds(5)));
  DecisionStore::Found found = store.Find(KeyOf(1), t0 + seconds(9));
  ASSERT_NE(found.entry, nullptr);
  EXPECT_TRUE(found.fresh);
  EXPECT_EQ(found.entry->response, "a");

  found = store.Find(KeyOf(1), t0 + seconds(12));  // past its TTL, within stale_ttl
  ASSERT_NE(found.entry, nullptr);
  EXPECT_FALSE(found.fresh);

  found = store.Find(KeyOf(1), t0 + seconds(15));  // past stale_until: removed
  EXPECT_EQ(found.entry, nullptr);
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.Find(KeyOf(2), t0).entry, nullptr);
}

TEST(DecisionStoreTest, InsertReplacesAndAccountsBytes) {
  DecisionStore store(StoreLimits{});
  const CacheTime t0 = CacheTime() + seconds(1000);
  const auto small = MakeEntry("a", t0, seconds(10));
  const auto large = MakeEntry(std::string(1000, 'b'), t0, seconds(10));
  store.Insert(KeyOf(1), small);
  EXPECT_EQ(store.bytes(), small->charge());
  store.Insert(KeyOf(1), large);
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.bytes(), large->charge());
  EXPECT_EQ(store.Find(KeyOf(1), t0).entry->response.size(), 1000u);
  store.Clear();
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.Find(KeyOf(1), t0).entry, nullptr);
}

TEST(DecisionStoreTest, EvictsLeastRecentlyUsedByCount) {
  // 16 entries in all: one per shard. Keys 0 and 16 land in the same shard.
  DecisionStore store(StoreLimits{DecisionStore::kShards, 1 << 20});
  const CacheTime t0 = CacheTime() + seconds(1000);
  CacheKey a = KeyOf(0), b = KeyOf(0);
  b[0] = 1;  // same shard (last byte), another key
  EXPECT_EQ(store.Insert(a, MakeEntry("a", t0, seconds(10))), 0u);
  EXPECT_EQ(store.Insert(b, MakeEntry("b", t0, seconds(10))), 1u);
  EXPECT_EQ(store.Find(a, t0).entry, nullptr);
  EXPECT_NE(store.Find(b, t0).entry, nullptr);
  EXPECT_EQ(store.entries(), 1u);
}

TEST(DecisionStoreTest, EvictsByBytesAndAHitKeepsAnEntry) {
  const CacheTime t0 = CacheTime() + seconds(1000);
  const std::string body(1000, 'x');
  const size_t charge = MakeEntry(body, t0, seconds(1))->charge();
  // Three entries fit in one shard's byte share.
  DecisionStore store(StoreLimits{100000, 3 * charge * DecisionStore::kShards});
  std::vector<CacheKey> keys;
  for (uint8_t i = 0; i < 4; ++i) {
    CacheKey key = KeyOf(0);
    key[0] = i;  // all in one shard
    keys.push_back(key);
  }
  store.Insert(keys[0], MakeEntry(body, t0, seconds(10)));
  store.Insert(keys[1], MakeEntry(body, t0, seconds(10)));
  store.Insert(keys[2], MakeEntry(body, t0, seconds(10)));
  ASSERT_NE(store.Find(keys[0], t0).entry, nullptr);  // now the most recently used
  EXPECT_EQ(store.Insert(keys[3], MakeEntry(body, t0, seconds(10))), 1u);
  EXPECT_NE(store.Find(keys[0], t0).entry, nullptr);
  EXPECT_EQ(store.Find(keys[1], t0).entry, nullptr);  // the least recently used went
  EXPECT_NE(store.Find(keys[2], t0).entry, nullptr);
  EXPECT_NE(store.Find(keys[3], t0).entry, nullptr);
  EXPECT_LE(store.bytes(), 3 * charge);
}

TEST(DecisionStoreTest, AnEntryLargerThanAShardsShareIsNotStored) {
  DecisionStore store(StoreLimits{100000, 64 * 1024});
  const CacheTime t0 = CacheTime() + seconds(1000);
  EXPECT_EQ(store.Insert(KeyOf(1), MakeEntry(std::string(8 * 1024, 'x'), t0, seconds(10))), 0u);
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_EQ(store.Find(KeyOf(1), t0).entry, nullptr);
}

// Many threads hit, miss, insert, evict, expire and clear at once on a store small enough
// to evict all the time. Checks: every answer found is the one stored for its key (no
// entry is ever served for another key), and the accounting returns to zero.
TEST(DecisionStoreTest, ConcurrentHitMissEvictStress) {
  constexpr int kThreads = 8;
  constexpr int kKeys = 2000;
  constexpr int kOps = 40000;
  DecisionStore store(StoreLimits{512, 256 * 1024});
  const CacheTime t0 = CacheTime() + seconds(1000);
  std::atomic<int> hits{0}, mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint32_t state = 2654435761u * static_cast<uint32_t>(t + 1);
      for (int i = 0; i < kOps; ++i) {
        state = state * 1664525u + 1013904223u;
        const uint32_t n = (state >> 8) % kKeys;
        const CacheTime now = t0 + seconds((state >> 4) % 20);
        const DecisionStore::Found found = store.Find(KeyOf(n), now);
        if (found.entry != nullptr) {
          hits.fetch_add(1, std::memory_order_relaxed);
          if (found.entry->response != std::to_string(n) ||
              found.entry->trailing_metadata[0].second != std::to_string(n)) {
            mismatches.fetch_add(1, std::memory_order_relaxed);
          }
        } else {
          store.Insert(KeyOf(n), MakeEntry(std::to_string(n), now, seconds(5), seconds(3)));
        }
        if (t == 0 && i % 10000 == 9999) store.Clear();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(hits.load(), 0);
  EXPECT_LE(store.entries(), 512u);
  EXPECT_LE(store.bytes(), 256u * 1024u);
  store.Clear();
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
}

}  // namespace
}  // namespace edgekit::cache
