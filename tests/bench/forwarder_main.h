// What the benchmark forwarders' mains share (naive_forwarder_main.cc, h2_forwarder.cc):
// the --listen/--upstream flags with their exit codes (bad flags exit 2), and the stop
// signals blocked before any thread starts, so that they are received where the
// forwarder waits for them (sigwait, or a signalfd in an event loop). Header-only.
#ifndef EDGEKIT_TESTS_BENCH_FORWARDER_MAIN_H_
#define EDGEKIT_TESTS_BENCH_FORWARDER_MAIN_H_

#include <csignal>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"

namespace edgekit::bench {

struct ForwarderFlags {
  std::string listen;
  std::string upstream = "127.0.0.1:9000";
};

// Parses the flags into `flags` (its fields hold the defaults). nullopt: go on; else the
// exit code main returns (0 after --help, 2 for a bad flag).
inline std::optional<int> ParseForwarderFlags(int argc, char** argv, const char* name,
                                              const char* description, const char* upstream_help,
                                              ForwarderFlags* flags) {
  CLI::App app{description, name};
  app.add_option("--listen", flags->listen, "host:port to serve on (port 0: any free)")
      ->capture_default_str();
  app.add_option("--upstream", flags->upstream, upstream_help)->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

// Blocks SIGINT and SIGTERM in the calling thread (threads started later inherit the
// mask) and returns them as a set.
inline sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

}  // namespace edgekit::bench

#endif  // EDGEKIT_TESTS_BENCH_FORWARDER_MAIN_H_
