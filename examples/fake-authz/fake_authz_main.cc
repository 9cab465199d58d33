// fake-authz: runs FakeAuthzServer as a process for the demo and the benchmarks.
// Prints "fake-authz listening on HOST:PORT" once it accepts calls; SIGTERM or SIGINT stop
// it cleanly (exit 0). Bad flags exit 2, a failure to start exits 1.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "examples/fake-authz/fake_authz_service.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

struct Flags {
  std::string listen = "127.0.0.1:9000";
  std::string latency_median = "1ms";
  double latency_sigma = 0.3;
  double stall_probability = 0;
  std::string stall = "50ms";
  double unavailable_probability = 0;
  std::vector<std::string> trailing_metadata;
  std::string allow_header = "x-allow";
  std::string allow_value = "true";
  std::string identity_header;
  int threads = 1;
};

absl::Status ParseDurationFlag(const std::string& flag, const std::string& text,
                               absl::Duration* out) {
  if (!absl::ParseDuration(text, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": not a duration: \"", text, "\" (want e.g. 1ms, 250us, 1.5s)"));
  }
  return absl::OkStatus();
}

absl::Status ToOptions(const Flags& flags, edgekit::fakeauthz::FakeAuthzOptions* options) {
  options->listen = flags.listen;
  options->allow_header = flags.allow_header;
  options->allow_value = flags.allow_value;
  options->identity_header = flags.identity_header;
  options->timer_threads = flags.threads;
  auto& latency = options->latency;
  if (absl::Status s = ParseDurationFlag("--latency-median", flags.latency_median, &latency.median);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseDurationFlag("--stall", flags.stall, &latency.stall); !s.ok()) {
    return s;
  }
  latency.sigma = flags.latency_sigma;
  latency.stall_probability = flags.stall_probability;
  latency.unavailable_probability = flags.unavailable_probability;
  for (const std::string& kv : flags.trailing_metadata) {
    std::vector<std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trailing-metadata: want key=value, got \"", kv, "\""));
    }
    latency.trailing_metadata.emplace_back(parts[0], parts[1]);
  }
  return edgekit::fakeauthz::ValidateLatencyModel(latency);
}

}  // namespace

int main(int argc, char** argv) {
  // A measuring tool should spend as little CPU as it can on a shared 2-core machine:
  // Debian's Abseil otherwise checks every absl::Mutex (gRPC's too) for lock cycles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  CLI::App app{
      "Fake ext_authz service (envoy.service.auth.v3.Authorization) with a "
      "tunable latency tail.",
      "fake-authz"};
  app.add_option("--listen", flags.listen, "host:port to serve on (port 0: any free)")
      ->capture_default_str();
  app.add_option("--latency-median", flags.latency_median, "median of the lognormal base latency")
      ->capture_default_str();
  app.add_option("--latency-sigma", flags.latency_sigma, "lognormal shape (0: always the median)")
      ->capture_default_str();
  app.add_option("--stall-probability", flags.stall_probability,
                 "probability that a call also stalls for --stall")
      ->capture_default_str();
  app.add_option("--stall", flags.stall, "extra latency of a stalled call")->capture_default_str();
  app.add_option("--unavailable-probability", flags.unavailable_probability,
                 "probability that a call fails with UNAVAILABLE")
      ->capture_default_str();
  app.add_option("--trailing-metadata", flags.trailing_metadata,
                 "key=value added to every answer's trailers (repeatable), e.g. "
                 "grpc-retry-pushback-ms=50");
  app.add_option("--allow-header", flags.allow_header,
                 "request header that decides: allow iff it equals --allow-value")
      ->capture_default_str();
  app.add_option("--allow-value", flags.allow_value)->capture_default_str();
  app.add_option("--identity-header", flags.identity_header,
                 "Name the request's value of this header in every decision (x-identity)");
  app.add_option("--threads", flags.threads, "timer threads sending the answers")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help is a "parse error" with exit code 0.
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }

  edgekit::fakeauthz::FakeAuthzOptions options;
  if (absl::Status s = ToOptions(flags, &options); !s.ok()) {
    std::cerr << "fake-authz: " << s.message() << "\n";
    return kExitUsage;
  }

  // Block the stop signals before gRPC starts its threads (they inherit the mask), so
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = edgekit::fakeauthz::FakeAuthzServer::Start(options);
  if (!server.ok()) {
    std::cerr << "fake-authz: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::printf("fake-authz listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::fprintf(stderr, "fake-authz: signal %d, shutting down\n", signal);
  (*server)->Shutdown(absl::Seconds(1));
  return 0;
}
