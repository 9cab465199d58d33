// The edgekit-broker binary started as a child process for the process-level tests
// (broker_process_test.cc, broker_reload_test.cc), with a fake auth service upstream.
// Header-only: it needs the EDGEKIT_BROKER_BINARY path those tests are built with.
#ifndef EDGEKIT_TESTS_INTEGRATION_RUNNING_BROKER_H_
#define EDGEKIT_TESTS_INTEGRATION_RUNNING_BROKER_H_

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace edgekit::testing {

// A fake auth service answering after a fixed `latency` (no tail).
inline std::unique_ptr<fakeauthz::FakeAuthzServer> StartUpstream(
    absl::Duration latency = absl::Milliseconds(1)) {
  fakeauthz::FakeAuthzOptions options;
  options.latency.median = latency;
  options.latency.sigma = 0;
  auto server = fakeauthz::FakeAuthzServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return *std::move(server);
}

// Writes `text` to a file `name` in the test's temporary directory; returns its path.
inline std::string WriteTempFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Starts the broker on free ports and waits for its ready line.
struct RunningBroker {
  int port = FreePort();
  int metrics_port = FreePort();
  std::unique_ptr<ChildProcess> process;

  // `upstream` empty: no --upstream flag (a rules-only config, or one from --config).
  RunningBroker(const std::string& upstream, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--listen", absl::StrCat("127.0.0.1:", port),
                                     "--metrics-listen", absl::StrCat("127.0.0.1:", metrics_port)};
    if (!upstream.empty()) {
      args.push_back("--upstream");
      args.push_back(upstream);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<ChildProcess>(EDGEKIT_BROKER_BINARY, args);
    EXPECT_TRUE(process->WaitForOutput("listening on", std::chrono::seconds(10)))
        << process->Output();
  }
  std::string Metrics() { return HttpGet(metrics_port, "/metrics").body; }
  double Reloads(const std::string& result) {
    return MetricValue(Metrics(), "edgekit_broker_config_reloads_total",
                       absl::StrCat("result=\"", result, "\""))
        .value_or(-1);
  }
  double HedgeDelay() {
    return MetricValue(Metrics(), "edgekit_broker_hedge_delay_seconds").value_or(-1);
  }
};

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_INTEGRATION_RUNNING_BROKER_H_
