// The in-process harness of the broker's integration tests: fake-authz upstreams with a
// given latency model, test settings on OS-chosen loopback ports, and a started
// BrokerServer with a Check client and a /metrics reader.
#ifndef EDGEKIT_TESTS_INTEGRATION_IN_PROCESS_BROKER_H_
#define EDGEKIT_TESTS_INTEGRATION_IN_PROCESS_BROKER_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/broker_server.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"
#include "tests/testing/manual_scheduler.h"

namespace edgekit::testing {

inline fakeauthz::LatencyModel Fixed(absl::Duration latency) {
  fakeauthz::LatencyModel model;
  model.median = latency;
  model.sigma = 0;
  return model;
}

inline fakeauthz::LatencyModel Failing(grpc::StatusCode code,
                                       absl::Duration latency = absl::Milliseconds(1)) {
  fakeauthz::LatencyModel model = Fixed(latency);
  model.fixed_status = code;
  model.fixed_status_message = "injected by the test";
  return model;
}

inline std::unique_ptr<fakeauthz::FakeAuthzServer> StartUpstream(
    const fakeauthz::FakeAuthzOptions& options) {
  auto server = fakeauthz::FakeAuthzServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return *std::move(server);
}

inline std::unique_ptr<fakeauthz::FakeAuthzServer> StartUpstream(
    const fakeauthz::LatencyModel& model) {
  fakeauthz::FakeAuthzOptions options;
  options.latency = model;
  return StartUpstream(options);
}

// Settings for a test broker: loopback, OS-chosen ports, a fixed hedge delay (the
// initial delay, with min_samples out of reach) unless a test changes it.
inline broker::BrokerSettings TestSettings(
    const std::vector<const fakeauthz::FakeAuthzServer*>& upstreams) {
  broker::BrokerSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.metrics_listen = "127.0.0.1:0";
  std::vector<std::string> addresses;
  for (const auto* upstream : upstreams) addresses.push_back(upstream->address());
  settings.upstream.target = "ipv4:" + absl::StrJoin(addresses, ",");
  settings.hedging.max_attempts = 2;
  settings.hedging.initial_delay = absl::Milliseconds(20);
  settings.hedging.min_samples = 1000000;
  settings.hedging.budget = 1.0;
  settings.worker_threads = 2;
  settings.drain_timeout = absl::Seconds(2);
  return settings;
}

class Broker {
 public:
  // `clock` (a ManualScheduler, say) is the broker's time when given; WaitReady then
  // moves it on so the broker's tick runs.
  explicit Broker(const broker::BrokerSettings& settings, testing::ManualScheduler* clock = nullptr)
      : clock_(clock) {
    // Every absl::Mutex acquisition is checked for lock-order cycles, and a cycle aborts
    // the test (the broker binary turns this off outside sanitizer builds: it costs CPU).
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
    auto server = broker::BrokerServer::Start(settings, clock);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<CheckClient>(absl::StrCat("127.0.0.1:", server_->port()));
  }
  broker::BrokerServer& server() { return *server_; }
  CheckClient& client() { return *client_; }
  bool WaitReady() {
    return WaitFor(
        [&] {
          if (clock_ != nullptr) clock_->Advance(absl::Milliseconds(100));  // one tick
          return server_->ready();
        },
        std::chrono::seconds(10));
  }
  std::string Metrics() { return HttpGet(server_->metrics_port(), "/metrics").body; }
  double Metric(const std::string& name, const std::string& labels = "") {
    return MetricValue(Metrics(), name, labels).value_or(-1);
  }

 private:
  testing::ManualScheduler* const clock_;
  std::unique_ptr<broker::BrokerServer> server_;
  std::unique_ptr<CheckClient> client_;
};

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_INTEGRATION_IN_PROCESS_BROKER_H_
