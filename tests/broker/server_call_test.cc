// The call state machine (server_call.cc, hedged_forward.cc, the stages) driven exactly:
// a broker whose time is a ManualScheduler, in front of a FakeUpstream that holds every
// attempt until the test answers it. No test here sleeps: time moves when the test
// advances it, and the test waits only for things to happen (an attempt to arrive, a
// timer to be armed, a call to end).
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "broker/broker_server.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"
#include "tests/testing/fake_upstream.h"
#include "tests/testing/manual_scheduler.h"

namespace edgekit::broker {
namespace {

using ::edgekit::testing::CheckClient;
using ::edgekit::testing::FakeUpstream;
using ::edgekit::testing::ManualScheduler;
using ::edgekit::testing::RawCheckResult;
using ::envoy::service::auth::v3::CheckRequest;
using ::envoy::service::auth::v3::CheckResponse;
using std::chrono::milliseconds;

constexpr absl::Duration kHedgeDelay = absl::Milliseconds(50);

CheckResponse Allow(const std::string& marker = "") {
  CheckResponse response;
  response.mutable_status()->set_code(0);
  auto* header = response.mutable_ok_response()->add_headers()->mutable_header();
  header->set_key("x-answered-by");
  header->set_value(marker);
  return response;
}

std::string AnsweredBy(const RawCheckResult& result) {
  for (const auto& option : result.response.ok_response().headers()) {
    if (option.header().key() == "x-answered-by") return option.header().value();
  }
  return "<none>";
}

CheckRequest Request(const std::string& token = "") {
  CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_path("/v1/items");
  http->set_host("api.example.com");
  if (!token.empty()) (*http->mutable_headers())["authorization"] = token;
  return request;
}

class ServerCallTest : public ::testing::Test {
 protected:
  // Two endpoints (so a hedge goes to the other one), a fixed hedge delay, a budget that
  // never runs out.
  BrokerSettings Settings() {
    BrokerSettings settings;
    settings.listen = "127.0.0.1:0";
    settings.metrics_listen = "127.0.0.1:0";
    settings.upstream.target = upstream_.target();
    settings.hedging.max_attempts = 2;
    settings.hedging.initial_delay = kHedgeDelay;
    settings.hedging.min_samples = 1000000;
    settings.hedging.budget = 1.0;
    settings.drain_timeout = absl::Seconds(2);
    return settings;
  }
  // The same with the decision cache keyed on authorization, and no hedging (only the
  // tick's timer is then pending while a call waits upstream).
  BrokerSettings CacheSettings(absl::Duration ttl) {
    BrokerSettings settings = Settings();
    settings.hedging.max_attempts = 1;
    settings.cache.key.headers = {"authorization"};
    settings.cache.ttl = ttl;
    return settings;
  }

  void Start(const BrokerSettings& settings) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
    auto server = BrokerServer::Start(settings, &clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<CheckClient>(absl::StrCat("127.0.0.1:", server_->port()));
  }

  // A Check call on its own thread; the test drives the upstream and the clock meanwhile.
  std::future<RawCheckResult> Call(const CheckRequest& request = Request(),
                                   milliseconds deadline = milliseconds(20000)) {
    return std::async(std::launch::async,
                      [this, request, deadline] { return client_->CheckRaw(request, deadline); });
  }

  double Count(prometheus::Counter* counter) { return counter->Value(); }

  // Two calls with one cache key under a 10 s TTL: the leader's attempt held upstream, the
  // follower waiting on the leader's flight.
  struct Flight {
    std::future<RawCheckResult> leader;
    std::shared_ptr<FakeUpstream::Attempt> attempt;
    std::future<RawCheckResult> follower;
  };
  void StartFlight(Flight* f, milliseconds follower_deadline = milliseconds(20000)) {
    Start(CacheSettings(absl::Seconds(10)));
    f->leader = Call(Request("Bearer a"));
    f->attempt = upstream_.Next();
    ASSERT_NE(f->attempt, nullptr);
    f->follower = Call(Request("Bearer a"), follower_deadline);
    // The tick's timer, and the follower's deadline while it waits for the leader.
    ASSERT_TRUE(clock_.WaitForPending(2));
  }

