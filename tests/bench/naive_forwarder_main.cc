// naive-forwarder: runs NaiveForwarder as a process (the "one extra hop" baseline of the
// broker benchmarks). Prints "naive-forwarder listening on HOST:PORT" when ready;
// SIGTERM/SIGINT exit 0 after a clean shutdown; bad flags exit 2; cannot start exits 1.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include "tests/bench/forwarder_main.h"
#include "tests/bench/naive_forwarder.h"

int main(int argc, char** argv) {
  edgekit::bench::ForwarderFlags flags;
  flags.listen = "127.0.0.1:9191";
  if (std::optional<int> exit_code = edgekit::bench::ParseForwarderFlags(
          argc, argv, "naive-forwarder", "Opaque one-hop gRPC forwarder (benchmark baseline).",
          "gRPC target to forward to", &flags)) {
    return *exit_code;
  }
  // Before gRPC starts threads, so only sigwait below receives them.
  sigset_t stop_signals = edgekit::bench::BlockStopSignals();

  auto forwarder = edgekit::bench::NaiveForwarder::Start(flags.listen, flags.upstream);
  if (!forwarder.ok()) {
    std::cerr << "naive-forwarder: " << forwarder.status().message() << "\n";
    return forwarder.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::printf("naive-forwarder listening on %s\n", (*forwarder)->address().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::fprintf(stderr, "naive-forwarder: signal %d, shutting down\n", signal);
  (*forwarder)->Shutdown(absl::Seconds(1));
  return 0;
}
