// The edgekit-broker binary with a SIGHUP reload that does not finish: the config file
// is replaced by a FIFO nobody writes, so the reload blocks in open() for as long as the
// test wants, whatever the parser does. Check calls and probes must go on being
// answered, and SIGTERM / SIGINT must still drain and exit 0 within the drain timeout
// (when the signal thread parsed the file itself, such a reload made SIGTERM a no-op).
// The hostile texts that made the parser itself loop are in broker_process_test.cc.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/running_broker.h"
#include "tests/integration/test_util.h"

namespace edgekit::testing {
namespace {

using ::testing::HasSubstr;

// A config file the broker starts with, which the test then swaps for a FIFO.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& name) : path_(::testing::TempDir() + "/" + name) {
    unlink(path_.c_str());
    std::ofstream(path_) << "hedging:\n  initial_delay: 40ms\n  min_samples: 100000\n";
  }
  ~ConfigFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

  // From now on a reader blocks in open() until Feed.
  void BecomeFifo() {
    ASSERT_EQ(unlink(path_.c_str()), 0);
    ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  }

  // Hands `text` to the reload that has the FIFO open for reading (waits for one).
  bool Feed(const std::string& text) {
    int fd = -1;
    // O_NONBLOCK: ENXIO until a reader has it open, instead of blocking the test.
    if (!WaitFor([&] { return (fd = open(path_.c_str(), O_WRONLY | O_NONBLOCK)) >= 0; },
                 std::chrono::seconds(5))) {
      return false;
    }
    fcntl(fd, F_SETFL, 0);
    const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    return ok;
  }

  // True if some process has the FIFO open for reading now.
  bool HasReader() const {
    const int fd = open(path_.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd < 0) return false;
    close(fd);  // the reader sees end of file: only call this when none is expected
    return true;
  }

 private:
  std::string path_;
};

TEST(BrokerReload, AReloadThatNeverFinishesDoesNotStopSigterm) {
  auto upstream = StartUpstream();
  ConfigFile config("stuck-reload.yaml");
  RunningBroker broker(upstream->address(), {"--config", config.path(), "--drain-timeout", "2s"});
  ASSERT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 200; },
                      std::chrono::seconds(10)));
  config.BecomeFifo();
  broker.process->Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::seconds(1));

  // The reload is stuck; everything else goes on, with the old settings.
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(client.Check().status.ok());
  EXPECT_EQ(HttpGet(broker.metrics_port, "/readyz").status, 200);
  EXPECT_EQ(HttpGet(broker.metrics_port, "/healthz").status, 200);
  EXPECT_EQ(broker.Reloads("success"), 0);
  EXPECT_EQ(broker.Reloads("failure"), 0);
  EXPECT_EQ(broker.HedgeDelay(), 0.04);
  broker.process->Signal(SIGHUP);  // coalesced behind the stuck one; says so
  EXPECT_TRUE(broker.process->WaitForOutput("still reading the file", std::chrono::seconds(2)))
      << broker.process->Output();

  const auto start = std::chrono::steady_clock::now();
  broker.process->Signal(SIGTERM);
  EXPECT_EQ(broker.process->Wait(std::chrono::seconds(6)), std::optional<int>(0))
      << broker.process->Output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3))
      << "within the 2 s drain timeout and a margin";
  EXPECT_THAT(broker.process->Output(), HasSubstr("SIGTERM: draining calls in flight"));
  EXPECT_THAT(broker.process->Output(), HasSubstr("stopped (a SIGHUP reload was still reading"));
}

TEST(BrokerReload, SighupsDuringAReloadCoalesceIntoOneMore) {
  auto upstream = StartUpstream();
  ConfigFile config("coalesce-reload.yaml");
  RunningBroker broker(upstream->address(), {"--config", config.path(), "--drain-timeout", "2s"});
  ASSERT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 200; },
                      std::chrono::seconds(10)));
  config.BecomeFifo();
  broker.process->Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the reload is in open()
  for (int i = 0; i < 5; ++i) {
    broker.process->Signal(SIGHUP);  // each one taken by the signal thread on its own
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  ASSERT_TRUE(config.Feed("hedging:\n  initial_delay: 70ms\n  min_samples: 100000\n"));
  EXPECT_TRUE(WaitFor([&] { return broker.HedgeDelay() == 0.07; }, std::chrono::seconds(5)));
  // The five SIGHUPs that came during it make exactly one more reload.
  ASSERT_TRUE(config.Feed("hedging:\n  initial_delay: 90ms\n  min_samples: 100000\n"));
  EXPECT_TRUE(WaitFor([&] { return broker.HedgeDelay() == 0.09; }, std::chrono::seconds(5)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(config.HasReader()) << "no third reload";
  EXPECT_EQ(broker.Reloads("success"), 2);
  EXPECT_EQ(broker.Reloads("failure"), 0);

  broker.process->Signal(SIGINT);
  EXPECT_EQ(broker.process->Wait(std::chrono::seconds(6)), std::optional<int>(0))
      << broker.process->Output();
}

}  // namespace
}  // namespace edgekit::testing
