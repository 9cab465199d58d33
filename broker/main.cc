// edgekit-broker: flags and config in, signals handled, everything else in BrokerServer.
// Exit codes: 0 success (including SIGTERM after draining), 1 runtime failure (e.g. a
// port that cannot be bound), 2 bad command line or configuration.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

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
using edgekit::broker::DirectResponseSettings;
using edgekit::broker::LoadBrokerSettings;
using edgekit::broker::LogError;
using edgekit::broker::LogInfo;

std::string Summary(const BrokerSettings& s) {
  std::vector<std::string> codes;
  for (auto code : s.hedging.non_fatal_codes) {
    codes.emplace_back(edgekit::GrpcCodeName(code));
  }
  return absl::StrCat(
      "listen=", s.listen, " metrics_listen=", s.metrics_listen,
      " upstream=", s.direct_responses.rules_only ? "none" : s.upstream.target,
      s.direct_responses.rules_only ? ""
      : s.upstream.ca_file.empty()  ? " (plaintext)"
                                    : " (TLS)",
      " max_attempts=", s.hedging.max_attempts, " quantile=", s.hedging.quantile, " delay=[",
      absl::FormatDuration(s.hedging.delay_min), ", ", absl::FormatDuration(s.hedging.delay_max),
      "] initial_delay=", absl::FormatDuration(s.hedging.initial_delay),
      " budget=", s.hedging.budget, " non_fatal=", absl::StrJoin(codes, ","),
      " max_inflight=", s.max_inflight, " shutdown_delay=", absl::FormatDuration(s.shutdown_delay),
      " forward_methods=", absl::StrJoin(s.forward_methods, ","), " direct_responses=",
      s.direct_responses.rules == nullptr ? 0 : s.direct_responses.rules->size(), " rules (",
      s.direct_responses.rules == nullptr ? 0 : s.direct_responses.rules->cidr_count(), " CIDRs)",
      s.direct_responses.rules_only ? " rules_only" : "", " cache=",
      s.cache.enabled() ? absl::StrCat("[", absl::StrJoin(s.cache.key.headers, ","),
                                       "] ttl=", absl::FormatDuration(s.cache.ttl))
                        : "off");
}

// What identifies the file behind --config, symlinks followed: a ConfigMap volume
// update swaps a symlink (new inode), an editor writes a new file or a new mtime.
struct FileIdentity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileIdentity& o) const {
    return exists == o.exists && device == o.device && inode == o.inode && size == o.size &&
           mtime_ns == o.mtime_ns;
  }
};

// --config and the files it names (client_ip.cidrs_file), in that order.
std::vector<FileIdentity> IdentifyAll(const std::vector<std::string>& paths);

