// edgekit-loadgen: load generator for ext_authz Check (see tests/bench/loadgen.h).
//   edgekit-loadgen --target 127.0.0.1:9000 --concurrency 8 --duration 10s
//   edgekit-loadgen --target 127.0.0.1:9191 --rate 2000 --duration 30s --json
// The summary goes to stdout (one JSON object per line with --json); diagnostics to
// stderr. Exit codes: 0 ran, 1 could not run (target unreachable), 2 bad flags.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/bench/loadgen.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

absl::Status ParseDurationFlag(const std::string& flag, const std::string& text,
                               absl::Duration* out) {
  if (!absl::ParseDuration(text, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": not a duration: \"", text, "\" (want e.g. 10s, 500ms)"));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  // A measuring tool should spend as little CPU as it can on a shared 2-core machine:
  // Debian's Abseil otherwise checks every absl::Mutex (gRPC's too) for lock cycles.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  edgekit::bench::LoadgenOptions options;
  std::string duration = "10s", warmup = "1s", deadline = "1s";
  std::vector<std::string> metadata, headers;
  bool json = false;
  bool deny = false;

  CLI::App app{"gRPC load generator for envoy.service.auth.v3.Authorization/Check.",
               "edgekit-loadgen"};
  app.add_option("--target", options.target, "host:port of the server under test")->required();
  app.add_option("--rate", options.rate,
                 "open loop: calls per second on a fixed schedule (latency counted from "
                 "each call's intended start)");
  app.add_option("--concurrency", options.concurrency, "closed loop: calls kept outstanding");
  app.add_option("--duration", duration, "measured window")->capture_default_str();
  app.add_option("--warmup", warmup, "unmeasured load before the window")->capture_default_str();
  app.add_option("--deadline", deadline, "per-call deadline")->capture_default_str();
  app.add_option("--connections", options.connections, "channels (TCP connections)")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "completion-queue threads")->capture_default_str();
  app.add_option("--method", options.method, "full method name")->capture_default_str();
  app.add_option("--metadata", metadata, "key=value sent with every call (repeatable)");
  app.add_option("--header", headers,
                 "name=value HTTP header added to the CheckRequest (repeatable)");
  app.add_option("--tokens", options.tokens,
                 "each call carries authorization: Bearer token-K, K Zipf-distributed over "
                 "this many tokens (0: one fixed request)")
      ->capture_default_str();
  app.add_option("--zipf-s", options.zipf_s, "exponent of the --tokens distribution")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "which sequence of --tokens (same seed, same sequence)")
      ->capture_default_str();
  app.add_flag("--deny", deny, "send x-allow: false instead of true");
  app.add_flag("--json", json, "print the summary as one JSON line");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }

  options.allow = !deny;
  for (const std::string& kv : metadata) {
    std::vector<std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (parts.size() != 2) {
      std::cerr << "edgekit-loadgen: --metadata: want key=value, got \"" << kv << "\"\n";
      return kExitUsage;
    }
    options.metadata.emplace_back(parts[0], parts[1]);
  }
  for (const std::string& kv : headers) {
    std::vector<std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty()) {
      std::cerr << "edgekit-loadgen: --header: want name=value, got \"" << kv << "\"\n";
      return kExitUsage;
    }
    options.headers.emplace_back(parts[0], parts[1]);
  }
  for (absl::Status s : {ParseDurationFlag("--duration", duration, &options.duration),
                         ParseDurationFlag("--warmup", warmup, &options.warmup),
                         ParseDurationFlag("--deadline", deadline, &options.deadline),
                         edgekit::bench::ValidateLoadgenOptions(options)}) {
    if (!s.ok()) {
      std::cerr << "edgekit-loadgen: " << s.message() << "\n";
      return kExitUsage;
    }
  }

  absl::StatusOr<edgekit::bench::LoadgenResult> result = edgekit::bench::RunLoad(options);
  if (!result.ok()) {
    std::cerr << "edgekit-loadgen: " << result.status().message() << "\n";
    return kExitFailure;
  }
  if (!result->preflight_error.empty()) {
    std::cerr << "edgekit-loadgen: warning: preflight call: " << result->preflight_error << "\n";
  }
  if (json) {
    std::cout << edgekit::bench::ResultToJson(options, *result) << std::endl;
  } else {
    std::cout << edgekit::bench::ResultToText(options, *result) << std::flush;
  }
  return 0;
}
