// The broker in-process against real fake-authz gRPC servers on loopback (OS-chosen
// ports). Each test sets up the upstream behaviour it needs and asserts what the caller
// got, what the upstream saw and what /metrics says.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "broker/broker_server.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/in_process_broker.h"
#include "tests/integration/test_util.h"

namespace edgekit::broker {
namespace {

using ::edgekit::fakeauthz::FakeAuthzOptions;
using ::edgekit::fakeauthz::FakeAuthzServer;
using ::edgekit::fakeauthz::LatencyModel;
using ::edgekit::testing::Broker;
using ::edgekit::testing::CheckClient;
using ::edgekit::testing::CheckOptions;
using ::edgekit::testing::CheckResult;
using ::edgekit::testing::Failing;
using ::edgekit::testing::Fixed;
using ::edgekit::testing::HttpGet;
using ::edgekit::testing::MetricValue;
using ::edgekit::testing::StartUpstream;
using ::edgekit::testing::TestSettings;
using ::edgekit::testing::WaitFor;

TEST(BrokerIntegration, HedgeFiresWhenPrimaryIsSlowAndTheLoserIsCancelled) {
  auto slow = StartUpstream(Fixed(absl::Milliseconds(400)));
  auto fast = StartUpstream(Fixed(absl::Milliseconds(1)));
  Broker broker(TestSettings({slow.get(), fast.get()}));
  ASSERT_TRUE(broker.WaitReady());

  for (int i = 0; i < 10; ++i) {
    CheckResult result = broker.client().Check();
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    EXPECT_TRUE(result.allowed);
    // Whichever endpoint the primary went to, the answer came from the fast one.
    EXPECT_LT(result.latency, std::chrono::milliseconds(300));
  }
  // Round-robin sent about half the primaries to the slow endpoint; each was hedged to
  // the fast one, won there, and the slow attempt was cancelled.
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto stats = slow->Stats();
        return stats.checks_cancelled >= 1 && stats.checks_cancelled == stats.checks_received;
      },
      std::chrono::seconds(2)));
  const auto slow_stats = slow->Stats();
  EXPECT_EQ(slow_stats.checks_cancelled, slow_stats.checks_received);
  EXPECT_EQ(slow_stats.answered_total(), 0u);
  const double hedges = broker.Metric("edgekit_broker_hedges_total");
  EXPECT_GE(hedges, 1);
  // Every hedge of a slow primary won; on a loaded machine a fast primary may also be
  // hedged (to the slow endpoint) and win itself, so wins <= hedges.
  const double wins = broker.Metric("edgekit_broker_hedge_wins_total");
  EXPECT_GE(wins, 1);
  EXPECT_LE(wins, hedges);
  EXPECT_EQ(broker.Metric("edgekit_broker_upstream_cancelled_total"),
            static_cast<double>(slow_stats.checks_received));
}

TEST(BrokerIntegration, NoHedgeWhenAnswersAreFast) {
  auto fast = StartUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = TestSettings({fast.get()});
  // Far above a 1 ms answer even on a loaded CI machine (sanitizers, parallel tests).
  settings.hedging.initial_delay = absl::Milliseconds(300);
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(broker.client().Check().status.ok());
  EXPECT_EQ(fast->Stats().checks_received, 50u);
  EXPECT_EQ(broker.Metric("edgekit_broker_hedges_total"), 0);
  EXPECT_EQ(broker.Metric("edgekit_broker_upstream_attempts_total", "attempt=\"primary\""), 50);
  // Counted when the server side of the call finishes, which can come just after the
  // client has its answer: wait for it rather than read it at once.
  EXPECT_TRUE(
      WaitFor([&] { return broker.Metric("edgekit_broker_requests_total", "code=\"OK\"") == 50; },
              std::chrono::seconds(5)))
      << broker.Metric("edgekit_broker_requests_total", "code=\"OK\"");
}

