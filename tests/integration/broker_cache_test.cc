// The broker's decision cache in-process against real fake-authz gRPC servers on
// loopback. The upstream names, in every decision, the token it was made for
// (FakeAuthzOptions.identity_header = "authorization"), so a test sees which request's
// answer reached which caller; its call counters show what the cache saved.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "broker/broker_server.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/in_process_broker.h"
#include "tests/integration/test_util.h"

namespace edgekit::broker {
namespace {

using ::edgekit::fakeauthz::FakeAuthzOptions;
using ::edgekit::fakeauthz::FakeAuthzServer;
using ::edgekit::fakeauthz::IdentityOf;
using ::edgekit::fakeauthz::kIdentityHeader;
using ::edgekit::fakeauthz::LatencyModel;
using ::edgekit::testing::Broker;
using ::edgekit::testing::Failing;
using ::edgekit::testing::Fixed;
using ::edgekit::testing::HttpCall;
using ::edgekit::testing::ManualScheduler;
using ::edgekit::testing::RawCheckResult;
using ::edgekit::testing::StartUpstream;
using ::edgekit::testing::TestSettings;
using ::edgekit::testing::WaitFor;
using ::envoy::service::auth::v3::CheckRequest;
using ::envoy::service::auth::v3::CheckResponse;
using std::chrono::milliseconds;

std::unique_ptr<FakeAuthzServer> StartIdentityUpstream(const LatencyModel& model) {
  FakeAuthzOptions options;
  options.latency = model;
  options.identity_header = "authorization";
  return StartUpstream(options);
}

// A broker whose cache keys on the authorization header, with `ttl`.
BrokerSettings CacheSettingsFor(const FakeAuthzServer& upstream, absl::Duration ttl) {
  BrokerSettings settings = TestSettings({&upstream});
  settings.cache.key.headers = {"authorization"};
  settings.cache.ttl = ttl;
  // No hedge unless a test wants one: a hedge is a second upstream call to count.
  settings.hedging.max_attempts = 1;
  return settings;
}

CheckRequest Request(const std::string& token, bool allow = true) {
  CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_path("/v1/items");
  http->set_host("api.example.com");
  auto& headers = *http->mutable_headers();
  if (!token.empty()) headers["authorization"] = token;
  if (allow) headers["x-allow"] = "true";
  return request;
}

// The identity the answer was made for ("" if none).
std::string IdentityIn(const CheckResponse& response) {
  const auto& headers = response.has_ok_response() ? response.ok_response().headers()
                                                   : response.denied_response().headers();
  for (const auto& option : headers) {
    if (option.header().key() == kIdentityHeader) return option.header().value();
  }
  return "";
}

uint64_t Received(FakeAuthzServer& upstream) { return upstream.Stats().checks_received; }

TEST(BrokerCache, EveryAnswerIsItsOwnTokensUnderConcurrency) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(3)));
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());

  constexpr int kTokens = 200;
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 250;
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread its own channel, so calls really run concurrently.
      edgekit::testing::CheckClient client(absl::StrCat("127.0.0.1:", broker.server().port()));
      uint32_t state = 40503u * static_cast<uint32_t>(t + 1);
      for (int i = 0; i < kCallsPerThread; ++i) {
        state = state * 1664525u + 1013904223u;
        // Skewed: a few hot tokens, so hits, misses and coalesced waits all happen.
        const uint32_t n = (state >> 20) % 4 == 0 ? (state >> 8) % kTokens : (state >> 12) % 8;
        const std::string token = absl::StrCat("Bearer token-", n);
        const RawCheckResult result = client.CheckRaw(Request(token));
        if (!result.status.ok()) {
          failed.fetch_add(1);
        } else if (IdentityIn(result.response) != IdentityOf(token)) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0) << "an answer made for one token reached another";

  const double hits = broker.Metric("edgekit_broker_cache_hits_total");
  const double misses = broker.Metric("edgekit_broker_cache_misses_total");
  const double coalesced = broker.Metric("edgekit_broker_cache_coalesced_total");
  EXPECT_EQ(hits + misses + coalesced, kThreads * kCallsPerThread);
  EXPECT_GT(hits, 0);
  // Upstream calls are the misses, about one per distinct token: a token's entry is
  // stored before its flight lands, so only a call that missed just before the store and
  // joined just after the landing goes up a second time.
  const uint64_t upstream_calls = Received(*upstream);
  EXPECT_EQ(static_cast<double>(upstream_calls), misses);
  EXPECT_LE(upstream_calls, static_cast<uint64_t>(kTokens * 1.1));
  EXPECT_LE(broker.Metric("edgekit_broker_cache_entries"), kTokens);
}

