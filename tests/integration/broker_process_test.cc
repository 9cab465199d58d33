// The edgekit-broker binary as a process: exit codes, signals (SIGTERM drains, SIGHUP
// reloads or keeps the old settings), the ready line, config checking.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/running_broker.h"
#include "tests/integration/test_util.h"

namespace edgekit::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kBroker[] = EDGEKIT_BROKER_BINARY;

TEST(BrokerProcess, BadFlagOrConfigExitsTwoWithTheKeyPath) {
  ChildProcess bad_flag(kBroker, {"--max-attempts", "9", "--upstream", "127.0.0.1:1"});
  EXPECT_EQ(bad_flag.Wait(std::chrono::seconds(10)), std::optional<int>(2));
  EXPECT_THAT(bad_flag.Output(), HasSubstr("hedging.max_attempts"));
  EXPECT_THAT(bad_flag.Output(), HasSubstr("9"));

  std::string config =
      WriteTempFile("bad.yaml", "upstream:\n  target: 127.0.0.1:1\nhedging:\n  max_atempts: 2\n");
  ChildProcess bad_key(kBroker, {"--config", config});
  EXPECT_EQ(bad_key.Wait(std::chrono::seconds(10)), std::optional<int>(2));
  EXPECT_THAT(bad_key.Output(), HasSubstr("max_atempts"));

  ChildProcess unknown(kBroker, {"--no-such-flag"});
  EXPECT_EQ(unknown.Wait(std::chrono::seconds(10)), std::optional<int>(2));
}

TEST(BrokerProcess, CheckConfigValidatesAndExits) {
  std::string config = WriteTempFile("good.yaml",
                                     "upstream:\n  target: dns:///authz.example:8080\n"
                                     "hedging:\n  max_attempts: 3\n  budget: 0.05\n");
  ChildProcess check(kBroker, {"--config", config, "--check-config", "--hedge-budget", "0.2"});
  EXPECT_EQ(check.Wait(std::chrono::seconds(10)), std::optional<int>(0));
  EXPECT_THAT(check.Output(), HasSubstr("configuration OK"));
  EXPECT_THAT(check.Output(), HasSubstr("max_attempts=3"));
  EXPECT_THAT(check.Output(), HasSubstr("budget=0.2"));  // the flag wins over the file
}

// --check-config parses what startup parses: a target startup cannot use is refused here.
TEST(BrokerProcess, CheckConfigRefusesATargetStartupCannotUse) {
  for (const std::string target :
       {"authz.auth.svc.cluster.local", "dns:///authz.auth.svc.cluster.local"}) {
    ChildProcess check(kBroker, {"--upstream", target, "--check-config"});
    EXPECT_EQ(check.Wait(std::chrono::seconds(10)), std::optional<int>(2)) << target;
    EXPECT_THAT(check.Output(), HasSubstr("upstream.target: expected HOST:PORT"));
  }
}

// The upstream's PEM files are read as startup reads them: a missing file, or one with no
// PEM block, fails the check (exit 2) naming the key and the file.
TEST(BrokerProcess, CheckConfigReadsThePemFilesStartupReads) {
  const std::string not_pem = WriteTempFile("not.pem", "hello\n");
  const std::string config = WriteTempFile(
      "tls.yaml",
      absl::StrCat("upstream:\n  target: authz.example:8443\n  ca_file: ", not_pem, "\n"));
  ChildProcess garbage(kBroker, {"--config", config, "--check-config"});
  EXPECT_EQ(garbage.Wait(std::chrono::seconds(10)), std::optional<int>(2));
  EXPECT_THAT(garbage.Output(),
              HasSubstr("upstream.ca_file: \"" + not_pem + "\" holds no PEM block"));

  const std::string missing = WriteTempFile(
      "missing.yaml", "upstream:\n  target: authz.example:8443\n  ca_file: /no/such/ca.pem\n");
  ChildProcess absent(kBroker, {"--config", missing, "--check-config"});
  EXPECT_EQ(absent.Wait(std::chrono::seconds(10)), std::optional<int>(2));
  EXPECT_THAT(absent.Output(), HasSubstr("upstream.ca_file: cannot read \"/no/such/ca.pem\""));
}