TEST(BrokerIntegration, BudgetCapsHedges) {
  // Every answer is slower than the hedge delay, so every call wants a hedge; the budget
  // (10% of primaries, balance capped at 100 * 0.1 = 10 tokens) allows only some.
  auto slow_a = StartUpstream(Fixed(absl::Milliseconds(15)));
  auto slow_b = StartUpstream(Fixed(absl::Milliseconds(15)));
  BrokerSettings settings = TestSettings({slow_a.get(), slow_b.get()});
  settings.hedging.initial_delay = absl::Milliseconds(2);
  settings.hedging.budget = 0.1;
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  constexpr int kCalls = 200;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(broker.client().Check().status.ok());
  const double hedges = broker.Metric("edgekit_broker_hedges_total");
  const double suppressed =
      broker.Metric("edgekit_broker_hedges_suppressed_total", "reason=\"budget\"");
  // Start balance 10 + 0.1 per primary: at most 30 hedges for 200 calls.
  EXPECT_LE(hedges, 10 + 0.1 * kCalls + 1);
  EXPECT_GE(hedges, 0.1 * kCalls);
  EXPECT_EQ(hedges + suppressed, kCalls);
  const uint64_t upstream_calls = slow_a->Stats().checks_received + slow_b->Stats().checks_received;
  EXPECT_EQ(upstream_calls, kCalls + static_cast<uint64_t>(hedges));
}

TEST(BrokerIntegration, UnavailableEndpointGetsTheNextAttemptAtOnceOnAnother) {
  auto broken = StartUpstream(Failing(grpc::StatusCode::UNAVAILABLE));
  auto healthy = StartUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = TestSettings({broken.get(), healthy.get()});
  settings.hedging.initial_delay = absl::Seconds(1);  // only the retry can help in time
  settings.hedging.throttle_max_tokens = 1000;        // keep retrying for the whole test
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  for (int i = 0; i < 20; ++i) {
    CheckResult result = broker.client().Check();
    ASSERT_TRUE(result.status.ok()) << result.status.error_message();
    EXPECT_LT(result.latency, std::chrono::milliseconds(500));
  }
  const uint64_t broken_calls = broken->Stats().checks_received;
  EXPECT_GE(broken_calls, 5u);  // round-robin sent it about half the primaries
  EXPECT_EQ(healthy->Stats().checks_received, 20u);
  EXPECT_EQ(broker.Metric("edgekit_broker_hedges_total"), static_cast<double>(broken_calls));
}

TEST(BrokerIntegration, ServerPushbackDelaysOrStopsTheNextAttempt) {
  // grpc-retry-pushback-ms: 150 -> the retry waits 150 ms instead of going at once.
  LatencyModel delayed = Failing(grpc::StatusCode::UNAVAILABLE);
  delayed.trailing_metadata = {{"grpc-retry-pushback-ms", "150"}};
  auto pushing = StartUpstream(delayed);
  BrokerSettings settings = TestSettings({pushing.get()});
  settings.hedging.initial_delay = absl::Seconds(1);
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  CheckResult result = broker.client().Check();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_GE(result.latency, std::chrono::milliseconds(150));
  EXPECT_EQ(pushing->Stats().checks_received, 2u);

  // A negative pushback means "do not retry": one attempt, and its error comes back.
  LatencyModel stop = Failing(grpc::StatusCode::UNAVAILABLE);
  stop.trailing_metadata = {{"grpc-retry-pushback-ms", "-1"}};
  auto refusing = StartUpstream(stop);
  Broker broker2(TestSettings({refusing.get()}));
  ASSERT_TRUE(broker2.WaitReady());
  result = broker2.client().Check();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(result.latency, std::chrono::milliseconds(500));
  EXPECT_EQ(refusing->Stats().checks_received, 1u);
}

TEST(BrokerIntegration, AllAttemptsFailedReturnsTheUpstreamCodeNeverOk) {
  auto a = StartUpstream(Failing(grpc::StatusCode::UNAVAILABLE));
  auto b = StartUpstream(Failing(grpc::StatusCode::UNAVAILABLE));
  Broker broker(TestSettings({a.get(), b.get()}));
  ASSERT_TRUE(broker.WaitReady());
  CheckResult result = broker.client().Check();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(result.status.error_message(), "injected by the test");
  EXPECT_EQ(a->Stats().checks_received + b->Stats().checks_received, 2u);

  // A fatal code ends the call at once, with the upstream's code and message.
  auto denied = StartUpstream(Failing(grpc::StatusCode::PERMISSION_DENIED));
  Broker broker2(TestSettings({denied.get()}));
  ASSERT_TRUE(broker2.WaitReady());
  result = broker2.client().Check();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(result.status.error_message(), "injected by the test");
  EXPECT_EQ(denied->Stats().checks_received, 1u);
  EXPECT_TRUE(WaitFor(
      [&] {
        return broker2.Metric("edgekit_broker_requests_total", "code=\"PERMISSION_DENIED\"") == 1;
      },
      std::chrono::seconds(5)));
}