FileIdentity Identify(const std::string& path) {
  FileIdentity id;
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.device = st.st_dev;
  id.inode = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

std::vector<FileIdentity> IdentifyAll(const std::vector<std::string>& paths) {
  std::vector<FileIdentity> ids;
  for (const std::string& path : paths) ids.push_back(Identify(path));
  return ids;
}

std::vector<std::string> WatchedFiles(const std::string& config_path,
                                      const DirectResponseSettings& direct) {
  std::vector<std::string> paths = {config_path};
  paths.insert(paths.end(), direct.files.begin(), direct.files.end());
  return paths;
}

// Reloads the config on a thread of its own, on SIGHUP and when the --config file
// changes (checked every config_watch_interval: in Kubernetes nobody sends SIGHUP, and a
// ConfigMap update only swaps a symlink), so the signal thread never parses: SIGTERM must
// work whatever a reload is doing (a parse that never ended once kept the broker from
// exiting until it was OOM-killed; a config file on a hung mount or a FIFO can still
// block the read). The thread is detached and shares only this state, never joined or
// destroyed by main; main detaches the server from it before shutting down, so a reload
// still running then applies nothing. A reload that fails keeps everything in force and
// says why (log, edgekit_broker_config_reloads_total{result="failure"}); a changed file
// that fails is not retried until it changes again.
//
// Thread-safe: Request and Detach are called by the signal thread, Run by the reload
// thread; everything they share is guarded by State::mu.
class Reloader {
 public:
  // `loaded`: the identity of --config when it was read for `startup`.
  Reloader(BrokerServer* server, const BrokerCommandLine& command_line,
           const BrokerSettings& startup, const FileIdentity& loaded)
      : state_(std::make_shared<State>()) {
    state_->server = server;
    state_->command_line = command_line;
    state_->watch_interval =
        command_line.config_path.empty() ? absl::ZeroDuration() : startup.config_watch_interval;
    state_->rules_only = startup.direct_responses.rules_only;
    state_->watched = WatchedFiles(command_line.config_path, startup.direct_responses);
    state_->loaded = IdentifyAll(state_->watched);
    state_->loaded[0] = loaded;
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
    // Read-only after construction:
    BrokerCommandLine command_line;
    absl::Duration watch_interval;  // zero: SIGHUP only
    bool rules_only = false;        // fixed at startup
    // Only touched by the reload thread: the files as last read.
    std::vector<std::string> watched;
    std::vector<FileIdentity> loaded;
  };

  static void Run(State& state) {
    const std::string& path = state.command_line.config_path;
    while (true) {
      bool requested = true;
      {
        absl::MutexLock lock(&state.mu);
        const absl::Condition wake(
            +[](State* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) {
              return s->pending || s->server == nullptr;
            },
            &state);
        if (state.watch_interval > absl::ZeroDuration()) {
          requested = state.mu.AwaitWithTimeout(wake, state.watch_interval);
        } else {
          state.mu.Await(wake);
        }
        if (state.server == nullptr) return;
        if (requested) state.pending = false;
      }
      // Taken before reading, so a change made while a file is read is seen next time.
      const std::vector<FileIdentity> now = IdentifyAll(state.watched);
      if (!requested && now == state.loaded) continue;  // nothing changed
      const std::string why = requested ? "SIGHUP" : "config file changed";
      state.loaded = now;
      {
        absl::MutexLock lock(&state.mu);
        state.parsing = true;
        state.parse_started = absl::Now();
      }
      // The parse runs unlocked: however long it takes, Request() and Detach() do not wait.
      auto reloaded = LoadBrokerSettings(path, state.command_line.overrides);
      absl::MutexLock lock(&state.mu);
      state.parsing = false;
      if (state.server == nullptr) return;
      if (!reloaded.ok()) {
        state.server->metrics().reloads_failed->Increment();
        state.server->metrics().config_last_reload_ok->Set(0);
        LogError(
            absl::StrCat(why, ": keeping the previous settings: ", reloaded.status().message()));
        continue;
      }
      state.server->ApplyHedgingSettings(reloaded->hedging);
      state.server->ApplyDirectResponseSettings(reloaded->direct_responses);
      const bool cache_replaced = state.server->ApplyCacheSettings(reloaded->cache);
      // A file the new config names for the first time is identified now: a change in
      // the moment since it was read is only seen at its next change.
      const std::vector<std::string> watched = WatchedFiles(path, reloaded->direct_responses);
      if (watched != state.watched) {
        state.watched = watched;
        std::vector<FileIdentity> ids = IdentifyAll(watched);
        ids[0] = now[0];
        state.loaded = std::move(ids);
      }
      state.server->metrics().reloads_ok->Increment();
      state.server->metrics().config_last_reload_ok->Set(1);
      std::string kept;
      if (reloaded->direct_responses.rules_only != state.rules_only) {
        kept = absl::StrCat("; direct_responses.rules_only stays ",
                            state.rules_only ? "true" : "false", " until a restart");
      }
      if (cache_replaced) kept += "; the cache settings changed: the cache starts empty";
      LogInfo(absl::StrCat(why, ": hedging settings, direct-response rules and cache reloaded; ",
                           Summary(*reloaded),
                           " (listeners, upstream and limits change only on restart)", kept));
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace edgekit::broker;
  // Debian's Abseil checks every absl::Mutex acquisition for lock-order cycles (gRPC's
  // own locks are absl::Mutex too); under load that bookkeeping cost ~12% of the broker's
  // CPU. No code runs under a call's mutex (server_call.h), so there is little order to
  // get wrong; the sanitizer build, which the tests run, keeps the check and aborts on a
  // cycle, as the in-process tests do.
#ifdef EDGEKIT_DETECT_DEADLOCKS
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
#else
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
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
  const FileIdentity loaded = Identify(command_line->config_path);
  auto settings = LoadBrokerSettings(command_line->config_path, command_line->overrides);
  if (!settings.ok()) {
    std::cerr << "edgekit-broker: invalid configuration: " << settings.status().message() << "\n";
    return 2;
  }
  if (command_line->check_config) {
    // What startup reads besides the config (the upstream's PEM files), read the same way;
    // only binding the ports is left to startup.
    if (!settings->direct_responses.rules_only) {
      auto credentials = LoadUpstreamCredentials(settings->upstream);
      if (!credentials.ok()) {
        std::cerr << "edgekit-broker: invalid configuration: " << credentials.status().message()
                  << "\n";
        return 2;
      }
    }
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

  Reloader reloader(server->get(), *command_line, *settings, loaded);
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