TEST(BrokerCache, UpstreamCallsAreDistinctKeysPerTtl) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  ManualScheduler clock;
  Broker broker(CacheSettingsFor(*upstream, absl::Milliseconds(400)), &clock);
  ASSERT_TRUE(broker.WaitReady());
  constexpr int kTokens = 20;
  for (int round = 0; round < 3; ++round) {
    for (int n = 0; n < kTokens; ++n) {
      const std::string token = absl::StrCat("t", n);
      ASSERT_EQ(IdentityIn(broker.client().CheckRaw(Request(token)).response), IdentityOf(token));
    }
  }
  EXPECT_EQ(Received(*upstream), static_cast<uint64_t>(kTokens));  // one TTL: once each
  clock.Advance(absl::Milliseconds(400));                          // every entry expired
  for (int n = 0; n < kTokens; ++n) broker.client().CheckRaw(Request(absl::StrCat("t", n)));
  EXPECT_EQ(Received(*upstream), static_cast<uint64_t>(2 * kTokens));
}

TEST(BrokerCache, AHitReplaysTheStoredAnswerExactly) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  // The fake echoes x-echo as response metadata: an input the key leaves out, so the hit
  // carries the first call's metadata. (This is why a key must hold every input of the
  // decision.)
  const RawCheckResult miss =
      broker.client().CheckRaw(Request("Bearer a"), milliseconds(2000), {{"x-echo", "first"}});
  const RawCheckResult hit =
      broker.client().CheckRaw(Request("Bearer a"), milliseconds(2000), {{"x-echo", "second"}});
  ASSERT_TRUE(miss.status.ok() && hit.status.ok());
  EXPECT_EQ(Received(*upstream), 1u);
  EXPECT_EQ(hit.response.SerializeAsString(), miss.response.SerializeAsString());
  EXPECT_THAT(hit.initial_metadata,
              ::testing::Contains(::testing::Pair("x-echo-initial", "first")));
  EXPECT_THAT(hit.trailing_metadata,
              ::testing::Contains(::testing::Pair("x-echo-trailing", "first")));
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_hits_total"), 1);
}

TEST(BrokerCache, OffByDefaultAndWithoutAKeyHeaderNothingIsCached) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings off = TestSettings({upstream.get()});
  off.hedging.max_attempts = 1;
  {
    Broker broker(off);
    ASSERT_TRUE(broker.WaitReady());
    for (int i = 0; i < 3; ++i) broker.client().CheckRaw(Request("Bearer a"));
    EXPECT_EQ(Received(*upstream), 3u);
    EXPECT_EQ(broker.Metric("edgekit_broker_cache_bypassed_total"), 0);
    EXPECT_EQ(broker.Metric("edgekit_broker_cache_misses_total"), 0);
  }
  upstream->Stats(/*reset=*/true);
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(broker.client().CheckRaw(Request("")).status.ok());  // no authorization
  }
  EXPECT_EQ(Received(*upstream), 3u);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_bypassed_total"), 3);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 0);
}

TEST(BrokerCache, ErrorsAndUnavailableAreNeverCached) {
  auto upstream = StartIdentityUpstream(Failing(grpc::StatusCode::UNAVAILABLE));
  BrokerSettings settings = CacheSettingsFor(*upstream, absl::Seconds(60));
  settings.hedging.max_attempts = 2;             // UNAVAILABLE is retried: both attempts fail
  settings.cache.stale_ttl = absl::Seconds(60);  // nothing stored, so nothing stale
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  for (grpc::StatusCode code : {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::INTERNAL,
                                grpc::StatusCode::PERMISSION_DENIED}) {
    ASSERT_TRUE(upstream->SetLatencyModel(Failing(code)).ok());
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(broker.client().CheckRaw(Request("Bearer a")).status.error_code(), code);
    }
  }
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 0);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_hits_total"), 0);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_stale_served_total"), 0);
  // The upstream recovers: the next call goes to it and its answer is the first stored.
  ASSERT_TRUE(upstream->SetLatencyModel(Fixed(absl::Milliseconds(1))).ok());
  const uint64_t before = Received(*upstream);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(IdentityIn(broker.client().CheckRaw(Request("Bearer a")).response),
              IdentityOf("Bearer a"));
  }
  EXPECT_EQ(Received(*upstream), before + 1);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 1);
}