TEST(BrokerIntegration, CallerDeadlineIsHonouredAndPropagated) {
  auto slow = StartUpstream(Fixed(absl::Milliseconds(800)));
  BrokerSettings settings = TestSettings({slow.get()});
  settings.hedging.max_attempts = 1;
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  CheckOptions options;
  options.deadline = std::chrono::milliseconds(100);
  CheckResult result = broker.client().Check(options);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(result.latency, std::chrono::milliseconds(400));
  // The upstream got the deadline too: its call ended (cancelled) long before 800 ms.
  EXPECT_TRUE(
      WaitFor([&] { return slow->Stats().checks_cancelled == 1; }, std::chrono::milliseconds(400)));
}

TEST(BrokerIntegration, DefaultDeadlineAppliesWhenTheCallerSendsNone) {
  auto slow = StartUpstream(Fixed(absl::Seconds(5)));
  BrokerSettings settings = TestSettings({slow.get()});
  settings.hedging.max_attempts = 1;
  settings.upstream.default_deadline = absl::Milliseconds(150);
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  CheckOptions options;
  options.deadline = std::chrono::milliseconds(0);
  CheckResult result = broker.client().Check(options);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(result.latency, std::chrono::seconds(2));
}

TEST(BrokerIntegration, MetadataAndTrailersPassThrough) {
  auto upstream = StartUpstream(Fixed(absl::Milliseconds(1)));
  Broker broker(TestSettings({upstream.get()}));
  ASSERT_TRUE(broker.WaitReady());
  CheckOptions options;
  options.metadata = {{"x-custom", "abc"}, {"x-echo", "ping"}};
  CheckResult result = broker.client().Check(options);
  ASSERT_TRUE(result.status.ok());
  EXPECT_THAT(upstream->last_client_metadata(),
              ::testing::Contains(std::make_pair(std::string("x-custom"), std::string("abc"))));
  auto initial = result.initial_metadata.find("x-echo-initial");
  ASSERT_NE(initial, result.initial_metadata.end());
  EXPECT_EQ(initial->second, "ping");
  auto trailing = result.trailing_metadata.find("x-echo-trailing");
  ASSERT_NE(trailing, result.trailing_metadata.end());
  EXPECT_EQ(trailing->second, "ping");
  // A primary is not marked as a retry.
  for (const auto& [key, value] : upstream->last_client_metadata()) {
    EXPECT_NE(key, "grpc-previous-rpc-attempts");
  }
}

TEST(BrokerIntegration, HedgeOnASingleEndpointStillGoes) {
  auto slow = StartUpstream(Fixed(absl::Milliseconds(100)));
  Broker broker(TestSettings({slow.get()}));
  ASSERT_TRUE(broker.WaitReady());
  ASSERT_TRUE(broker.client().Check().status.ok());
  // The hedge went 20 ms after the primary, to the only endpoint there is.
  EXPECT_EQ(slow->Stats().checks_received, 2u);
  EXPECT_EQ(broker.Metric("edgekit_broker_hedges_total"), 1);
}