TEST(BrokerProcess, SigtermUnderLoadLosesNoCall) {
  auto upstream = StartUpstream(absl::Milliseconds(50));
  RunningBroker broker(upstream->address(), {"--drain-timeout", "5s", "--max-attempts", "1"});
  ASSERT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 200; },
                      std::chrono::seconds(10)));
  std::atomic<bool> stop{false}, signalled{false};
  std::atomic<int> ok{0}, refused{0}, lost{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 8; ++t) {
    load.emplace_back([&] {
      CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
      bool cancelled_once = false;
      while (!stop.load()) {
        CheckResult result = client.Check();
        if (result.status.ok()) {
          ok++;
        } else if (result.status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          refused++;  // after the listener closed: never reached the broker
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else if (result.status.error_code() == grpc::StatusCode::CANCELLED &&
                   (result.status.error_message().empty() ||
                    result.status.error_message() == "CANCELLED") &&
                   signalled.load() && !cancelled_once) {
          // gRPC core's own race, not the broker's: a stream that reaches the server after
          // Shutdown began, before this channel has read the GOAWAY, finds no call posted
          // for it and is cancelled by gRPC (status CANCELLED, message "CANCELLED")
          // without the broker ever seeing it. Seen only with the machine loaded (three
          // ASan runs at once). Once per channel at most: the GOAWAY follows. The upstream
          // checks below prove that no call the broker had taken was dropped.
          cancelled_once = true;
          refused++;
        } else {
          lost++;
          ADD_FAILURE() << "lost call: " << result.status.error_code() << " "
                        << result.status.error_message();
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  signalled = true;
  broker.process->Signal(SIGTERM);
  auto exit_code = broker.process->Wait(std::chrono::seconds(10));
  stop = true;
  for (auto& thread : load) thread.join();
  EXPECT_EQ(exit_code, std::optional<int>(0)) << broker.process->Output();
  EXPECT_EQ(lost.load(), 0);
  EXPECT_GT(ok.load(), 20);
  // Every call the upstream answered reached its caller: nothing was dropped mid-way.
  EXPECT_EQ(upstream->Stats().answered_total(), static_cast<uint64_t>(ok.load()));
  EXPECT_EQ(upstream->Stats().checks_cancelled, 0u);
  EXPECT_THAT(broker.process->Output(), HasSubstr("draining"));
}

TEST(BrokerProcess, ShutdownDelayKeepsAnsweringWhileNotReady) {
  auto upstream = StartUpstream(absl::Milliseconds(1));
  RunningBroker broker(upstream->address(), {"--shutdown-delay", "1500ms", "--max-attempts", "1"});
  ASSERT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 200; },
                      std::chrono::seconds(10)));
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  ASSERT_TRUE(client.Check().status.ok());
  broker.process->Signal(SIGTERM);
  // Not ready at once (the kubelet stops routing new work here)...
  EXPECT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 503; },
                      std::chrono::milliseconds(500)));
  EXPECT_EQ(client.HealthServing(), std::optional<bool>(false));
  // ...but Envoy in the same pod is still served during the delay.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(client.Check().status.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(broker.process->Wait(std::chrono::seconds(10)), std::optional<int>(0));
  EXPECT_THAT(broker.process->Output(), HasSubstr("still answering"));
}

TEST(BrokerProcess, SighupReloadsAndKeepsOldSettingsOnABadFile) {
  auto upstream = StartUpstream(absl::Milliseconds(1));
  std::string config =
      WriteTempFile("reload.yaml", "hedging:\n  initial_delay: 40ms\n  min_samples: 100000\n");
  RunningBroker broker(upstream->address(), {"--config", config});
  auto delay = [&] {
    return MetricValue(broker.Metrics(), "edgekit_broker_hedge_delay_seconds").value_or(-1);
  };
  EXPECT_EQ(delay(), 0.04);

  WriteTempFile("reload.yaml", "hedging:\n  initial_delay: 70ms\n  min_samples: 100000\n");
  broker.process->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor([&] { return delay() == 0.07; }, std::chrono::seconds(5)));

  WriteTempFile("reload.yaml", "hedging:\n  initial_delay: 10ms\n  max_attempts: 99\n");
  broker.process->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        return MetricValue(broker.Metrics(), "edgekit_broker_config_reloads_total",
                           "result=\"failure\"") == 1;
      },
      std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(delay(), 0.07);  // the old settings stay
  EXPECT_THAT(broker.process->Output(), HasSubstr("keeping the previous settings"));
  EXPECT_THAT(broker.process->Output(), HasSubstr("hedging.max_attempts"));
  // And it still serves.
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  EXPECT_TRUE(client.Check().status.ok());
}

long ResidentKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(BrokerProcess, SighupWithHostileFilesKeepsRssAndSigtermStillExits) {
  // Texts that made yaml-cpp 0.7.0 loop while allocating (the broker then grew without
  // bound and, its signal thread stuck in the parse, ignored SIGTERM) or that expand to
  // 10^10 nodes through aliases.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    absl::StrAppend(&bomb, "a", i, ": &a", i, " [*a", i - 1);
    for (int j = 1; j < 10; ++j) absl::StrAppend(&bomb, ", *a", i - 1);
    bomb += "]\n";
  }
  auto upstream = StartUpstream(absl::Milliseconds(1));
  for (const std::string& hostile :
       {std::string("{},"), std::string("[],"), std::string("{a: b},\n c: d"), bomb}) {
    SCOPED_TRACE(hostile.substr(0, 20));
    const std::string config = WriteTempFile("hostile.yaml", "hedging:\n  initial_delay: 40ms\n");
    RunningBroker broker(upstream->address(), {"--config", config, "--drain-timeout", "2s"});
    ASSERT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 200; },
                        std::chrono::seconds(10)));
    const long rss_before = ResidentKib(broker.process->pid());
    WriteTempFile("hostile.yaml", hostile);
    broker.process->Signal(SIGHUP);
    // The reload ends, as a failure: the parse stopped.
    EXPECT_TRUE(WaitFor(
        [&] {
          return MetricValue(broker.Metrics(), "edgekit_broker_config_reloads_total",
                             "result=\"failure\"") == 1;
        },
        std::chrono::seconds(5)))
        << broker.process->Output();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long rss_after = ResidentKib(broker.process->pid());
    EXPECT_LT(rss_after - rss_before, 32 * 1024) << rss_before << " KiB -> " << rss_after;
    EXPECT_EQ(MetricValue(broker.Metrics(), "edgekit_broker_hedge_delay_seconds"), 0.04)
        << "the old settings stay";
    CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
    EXPECT_TRUE(client.Check().status.ok());
    const auto start = std::chrono::steady_clock::now();
    broker.process->Signal(SIGTERM);
    EXPECT_EQ(broker.process->Wait(std::chrono::seconds(5)), std::optional<int>(0))
        << broker.process->Output();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3))
        << "within the 2 s drain timeout and a margin";
  }
}

}  // namespace
}  // namespace edgekit::testing