TEST(BrokerCache, ABrokerMadeAnswerIsNeverCached) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = CacheSettingsFor(*upstream, absl::Seconds(60));
  edgekit::broker::v1::DirectResponses config;
  auto* rule = config.add_rules();
  rule->set_name("blocked");
  rule->mutable_when()->mutable_header()->set_name("x-block");
  rule->mutable_when()->mutable_header()->set_present(true);
  rule->mutable_respond()->set_status(403);
  auto compiled = rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses");
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  settings.direct_responses.rules = *compiled;
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());

  CheckRequest blocked = Request("Bearer a");
  (*blocked.mutable_attributes()->mutable_request()->mutable_http()->mutable_headers())["x-block"] =
      "1";
  const RawCheckResult rule_answer = broker.client().CheckRaw(blocked);
  ASSERT_TRUE(rule_answer.status.ok());
  EXPECT_EQ(rule_answer.response.denied_response().status().code(), 403);
  EXPECT_EQ(Received(*upstream), 0u);
  // The same token without the header: the rule's denial was not stored for it.
  EXPECT_EQ(IdentityIn(broker.client().CheckRaw(Request("Bearer a")).response),
            IdentityOf("Bearer a"));
  EXPECT_EQ(Received(*upstream), 1u);
  // A deadline the broker enforces is its own answer too: never stored.
  ASSERT_TRUE(upstream->SetLatencyModel(Fixed(absl::Milliseconds(500))).ok());
  EXPECT_EQ(broker.client().CheckRaw(Request("Bearer b"), milliseconds(100)).status.error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  ASSERT_TRUE(upstream->SetLatencyModel(Fixed(absl::Milliseconds(1))).ok());
  const uint64_t before = Received(*upstream);
  EXPECT_EQ(IdentityIn(broker.client().CheckRaw(Request("Bearer b")).response),
            IdentityOf("Bearer b"));
  EXPECT_EQ(Received(*upstream), before + 1);
}

TEST(BrokerCache, TheUpstreamCanForbidOrShortenCaching) {
  LatencyModel no_store = Fixed(absl::Milliseconds(1));
  no_store.trailing_metadata = {{"x-edgekit-cache-ttl", "0"}};
  auto upstream = StartIdentityUpstream(no_store);
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  for (int i = 0; i < 3; ++i) broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 3u);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 0);

  // A value the broker does not understand stores nothing either.
  no_store.trailing_metadata = {{"x-edgekit-cache-ttl", "soon"}};
  ASSERT_TRUE(upstream->SetLatencyModel(no_store).ok());
  for (int i = 0; i < 2; ++i) broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 5u);

  // A TTL the upstream lowers (or tries to raise) is timed on a manual clock in
  // tests/broker/server_call_test.cc (TheUpstreamCanLowerTheTtlButNotRaiseIt).
}

TEST(BrokerCache, DenialsAreCachedOnlyWithDenyTtl) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  {
    Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
    ASSERT_TRUE(broker.WaitReady());
    for (int i = 0; i < 3; ++i) {
      const RawCheckResult result = broker.client().CheckRaw(Request("Bearer a", false));
      ASSERT_TRUE(result.status.ok());
      EXPECT_EQ(result.response.status().code(), 7);
    }
    EXPECT_EQ(Received(*upstream), 3u);
  }
  upstream->Stats(/*reset=*/true);
  BrokerSettings settings = CacheSettingsFor(*upstream, absl::Seconds(60));
  settings.cache.deny_ttl = absl::Milliseconds(300);
  ManualScheduler clock;
  Broker broker(settings, &clock);
  ASSERT_TRUE(broker.WaitReady());
  for (int i = 0; i < 3; ++i) {
    const RawCheckResult result = broker.client().CheckRaw(Request("Bearer a", false));
    EXPECT_EQ(result.response.status().code(), 7);
    EXPECT_EQ(IdentityIn(result.response), IdentityOf("Bearer a"));
  }
  EXPECT_EQ(Received(*upstream), 1u);
  // The denial's own TTL, not the allow's 60 s.
  clock.Advance(absl::Milliseconds(300));
  broker.client().CheckRaw(Request("Bearer a", false));
  EXPECT_EQ(Received(*upstream), 2u);
}

