// edgekit-broker: flags and config in, signals handled, everything else in BrokerServer.
// Exit codes: 0 success (including SIGTERM after draining), 1 runtime failure (e.g. a
// port that cannot be bound), 2 bad command line or configuration.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker/broker_server.h"
#include "broker/config.h"
#include "broker/flags.h"
#include "broker/log.h"
#include "common/grpc_codes.h"

namespace {

using edgekit::broker::BrokerCommandLine;
using edgekit::broker::BrokerServer;
using edgekit::broker::BrokerSettings;
using edgekit::broker::LoadBrokerSettings;
using edgekit::broker::LogError;
using edgekit::broker::LogInfo;

std::string Summary(const BrokerSettings& s) {
  std::vector<std::string> codes;
  for (auto code : s.hedging.non_fatal_codes) {
    codes.emplace_back(edgekit::GrpcCodeName(code));
  }
  return absl::StrCat(
      "listen=", s.listen, " metrics_listen=", s.metrics_listen, " upstream=", s.upstream.target,
      s.upstream.ca_file.empty() ? " (plaintext)" : " (TLS)",
      " max_attempts=", s.hedging.max_attempts, " quantile=", s.hedging.quantile, " delay=[",
      absl::FormatDuration(s.hedging.delay_min), ", ", absl::FormatDuration(s.hedging.delay_max),
      "] initial_delay=", absl::FormatDuration(s.hedging.initial_delay),
      " budget=", s.hedging.budget, " non_fatal=", absl::StrJoin(codes, ","),
      " max_inflight=", s.max_inflight, " shutdown_delay=", absl::FormatDuration(s.shutdown_delay),
      " forward_methods=", absl::StrJoin(s.forward_methods, ","));
}

// Parses the config for SIGHUP on a thread of its own, so the signal thread never does:
// SIGTERM must work whatever a reload is doing (a parse that never ended once kept the
// broker from exiting until it was OOM-killed; a config file on a hung mount or a FIFO
// can still block the read). The thread is detached and shares only this state, never
// joined or destroyed by main; main detaches the server from it before shutting down,
// so a reload still running then applies nothing.
//
// Thread-safe: Request and Detach are called by the signal thread, Run by the reload
// thread; everything they share is guarded by State::mu.
class Reloader {
 public:
  Reloader(BrokerServer* server, const BrokerCommandLine& command_line)
      : state_(std::make_shared<State>()) {
    state_->server = server;
    state_->command_line = command_line;
    std::thread([state = state_] { Run(*state); }).detach();
  }

  // Asks for a reload; SIGHUPs that arrive while one is running make one more, not many.
  void Request() {
    absl::MutexLock lock(&state_->mu);
    state_->pending = true;
    if (state_->parsing) {
      LogInfo(absl::StrCat("SIGHUP: the reload started ",
                           absl::FormatDuration(absl::Trunc(absl::Now() - state_->parse_started,
                                                            absl::Milliseconds(1))),
                           " ago is still reading the file; one more follows it"));
    }
  }

  // After this no reload touches the server (waits for one being applied, not parsed).
  // True if a reload is still reading or parsing the file: its thread may be anywhere
  // in the parser, so the process must not run exit-time destructors under it.
  bool Detach() {
    absl::MutexLock lock(&state_->mu);
    state_->server = nullptr;
    return state_->parsing;
  }

 private:
  struct State {
    absl::Mutex mu;
    bool pending ABSL_GUARDED_BY(mu) = false;
    bool parsing ABSL_GUARDED_BY(mu) = false;
    absl::Time parse_started ABSL_GUARDED_BY(mu);
    BrokerServer* server ABSL_GUARDED_BY(mu) = nullptr;
    BrokerCommandLine command_line;  // read-only after construction
  };