  ManualScheduler clock_;
  FakeUpstream upstream_{2};
  std::unique_ptr<BrokerServer> server_;
  std::unique_ptr<CheckClient> client_;
};

TEST_F(ServerCallTest, TheHedgeGoesOutAtTheDelayAndTheFirstAnswerWins) {
  Start(Settings());
  auto call = Call();
  auto primary = upstream_.Next();
  ASSERT_NE(primary, nullptr);
  EXPECT_EQ(primary->Metadata("grpc-previous-rpc-attempts"), "<absent>");
  const auto hedge_at = clock_.Now() + absl::ToChronoNanoseconds(kHedgeDelay);
  ASSERT_TRUE(clock_.WaitForTimerAt(hedge_at));

  // A call's timer event may be handled on a worker after Advance returns (the worker
  // was still busy with the call), so "not yet" is asserted on the timer itself: while it
  // is pending, no hedge can have been sent.
  clock_.Advance(kHedgeDelay - absl::Milliseconds(1));
  EXPECT_TRUE(clock_.HasTimerAt(hedge_at));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(clock_.HasTimerAt(hedge_at));
  auto hedge = upstream_.Next();
  ASSERT_NE(hedge, nullptr);
  EXPECT_EQ(hedge->Metadata("grpc-previous-rpc-attempts"), "1");

  ASSERT_TRUE(hedge->Answer(Allow("hedge")));
  const RawCheckResult result = call.get();
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(AnsweredBy(result), "hedge");
  EXPECT_TRUE(primary->WaitCancelled());
  EXPECT_FALSE(primary->Answer(Allow("primary")));  // too late: cancelled
  EXPECT_EQ(Count(server_->metrics().hedges), 1);
  EXPECT_EQ(Count(server_->metrics().hedge_wins), 1);
  EXPECT_EQ(Count(server_->metrics().cancelled), 1);
}

TEST_F(ServerCallTest, AnAnswerBeforeTheDelayMeansNoHedge) {
  Start(Settings());
  auto call = Call();
  auto primary = upstream_.Next();
  ASSERT_NE(primary, nullptr);
  ASSERT_TRUE(primary->Answer(Allow("primary")));
  EXPECT_EQ(AnsweredBy(call.get()), "primary");
  EXPECT_EQ(clock_.pending(), 1u);  // the tick's: the hedge timer went with the answer
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Count(server_->metrics().hedges), 0);
  EXPECT_EQ(upstream_.received(), 1u);
}

TEST_F(ServerCallTest, ANonFatalFailureIsRetriedAtOnce) {
  Start(Settings());
  auto call = Call();
  auto primary = upstream_.Next();
  ASSERT_NE(primary, nullptr);
  ASSERT_TRUE(primary->Fail(grpc::StatusCode::UNAVAILABLE));
  auto retry = upstream_.Next();  // no time passes
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->Metadata("grpc-previous-rpc-attempts"), "1");
  ASSERT_TRUE(retry->Answer(Allow("retry")));
  EXPECT_EQ(AnsweredBy(call.get()), "retry");
}