TEST(BrokerCache, StaleIfErrorServesOnlyWithinItsTtl) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = CacheSettingsFor(*upstream, absl::Milliseconds(300));
  settings.cache.stale_ttl = absl::Milliseconds(1000);
  ManualScheduler clock;
  Broker broker(settings, &clock);
  ASSERT_TRUE(broker.WaitReady());
  const RawCheckResult fresh = broker.client().CheckRaw(Request("Bearer a"));
  ASSERT_TRUE(fresh.status.ok());
  ASSERT_TRUE(upstream->SetLatencyModel(Failing(grpc::StatusCode::UNAVAILABLE)).ok());

  // Expired, within stale_ttl, the upstream failing: the stored answer.
  clock.Advance(absl::Milliseconds(500));
  const RawCheckResult stale = broker.client().CheckRaw(Request("Bearer a"));
  ASSERT_TRUE(stale.status.ok()) << stale.status.error_message();
  EXPECT_EQ(stale.response.SerializeAsString(), fresh.response.SerializeAsString());
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_stale_served_total"), 1);
  // Another token has nothing stored: the upstream's error.
  EXPECT_EQ(broker.client().CheckRaw(Request("Bearer b")).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // Past ttl + stale_ttl: the error.
  clock.Advance(absl::Milliseconds(800));  // 1300 ms after storing: ttl + stale_ttl is 1300
  EXPECT_EQ(broker.client().CheckRaw(Request("Bearer a")).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_stale_served_total"), 1);
}

TEST(BrokerCache, WithoutStaleTtlAnExpiredEntryIsNotServed) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  ManualScheduler clock;
  Broker broker(CacheSettingsFor(*upstream, absl::Milliseconds(200)), &clock);
  ASSERT_TRUE(broker.WaitReady());
  ASSERT_TRUE(broker.client().CheckRaw(Request("Bearer a")).status.ok());
  ASSERT_TRUE(upstream->SetLatencyModel(Failing(grpc::StatusCode::UNAVAILABLE)).ok());
  clock.Advance(absl::Milliseconds(200));
  EXPECT_EQ(broker.client().CheckRaw(Request("Bearer a")).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_stale_served_total"), 0);
}

// Calls with one key started together; each result with how long it took.
struct Timed {
  RawCheckResult result;
  milliseconds took{0};
};
std::vector<Timed> ConcurrentCalls(int port, const std::vector<milliseconds>& deadlines,
                                   const std::string& token) {
  std::vector<Timed> out(deadlines.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < deadlines.size(); ++i) {
    threads.emplace_back([&, i] {
      edgekit::testing::CheckClient client(absl::StrCat("127.0.0.1:", port));
      // The first call leads: the others start once it is surely in the air.
      if (i > 0) std::this_thread::sleep_for(milliseconds(200));
      const auto start = std::chrono::steady_clock::now();
      out[i].result = client.CheckRaw(Request(token), deadlines[i]);
      out[i].took =
          std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    });
  }
  for (std::thread& thread : threads) thread.join();
  return out;
}

TEST(BrokerCache, ConcurrentCallsShareOneUpstreamCall) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(600)));
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  const std::vector<Timed> calls = ConcurrentCalls(
      broker.server().port(), std::vector<milliseconds>(6, milliseconds(5000)), "Bearer a");
  for (const Timed& call : calls) {
    ASSERT_TRUE(call.result.status.ok()) << call.result.status.error_message();
    EXPECT_EQ(IdentityIn(call.result.response), IdentityOf("Bearer a"));
  }
  EXPECT_EQ(Received(*upstream), 1u);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_coalesced_total"), 5);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_misses_total"), 1);
}

TEST(BrokerCache, AFollowerNeverWaitsPastItsOwnDeadline) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1500)));
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  const std::vector<Timed> calls =
      ConcurrentCalls(broker.server().port(),
                      {milliseconds(5000), milliseconds(400), milliseconds(400)}, "Bearer a");
  ASSERT_TRUE(calls[0].result.status.ok()) << calls[0].result.status.error_message();
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_LT(calls[i].took, milliseconds(1200)) << "a follower waited for the leader";
  }
  EXPECT_EQ(Received(*upstream), 1u);  // the followers never went upstream
}

TEST(BrokerCache, AFollowerWithoutADeadlineWaitsNoLongerThanTheDefaultDeadline) {
  // No deadline from the caller: gRPC would never end the call, the broker's own bound
  // (upstream.default_deadline, as for a forwarded call) must.
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1500)));
  BrokerSettings settings = CacheSettingsFor(*upstream, absl::Seconds(60));
  settings.upstream.default_deadline = absl::Milliseconds(400);
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  const std::vector<Timed> calls = ConcurrentCalls(
      broker.server().port(), {milliseconds(5000), milliseconds(0), milliseconds(0)}, "Bearer a");
  ASSERT_TRUE(calls[0].result.status.ok()) << calls[0].result.status.error_message();
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_THAT(calls[i].result.status.error_message(),
                ::testing::HasSubstr("waiting for a concurrent call with the same cache key"));
    EXPECT_LT(calls[i].took, milliseconds(1200)) << "a follower waited for the leader";
  }
  EXPECT_EQ(Received(*upstream), 1u);
}

