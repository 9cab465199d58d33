// Runs a function that must finish quickly and in little memory, and ends the test
// process with a message if it does not: a regression to an endless or exploding parse
// then fails one test in seconds instead of taking the machine's memory with it.
#ifndef EDGEKIT_TESTS_TESTING_BOUNDED_RUN_H_
#define EDGEKIT_TESTS_TESTING_BOUNDED_RUN_H_

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace edgekit::testing {

// Resident set size of this process in KiB (0 if unknown).
inline long ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// Calls `fn` while a watchdog checks it ends within `seconds` and grows the RSS by less
// than `max_growth_mib`; otherwise prints `what` and exits the process with status 1.
template <typename Fn>
auto RunBounded(const char* what, Fn fn, int seconds = 20, long max_growth_mib = 512) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  const long start_kib = ResidentKib();
  std::thread watchdog([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::unique_lock<std::mutex> lock(mu);
    while (!done) {
      const long grown_mib = (ResidentKib() - start_kib) / 1024;
      if (std::chrono::steady_clock::now() > deadline || grown_mib > max_growth_mib) {
        std::fprintf(stderr, "%s: did not finish within %d s and %ld MiB (grew %ld MiB)\n", what,
                     seconds, max_growth_mib, grown_mib);
        _exit(1);
      }
      cv.wait_for(lock, std::chrono::milliseconds(20));
    }
  });
  auto result = fn();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_one();
  watchdog.join();
  return result;
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_BOUNDED_RUN_H_