TEST_F(ServerCallTest, PushbackDelaysTheRetryExactly) {
  Start(Settings());
  auto call = Call();
  auto primary = upstream_.Next();
  ASSERT_NE(primary, nullptr);
  const auto failed_at = clock_.Now();
  ASSERT_TRUE(primary->Fail(grpc::StatusCode::UNAVAILABLE, {{"grpc-retry-pushback-ms", "30"}}));
  // The retry replaces the hedge timer, 30 ms from the failure.
  const auto retry_at = failed_at + milliseconds(30);
  ASSERT_TRUE(clock_.WaitForTimerAt(retry_at));
  clock_.Advance(absl::Milliseconds(29));
  EXPECT_TRUE(clock_.HasTimerAt(retry_at));
  EXPECT_EQ(upstream_.received(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  auto retry = upstream_.Next();
  ASSERT_NE(retry, nullptr);
  ASSERT_TRUE(retry->Answer(Allow("retry")));
  EXPECT_EQ(AnsweredBy(call.get()), "retry");
  EXPECT_EQ(Count(server_->metrics().hedge_attempts), 1);
}

TEST_F(ServerCallTest, PushbackStopMeansTheFailureIsTheAnswer) {
  Start(Settings());
  auto call = Call();
  auto primary = upstream_.Next();
  ASSERT_NE(primary, nullptr);
  ASSERT_TRUE(primary->Fail(grpc::StatusCode::UNAVAILABLE, {{"grpc-retry-pushback-ms", "-1"}}));
  EXPECT_EQ(call.get().status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(upstream_.received(), 1u);
}

TEST_F(ServerCallTest, CallsWithOneKeyShareOneUpstreamCall) {
  Flight f;
  ASSERT_NO_FATAL_FAILURE(StartFlight(&f));
  ASSERT_TRUE(f.attempt->Answer(Allow("shared")));
  EXPECT_EQ(AnsweredBy(f.leader.get()), "shared");
  EXPECT_EQ(AnsweredBy(f.follower.get()), "shared");
  EXPECT_EQ(upstream_.received(), 1u);
  EXPECT_EQ(Count(server_->metrics().cache_misses), 1);
  EXPECT_EQ(Count(server_->metrics().cache_coalesced), 1);
}

TEST_F(ServerCallTest, AWaitingCallEndsAtItsOwnDeadline) {
  Flight f;
  ASSERT_NO_FATAL_FAILURE(StartFlight(&f, milliseconds(5000)));
  clock_.Advance(absl::Seconds(6));  // the follower's deadline, not the leader's (20 s)
  const RawCheckResult waited = f.follower.get();
  EXPECT_EQ(waited.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_NE(waited.status.error_message().find("concurrent call with the same cache key"),
            std::string::npos);
  ASSERT_TRUE(f.attempt->Answer(Allow("leader")));
  EXPECT_EQ(AnsweredBy(f.leader.get()), "leader");
}

TEST_F(ServerCallTest, ALeadersFailureSendsItsWaitersUpstream) {
  Flight f;
  ASSERT_NO_FATAL_FAILURE(StartFlight(&f));
  ASSERT_TRUE(f.attempt->Fail(grpc::StatusCode::PERMISSION_DENIED));
  EXPECT_EQ(f.leader.get().status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto own = upstream_.Next();  // the follower's own attempt
  ASSERT_NE(own, nullptr);
  ASSERT_TRUE(own->Answer(Allow("own")));
  EXPECT_EQ(AnsweredBy(f.follower.get()), "own");
  EXPECT_EQ(Count(server_->metrics().cache_misses), 2);
  EXPECT_EQ(Count(server_->metrics().cache_coalesced), 0);
}

TEST_F(ServerCallTest, EntriesExpireOnTheSchedulersClock) {
  Start(CacheSettings(absl::Seconds(1)));
  auto first = Call(Request("Bearer a"));
  auto attempt = upstream_.Next();
  ASSERT_NE(attempt, nullptr);
  ASSERT_TRUE(attempt->Answer(Allow("stored")));
  EXPECT_EQ(AnsweredBy(first.get()), "stored");

  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(AnsweredBy(Call(Request("Bearer a")).get()), "stored");  // a hit
  EXPECT_EQ(Count(server_->metrics().cache_hits), 1);

  clock_.Advance(absl::Milliseconds(1));  // the TTL is over
  auto expired = Call(Request("Bearer a"));
  auto again = upstream_.Next();
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Answer(Allow("fresh")));
  EXPECT_EQ(AnsweredBy(expired.get()), "fresh");
  EXPECT_EQ(upstream_.received(), 2u);
}

TEST_F(ServerCallTest, TheUpstreamCanLowerTheTtlButNotRaiseIt) {
  Start(CacheSettings(absl::Seconds(60)));
  // "1": one second instead of the operator's 60.
  auto first = Call(Request("Bearer a"));
  auto attempt = upstream_.Next();
  ASSERT_NE(attempt, nullptr);
  ASSERT_TRUE(attempt->Answer(Allow("one-second"), {}, {{"x-edgekit-cache-ttl", "1"}}));
  first.get();
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(AnsweredBy(Call(Request("Bearer a")).get()), "one-second");
  clock_.Advance(absl::Milliseconds(1));
  auto expired = Call(Request("Bearer a"));
  auto again = upstream_.Next();
  ASSERT_NE(again, nullptr);
  // "3600" (initial metadata this time): more than the operator's 60 s, which wins.
  ASSERT_TRUE(again->Answer(Allow("sixty-seconds"), {{"x-edgekit-cache-ttl", "3600"}}));
  EXPECT_EQ(AnsweredBy(expired.get()), "sixty-seconds");
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(AnsweredBy(Call(Request("Bearer a")).get()), "sixty-seconds");
  clock_.Advance(absl::Seconds(1));
  auto after = Call(Request("Bearer a"));
  auto third = upstream_.Next();
  ASSERT_NE(third, nullptr);
  ASSERT_TRUE(third->Answer(Allow("third")));
  EXPECT_EQ(AnsweredBy(after.get()), "third");
  EXPECT_EQ(upstream_.received(), 3u);
}

TEST_F(ServerCallTest, AFailureIsAnsweredFromAStaleEntryWithinStaleTtl) {
  BrokerSettings settings = CacheSettings(absl::Seconds(1));
  settings.cache.stale_ttl = absl::Seconds(10);
  Start(settings);
  auto first = Call(Request("Bearer a"));
  auto attempt = upstream_.Next();
  ASSERT_NE(attempt, nullptr);
  ASSERT_TRUE(attempt->Answer(Allow("stored")));
  first.get();

  clock_.Advance(absl::Seconds(5));  // expired, still within stale_ttl
  auto during_outage = Call(Request("Bearer a"));
  auto failing = upstream_.Next();
  ASSERT_NE(failing, nullptr);
  ASSERT_TRUE(failing->Fail(grpc::StatusCode::UNAVAILABLE));
  const RawCheckResult stale = during_outage.get();
  ASSERT_TRUE(stale.status.ok()) << stale.status.error_message();
  EXPECT_EQ(AnsweredBy(stale), "stored");
  EXPECT_EQ(Count(server_->metrics().cache_stale_served), 1);

  clock_.Advance(absl::Seconds(6));  // past stale_ttl: the failure is the answer
  auto later = Call(Request("Bearer a"));
  auto failing_again = upstream_.Next();
  ASSERT_NE(failing_again, nullptr);
  ASSERT_TRUE(failing_again->Fail(grpc::StatusCode::UNAVAILABLE));
  EXPECT_EQ(later.get().status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// The forwarder behind its interface, replaced: a scripted one that answers every call
// at once with a marked answer, no upstream involved. The server call and the stages
// around it (here the cache, storing the scripted answer) work the same.
class ScriptedForwarder final : public Forwarder {
 public:
  std::unique_ptr<Forward> Begin(ForwardHost& host, const CallConfig& /*config*/) override {
    return std::make_unique<ScriptedForward>(host, ++begun);
  }
  int begun = 0;

 private:
  class ScriptedForward final : public Forward {
   public:
    ScriptedForward(ForwardHost& host, int number) : host_(host), number_(number) {}
    void Start() override {
      const std::string bytes = Allow(absl::StrCat("scripted-", number_)).SerializeAsString();
      grpc::Slice slice(bytes);
      response_ = grpc::ByteBuffer(&slice, 1);
      UpstreamResult result;
      result.response = &response_;
      host_.OnUpstreamResult(result);
    }
    void OnAttemptDone(int /*attempt*/) override {}
    void OnTimer() override {}
    void Cancel() override {}

   private:
    ForwardHost& host_;
    const int number_;
    grpc::ByteBuffer response_;
  };
};

TEST_F(ServerCallTest, AScriptedForwarderReplacesTheUpstream) {
  ScriptedForwarder forwarder;
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
  auto server = BrokerServer::Start(CacheSettings(absl::Seconds(10)), &clock_, &forwarder);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  client_ = std::make_unique<CheckClient>(absl::StrCat("127.0.0.1:", server_->port()));
  EXPECT_EQ(AnsweredBy(Call(Request("Bearer a")).get()), "scripted-1");
  EXPECT_EQ(AnsweredBy(Call(Request("Bearer a")).get()), "scripted-1");  // from the cache
  EXPECT_EQ(AnsweredBy(Call(Request("Bearer b")).get()), "scripted-2");
  EXPECT_EQ(forwarder.begun, 2);
  EXPECT_EQ(upstream_.received(), 0u);
  EXPECT_EQ(Count(server_->metrics().cache_hits), 1);
}

}  // namespace
}  // namespace edgekit::broker
