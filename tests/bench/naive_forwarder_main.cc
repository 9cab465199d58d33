// naive-forwarder: runs NaiveForwarder as a process (the "one extra hop" baseline of the
// broker benchmarks). Prints "naive-forwarder listening on HOST:PORT" when ready;
// SIGTERM/SIGINT exit 0 after a clean shutdown; bad flags exit 2; cannot start exits 1.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "tests/bench/naive_forwarder.h"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:9191";
  std::string upstream = "127.0.0.1:9000";
  CLI::App app{"Opaque one-hop gRPC forwarder (benchmark baseline).", "naive-forwarder"};
  app.add_option("--listen", listen, "host:port to serve on (port 0: any free)")
      ->capture_default_str();
  app.add_option("--upstream", upstream, "gRPC target to forward to")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // Block the stop signals before gRPC starts threads (they inherit the mask), so only
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto forwarder = edgekit::bench::NaiveForwarder::Start(listen, upstream);
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