  static void Run(State& state) {
    while (true) {
      {
        absl::MutexLock lock(&state.mu);
        state.mu.Await(absl::Condition(
            +[](State* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
              return s->pending || s->server == nullptr;
            },
            &state));
        if (state.server == nullptr) return;
        state.pending = false;
        state.parsing = true;
        state.parse_started = absl::Now();
      }
      // The parse runs unlocked: however long it takes, Request() and Detach() do not wait.
      auto reloaded =
          LoadBrokerSettings(state.command_line.config_path, state.command_line.overrides);
      absl::MutexLock lock(&state.mu);
      state.parsing = false;
      if (state.server == nullptr) return;
      if (!reloaded.ok()) {
        state.server->metrics().reloads_failed->Increment();
        LogError(
            absl::StrCat("SIGHUP: keeping the previous settings: ", reloaded.status().message()));
        continue;
      }
      state.server->ApplyHedgingSettings(reloaded->hedging);
      state.server->metrics().reloads_ok->Increment();
      LogInfo(absl::StrCat("SIGHUP: hedging settings reloaded; ", Summary(*reloaded),
                           " (listeners, upstream and limits change only on restart)"));
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace edgekit::broker;
  // Debian's Abseil checks every absl::Mutex acquisition for lock-order cycles (gRPC's
  // own locks are absl::Mutex too); under load that bookkeeping cost ~12% of the broker's
  // CPU. Our lock order is simple (a call's mutex, then the timer queue's) and tested.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto command_line = ParseBrokerCommandLine(argc, argv);
  if (!command_line.ok()) {
    std::cerr << "edgekit-broker: " << command_line.status().message() << "\n"
              << "Run 'edgekit-broker --help' for the flags.\n";
    return 2;
  }
  if (!command_line->early_exit_text.empty()) {
    std::cout << command_line->early_exit_text;
    return 0;
  }
  auto settings = LoadBrokerSettings(command_line->config_path, command_line->overrides);
  if (!settings.ok()) {
    std::cerr << "edgekit-broker: invalid configuration: " << settings.status().message() << "\n";
    return 2;
  }
  if (command_line->check_config) {
    std::cout << "configuration OK: " << Summary(*settings) << "\n";
    return 0;
  }

  // Block the signals we handle before any thread starts, so every thread inherits the
  // mask and this thread alone receives them through sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = BrokerServer::Start(*settings);
  if (!server.ok()) {
    LogError(absl::StrCat("cannot start: ", server.status().message()));
    return 1;
  }
  LogInfo(absl::StrCat(
      "edgekit-broker listening on ", settings->listen.substr(0, settings->listen.rfind(':')), ":",
      (*server)->port(), " metrics on port ", (*server)->metrics_port(), "; ", Summary(*settings)));

  Reloader reloader(server->get(), *command_line);
  while (true) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      reloader.Request();
      continue;
    }
    const char* name = signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
    const bool reload_running = reloader.Detach();
    (*server)->MarkNotReady();
    if (settings->shutdown_delay > absl::ZeroDuration()) {
      LogInfo(absl::StrCat(name, ": not ready; still answering for ",
                           absl::FormatDuration(settings->shutdown_delay),
                           " (shutdown_delay; a second signal skips it)"));
      const timespec delay = absl::ToTimespec(settings->shutdown_delay);
      sigset_t stop_signals;
      sigemptyset(&stop_signals);
      sigaddset(&stop_signals, SIGTERM);
      sigaddset(&stop_signals, SIGINT);
      sigtimedwait(&stop_signals, nullptr, &delay);
    }
    LogInfo(absl::StrCat(name, ": draining calls in flight (up to ",
                         absl::FormatDuration(settings->drain_timeout), ")"));
    (*server)->Shutdown();
    if (reload_running) {
      // Everything was drained; what is left is a reload thread stuck in the file or the
      // parser. exit() would run static destructors under it (it may be using them), so
      // leave without them: the process's resources go with it.
      LogInfo("stopped (a SIGHUP reload was still reading its file; left unfinished)");
      std::fflush(nullptr);
      std::_Exit(0);
    }
    LogInfo("stopped");
    return 0;
  }
}
