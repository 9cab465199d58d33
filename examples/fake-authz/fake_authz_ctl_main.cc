// fake-authz-ctl: reads a running fake-authz's counters and changes its latency model
// mid-run, for scripts (benchmarks, the demo).
//   fake-authz-ctl --target 127.0.0.1:9000 stats [--reset]      -> one JSON line
//   fake-authz-ctl --target 127.0.0.1:9000 set-latency --stall-probability 0.05 ...
// set-latency changes only the fields given; the others keep their current values.
// Exit codes: 0 ok, 1 the call failed, 2 bad flags.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "examples/fake-authz/fake_authz_control_client.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

using edgekit::fakeauthz::FakeAuthzControlClient;
using edgekit::fakeauthz::LatencyModel;

struct SetLatencyFlags {
  std::string median, stall;
  double sigma = 0, stall_probability = 0, unavailable_probability = 0;
  int fixed_status = 0;
  std::vector<std::string> trailing_metadata;
};

int RunSetLatency(FakeAuthzControlClient& client, const CLI::App& cmd, const SetLatencyFlags& f) {
  auto given = [&cmd](const char* name) { return cmd.count(name) > 0; };
  auto current = client.GetStats();
  if (!current.ok()) {
    std::cerr << "fake-authz-ctl: " << current.status() << "\n";
    return kExitFailure;
  }
  auto model = edgekit::fakeauthz::LatencyModelFromProto(current->latency());
  if (!model.ok()) {
    std::cerr << "fake-authz-ctl: server model: " << model.status() << "\n";
    return kExitFailure;
  }
  if (given("--latency-median") && !absl::ParseDuration(f.median, &model->median)) {
    std::cerr << "fake-authz-ctl: --latency-median: not a duration: " << f.median << "\n";
    return kExitUsage;
  }
  if (given("--stall") && !absl::ParseDuration(f.stall, &model->stall)) {
    std::cerr << "fake-authz-ctl: --stall: not a duration: " << f.stall << "\n";
    return kExitUsage;
  }
  if (given("--latency-sigma")) model->sigma = f.sigma;
  if (given("--stall-probability")) model->stall_probability = f.stall_probability;
  if (given("--unavailable-probability")) {
    model->unavailable_probability = f.unavailable_probability;
  }
  if (given("--fixed-status")) {
    if (f.fixed_status < 0) {
      model->fixed_status.reset();
    } else {
      model->fixed_status = static_cast<grpc::StatusCode>(f.fixed_status);
    }
  }
  if (given("--trailing-metadata")) {
    model->trailing_metadata.clear();
    for (const std::string& kv : f.trailing_metadata) {
      std::vector<std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
      if (parts.size() != 2) {
        std::cerr << "fake-authz-ctl: --trailing-metadata: want key=value, got " << kv << "\n";
        return kExitUsage;
      }
      model->trailing_metadata.emplace_back(parts[0], parts[1]);
    }
  }
  if (absl::Status s = edgekit::fakeauthz::ValidateLatencyModel(*model); !s.ok()) {
    std::cerr << "fake-authz-ctl: " << s.message() << "\n";
    return kExitUsage;
  }
  auto previous = client.SetLatency(*model);
  if (!previous.ok()) {
    std::cerr << "fake-authz-ctl: " << previous.status() << "\n";
    return kExitFailure;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Reads counters of, and changes the latency model of, a running fake-authz.",
               "fake-authz-ctl"};
  std::string target = "127.0.0.1:9000";
  app.add_option("--target", target, "fake-authz address")->capture_default_str();
  app.require_subcommand(1);

  CLI::App* stats = app.add_subcommand("stats", "print the counters as one JSON line");
  bool reset = false;
  stats->add_flag("--reset", reset, "zero the counters after reading them");

  CLI::App* set =
      app.add_subcommand("set-latency", "change the latency model (only the fields given)");
  SetLatencyFlags f;
  set->add_option("--latency-median", f.median, "e.g. 1ms");
  set->add_option("--latency-sigma", f.sigma);
  set->add_option("--stall-probability", f.stall_probability);
  set->add_option("--stall", f.stall, "e.g. 50ms");
  set->add_option("--unavailable-probability", f.unavailable_probability);
  set->add_option("--fixed-status", f.fixed_status, "gRPC code every call ends with; -1 clears it");
  set->add_option("--trailing-metadata", f.trailing_metadata,
                  "key=value (repeatable); replaces the whole set");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }

  FakeAuthzControlClient client(target);
  if (stats->parsed()) {
    auto response = client.GetStats(reset);
    if (!response.ok()) {
      std::cerr << "fake-authz-ctl: " << response.status() << "\n";
      return kExitFailure;
    }
    std::cout << edgekit::fakeauthz::StatsToJson(*response) << "\n";
    return 0;
  }
  return RunSetLatency(client, *set, f);
}