// Reads the header off the wire, as any upstream (not only a gRPC C++ one) gets it:
// nghttpd (a plain HTTP/2 server) logs every header it receives. gRPC's own retry filter
// would strip it from the request, which is why upstream channels turn retries off. It answers 404,
// which gRPC maps to UNIMPLEMENTED; configured as non-fatal, that makes the broker send its second
// and third attempts at once.
TEST(BrokerIntegration, ExtraAttemptsCarryPreviousRpcAttemptsOnTheWire) {
  const std::string nghttpd = "/usr/sbin/nghttpd";
  if (access(nghttpd.c_str(), X_OK) != 0) {
    FAIL() << "nghttpd (Debian package nghttp2-server) is not installed";
  }
  const int port = edgekit::testing::FreePort();
  edgekit::testing::ChildProcess wire(nghttpd, {"--no-tls", "-v", std::to_string(port)});
  BrokerSettings settings = TestSettings({});
  settings.upstream.target = absl::StrCat("127.0.0.1:", port);
  settings.hedging.max_attempts = 3;
  settings.hedging.non_fatal_codes = {GrpcCode::kUnavailable, GrpcCode::kUnimplemented};
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  CheckResult result = broker.client().Check();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string log = wire.Output();
        return log.find("grpc-previous-rpc-attempts: 2") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << wire.Output();
  const std::string log = wire.Output();
  auto count = [&](const std::string& needle) {
    int n = 0;
    for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count(":path: /envoy.service.auth.v3.Authorization/Check"), 3);
  EXPECT_EQ(count("grpc-previous-rpc-attempts: 1"), 1);
  EXPECT_EQ(count("grpc-previous-rpc-attempts: 2"), 1);
  EXPECT_EQ(count("grpc-previous-rpc-attempts"), 2);  // none on the primary
}

TEST(BrokerIntegration, UnknownMethodIsUnimplemented) {
  auto upstream = StartUpstream(Fixed(absl::Milliseconds(1)));
  Broker broker(TestSettings({upstream.get()}));
  CheckOptions options;
  options.method = "/acme.Secret/Steal";
  CheckResult result = broker.client().Check(options);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(upstream->Stats().checks_received, 0u);
}

TEST(BrokerIntegration, ConfiguredExtraMethodIsForwarded) {
  auto upstream = StartUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = TestSettings({upstream.get()});
  settings.forward_methods.push_back("/acme.Other/Do");
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  CheckOptions options;
  options.method = "/acme.Other/Do";
  CheckResult result = broker.client().Check(options);
  // fake-authz does not implement it: the UNIMPLEMENTED comes from the upstream's gRPC
  // server, not from the broker's allow-list.
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(result.status.error_message(),
              ::testing::Not(::testing::HasSubstr("edgekit-broker")));
  EXPECT_EQ(broker.Metric("edgekit_broker_upstream_attempts_total", "attempt=\"primary\""), 1);
}

TEST(BrokerIntegration, UpstreamDownAtStartThenRecoversWithoutRestart) {
  const int port = edgekit::testing::FreePort();
  BrokerSettings settings = TestSettings({});
  settings.upstream.target = absl::StrCat("127.0.0.1:", port);
  Broker broker(settings);
  EXPECT_FALSE(broker.server().ready());
  EXPECT_EQ(HttpGet(broker.server().metrics_port(), "/readyz").status, 503);
  EXPECT_EQ(HttpGet(broker.server().metrics_port(), "/healthz").status, 200);
  EXPECT_EQ(broker.client().HealthServing(), std::optional<bool>(false));
  CheckResult result = broker.client().Check();
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);

  FakeAuthzOptions options;
  options.listen = absl::StrCat("127.0.0.1:", port);
  options.latency = Fixed(absl::Milliseconds(1));
  auto upstream = FakeAuthzServer::Start(options);
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  ASSERT_TRUE(broker.WaitReady());
  EXPECT_EQ(HttpGet(broker.server().metrics_port(), "/readyz").status, 200);
  EXPECT_EQ(broker.client().HealthServing(), std::optional<bool>(true));
  EXPECT_TRUE(broker.client().Check().status.ok());
}