TEST(BrokerCache, ALeadersErrorIsNotHandedToFollowers) {
  auto upstream =
      StartIdentityUpstream(Failing(grpc::StatusCode::UNAVAILABLE, absl::Milliseconds(400)));
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  const std::vector<Timed> calls = ConcurrentCalls(
      broker.server().port(), std::vector<milliseconds>(4, milliseconds(5000)), "Bearer a");
  for (const Timed& call : calls) {
    EXPECT_EQ(call.result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
    // The upstream's own error, from each call's own attempt.
    EXPECT_EQ(call.result.status.error_message(), "injected by the test");
  }
  EXPECT_EQ(Received(*upstream), 4u);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_coalesced_total"), 0);
}

TEST(BrokerCache, AnAnswerTheUpstreamForbidsStoringIsNotHandedToFollowers) {
  LatencyModel no_store = Fixed(absl::Milliseconds(400));
  no_store.trailing_metadata = {{"x-edgekit-cache-ttl", "0"}};
  auto upstream = StartIdentityUpstream(no_store);
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  const std::vector<Timed> calls = ConcurrentCalls(
      broker.server().port(), std::vector<milliseconds>(4, milliseconds(5000)), "Bearer a");
  for (const Timed& call : calls) ASSERT_TRUE(call.result.status.ok());
  EXPECT_EQ(Received(*upstream), 4u);
}

TEST(BrokerCache, TheByteLimitEvictsLeastRecentlyUsed) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = CacheSettingsFor(*upstream, absl::Seconds(60));
  settings.cache.max_bytes = 64 * 1024;  // the smallest allowed: a few hundred entries
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  constexpr int kTokens = 2000;
  for (int n = 0; n < kTokens; ++n) {
    ASSERT_TRUE(broker.client().CheckRaw(Request(absl::StrCat("Bearer ", n))).status.ok());
  }
  const double entries = broker.Metric("edgekit_broker_cache_entries");
  const double bytes = broker.Metric("edgekit_broker_cache_bytes");
  const double evictions = broker.Metric("edgekit_broker_cache_evictions_total");
  EXPECT_GT(entries, 50);
  EXPECT_LT(entries, kTokens);
  EXPECT_LE(bytes, 64 * 1024);
  EXPECT_EQ(evictions + entries, kTokens);
  // The first tokens were evicted: asking again goes upstream; the last one is a hit.
  const uint64_t before = Received(*upstream);
  broker.client().CheckRaw(Request("Bearer 0"));
  EXPECT_EQ(Received(*upstream), before + 1);
  broker.client().CheckRaw(Request(absl::StrCat("Bearer ", kTokens - 1)));
  EXPECT_EQ(Received(*upstream), before + 1);
}

TEST(BrokerCache, AReloadWithANewKeyDefinitionEmptiesTheCache) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  const BrokerSettings settings = CacheSettingsFor(*upstream, absl::Seconds(60));
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 1);

  // The same settings again (a reload that changed something else): entries kept.
  EXPECT_FALSE(broker.server().ApplyCacheSettings(settings.cache));
  broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 1u);

  CacheSettings keyed_on_host = settings.cache;
  keyed_on_host.key.host = true;
  EXPECT_TRUE(broker.server().ApplyCacheSettings(keyed_on_host));
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 0);
  broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 2u);
  broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 2u);

  // Turned off by a reload: every call goes upstream.
  EXPECT_TRUE(broker.server().ApplyCacheSettings(CacheSettings{}));
  broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 3u);
}

TEST(BrokerCache, TheFlushEndpointEmptiesTheCache) {
  auto upstream = StartIdentityUpstream(Fixed(absl::Milliseconds(1)));
  Broker broker(CacheSettingsFor(*upstream, absl::Seconds(60)));
  ASSERT_TRUE(broker.WaitReady());
  broker.client().CheckRaw(Request("Bearer a"));
  broker.client().CheckRaw(Request("Bearer b"));
  const int port = broker.server().metrics_port();
  EXPECT_EQ(HttpCall(port, "GET", "/cache/flush").status, 405);
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 2);
  const auto flushed = HttpCall(port, "POST", "/cache/flush");
  EXPECT_EQ(flushed.status, 200);
  EXPECT_EQ(flushed.body, "flushed 2 entries\n");
  EXPECT_EQ(broker.Metric("edgekit_broker_cache_entries"), 0);
  broker.client().CheckRaw(Request("Bearer a"));
  EXPECT_EQ(Received(*upstream), 3u);
}

}  // namespace
}  // namespace edgekit::broker