TEST(BrokerIntegration, UpstreamKilledUnderLoadDoesNotCrashTheBroker) {
  auto upstream = StartUpstream(Fixed(absl::Milliseconds(2)));
  Broker broker(TestSettings({upstream.get()}));
  ASSERT_TRUE(broker.WaitReady());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&] {
      CheckClient client(absl::StrCat("127.0.0.1:", broker.server().port()));
      while (!stop.load()) {
        CheckOptions options;
        options.deadline = std::chrono::milliseconds(300);
        (client.Check(options).status.ok() ? ok : failed)++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  upstream->Shutdown(absl::ZeroDuration());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& thread : load) thread.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(failed.load(), 0);
  // Still alive and answering (with an error: nothing is upstream).
  EXPECT_EQ(broker.client().Check().status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(HttpGet(broker.server().metrics_port(), "/healthz").status, 200);
  EXPECT_TRUE(WaitFor([&] { return !broker.server().ready(); }, std::chrono::seconds(3)));
}

TEST(BrokerIntegration, MetricsMatchWhatHappened) {
  auto slow = StartUpstream(Fixed(absl::Milliseconds(60)));
  auto fast = StartUpstream(Fixed(absl::Milliseconds(1)));
  Broker broker(TestSettings({slow.get(), fast.get()}));
  ASSERT_TRUE(broker.WaitReady());
  constexpr int kAllowed = 30, kDenied = 10;
  for (int i = 0; i < kAllowed; ++i) ASSERT_TRUE(broker.client().Check().status.ok());
  CheckOptions deny;
  deny.allow = false;
  for (int i = 0; i < kDenied; ++i) {
    CheckResult result = broker.client().Check(deny);
    ASSERT_TRUE(result.status.ok());
    EXPECT_FALSE(result.allowed);  // a deny is an OK call: the broker passes it on
  }
  ASSERT_TRUE(
      WaitFor([&] { return slow->Stats().checks_cancelled == slow->Stats().checks_received; },
              std::chrono::seconds(2)));
  // Calls are counted as the server side finishes, just after the client's answer.
  ASSERT_TRUE(WaitFor(
      [&] {
        return broker.Metric("edgekit_broker_requests_total", "code=\"OK\"") == kAllowed + kDenied;
      },
      std::chrono::seconds(5)));
  const std::string metrics = broker.Metrics();
  const uint64_t upstream_calls = slow->Stats().checks_received + fast->Stats().checks_received;
  const double calls = kAllowed + kDenied;
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_requests_total", "code=\"OK\""), calls);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_request_duration_seconds_count"), calls);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_upstream_attempts_total", "attempt=\"primary\""),
            calls);
  const double hedges = *MetricValue(metrics, "edgekit_broker_hedges_total");
  EXPECT_EQ(hedges, static_cast<double>(upstream_calls) - calls);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_upstream_attempts_total", "attempt=\"hedge\""),
            hedges);
  EXPECT_LE(MetricValue(metrics, "edgekit_broker_hedge_wins_total"), hedges);
  EXPECT_GE(MetricValue(metrics, "edgekit_broker_hedge_wins_total"), 1);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_upstream_cancelled_total"),
            static_cast<double>(slow->Stats().checks_cancelled));
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_inflight_requests"), 0);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_hedge_delay_seconds"), 0.02);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_ready"), 1);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_hedges_suppressed_total", "reason=\"budget\""), 0);
}

TEST(BrokerIntegration, OverloadIsResourceExhaustedAtOnce) {
  auto slow = StartUpstream(Fixed(absl::Milliseconds(300)));
  BrokerSettings settings = TestSettings({slow.get()});
  settings.max_inflight = 2;
  settings.hedging.max_attempts = 1;
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  std::vector<std::thread> callers;
  std::atomic<int> exhausted{0}, ok{0};
  for (int i = 0; i < 5; ++i) {
    callers.emplace_back([&] {
      CheckClient client(absl::StrCat("127.0.0.1:", broker.server().port()));
      CheckResult result = client.Check();
      if (result.status.ok()) ok++;
      if (result.status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        exhausted++;
        EXPECT_LT(result.latency, std::chrono::milliseconds(200));
        EXPECT_THAT(result.status.error_message(), ::testing::HasSubstr("max_inflight"));
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(exhausted.load(), 3);
}

TEST(BrokerIntegration, OversizedMessageIsResourceExhausted) {
  auto upstream = StartUpstream(Fixed(absl::Milliseconds(1)));
  BrokerSettings settings = TestSettings({upstream.get()});
  settings.max_message_bytes = 4096;
  Broker broker(settings);
  ASSERT_TRUE(broker.WaitReady());
  CheckOptions options;
  options.body_bytes = 1000;
  EXPECT_TRUE(broker.client().Check(options).status.ok());
  options.body_bytes = 10000;  // Envoy sends the HTTP body when with_request_body is on
  CheckResult result = broker.client().Check(options);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(result.status.error_message(), ::testing::HasSubstr("larger than max"));
  EXPECT_EQ(upstream->Stats().checks_received, 1u);
}

}  // namespace
}  // namespace edgekit::broker
