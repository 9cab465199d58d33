// The broker's command line, parsed with CLI11; see flags.h. CLI11 reports errors and
// --help/--version by throwing, so every CLI11 exception is caught here and becomes a
// status or early_exit_text: nothing outside this file sees CLI11.
#include "broker/flags.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace edgekit::broker {
namespace {

using edgekit::broker::v1::BrokerConfig;

constexpr char kVersionText[] = "edgekit-broker 0.1.0";

constexpr char kDescription[] =
    "edgekit-broker: receives Envoy ext_authz Check calls on loopback and forwards them "
    "to the auth service, hedging slow attempts at the observed latency quantile.";

constexpr char kFooter[] =
    "Flags override the same settings in the --config file. Durations look like "
    "\"250ms\", \"1.5s\" or \"2m\".";

// Registers one override flag. CLI11 writes into a holder owned by the returned applier;
// the applier copies the value into the overrides only if the flag was given, so an
// absent flag stays unset (proto3 optional) and the file's value or the default stands.
class Overrides {
 public:
  explicit Overrides(CLI::App* app) : app_(app) {}

  template <typename T, typename Setter>
  void Add(const std::string& flag, const std::string& type_name, const std::string& help,
           Setter set) {
    auto value = std::make_shared<T>();
    CLI::Option* option = app_->add_option(flag, *value, help)->type_name(type_name);
    appliers_.push_back([option, value, set] {
      if (option->count() > 0) set(*value);
    });
  }

  void ApplyTo() const {
    for (const auto& apply : appliers_) apply();
  }

 private:
  CLI::App* app_;
  std::vector<std::function<void()>> appliers_;
};

}  // namespace

absl::StatusOr<BrokerCommandLine> ParseBrokerCommandLine(int argc, const char* const* argv) {
  BrokerCommandLine result;
  BrokerConfig& o = result.overrides;

  CLI::App app(kDescription, "edgekit-broker");
  Overrides flags(&app);
  using S = std::string;
  std::vector<S> forward_methods;
  std::vector<S> cache_key_headers;
  // CLI11 reads argv[0] as the program name; tolerate an empty argv.
  const char* const fallback[] = {"edgekit-broker"};
  if (argc < 1 || argv == nullptr) {
    argc = 1;
    argv = fallback;
  }
  try {
    // Registration is inside the try too: CLI11 reports a bad option definition by
    // throwing, and no CLI11 exception may leave this file.
    app.footer(kFooter);
    app.set_version_flag("--version", kVersionText);
    app.add_option("--config", result.config_path,
                   "YAML config file (schema edgekit.broker.v1.BrokerConfig)")
        ->type_name("FILE");
    app.add_flag("--check-config", result.check_config,
                 "Validate the config and flags, print a summary and exit");

    flags.Add<S>("--listen", "HOST:PORT", "Address for the Check service (127.0.0.1:9191)",
                 [&o](const S& v) { o.set_listen(v); });
    flags.Add<S>("--metrics-listen", "HOST:PORT",
                 "Address for /metrics, /healthz, /readyz (0.0.0.0:9464)",
                 [&o](const S& v) { o.set_metrics_listen(v); });
    flags.Add<S>("--upstream", "TARGET", "gRPC target of the auth service",
                 [&o](const S& v) { o.mutable_upstream()->set_target(v); });
    flags.Add<S>("--upstream-ca", "FILE", "CA bundle (PEM): enables TLS to the upstream",
                 [&o](const S& v) { o.mutable_upstream()->set_ca_file(v); });
    flags.Add<S>("--upstream-cert", "FILE", "Client certificate (PEM) for mTLS",
                 [&o](const S& v) { o.mutable_upstream()->set_cert_file(v); });
    flags.Add<S>("--upstream-key", "FILE", "Client private key (PEM) for mTLS",
                 [&o](const S& v) { o.mutable_upstream()->set_key_file(v); });
    flags.Add<S>("--upstream-server-name", "NAME", "TLS server name to verify",
                 [&o](const S& v) { o.mutable_upstream()->set_tls_server_name(v); });
    flags.Add<S>("--default-deadline", "DURATION",
                 "Deadline for calls that arrive without one (1s)",
                 [&o](const S& v) { o.mutable_upstream()->set_default_deadline(v); });
    flags.Add<uint32_t>("--max-attempts", "N", "Attempts per call, 1 (no hedging) to 5 (2)",
                        [&o](uint32_t v) { o.mutable_hedging()->set_max_attempts(v); });
    flags.Add<double>("--hedge-quantile", "Q",
                      "Latency quantile used as the hedge delay, in (0, 1) (0.95)",
                      [&o](double v) { o.mutable_hedging()->set_quantile(v); });
    flags.Add<S>("--hedge-delay-min", "DURATION", "Lower clamp of the hedge delay (1ms)",
                 [&o](const S& v) { o.mutable_hedging()->set_delay_min(v); });
    flags.Add<S>("--hedge-delay-max", "DURATION", "Upper clamp of the hedge delay (1s)",
                 [&o](const S& v) { o.mutable_hedging()->set_delay_max(v); });
    flags.Add<S>("--initial-hedge-delay", "DURATION",
                 "Hedge delay until enough latencies are known (10ms)",
                 [&o](const S& v) { o.mutable_hedging()->set_initial_delay(v); });
    flags.Add<double>("--hedge-budget", "FRACTION",
                      "Extra load allowed: hedges per primary call, in [0, 1] (0.1)",
                      [&o](double v) { o.mutable_hedging()->set_budget(v); });
    flags.Add<uint32_t>("--max-inflight", "N",
                        "Calls in flight beyond this get RESOURCE_EXHAUSTED (10000)",
                        [&o](uint32_t v) { o.mutable_limits()->set_max_inflight(v); });
    flags.Add<uint32_t>("--max-message-bytes", "N", "Largest request or response message (4194304)",
                        [&o](uint32_t v) { o.mutable_limits()->set_max_message_bytes(v); });
    // One method per flag occurrence (repeat the flag), so a following positional typo is
    // reported instead of being swallowed as another method.
    app.add_option("--forward-method", forward_methods,
                   "Extra unary method to forward, \"/package.Service/Method\" (repeatable; "
                   "replaces the file's list)")
        ->type_name("NAME")
        ->allow_extra_args(false);
    app.add_option("--cache-key-header", cache_key_headers,
                   "Turns the decision cache on: a request header the auth service's decision "
                   "depends on, e.g. authorization (repeatable; replaces the file's list)")
        ->type_name("NAME")
        ->allow_extra_args(false);
    flags.Add<S>("--cache-ttl", "DURATION",
                 "How long an allow is served from the decision cache (the upstream may lower "
                 "it with x-edgekit-cache-ttl)",
                 [&o](const S& v) { o.mutable_cache()->set_ttl(v); });
    flags.Add<S>("--drain-timeout", "DURATION", "How long SIGTERM waits for in-flight calls (10s)",
                 [&o](const S& v) { o.set_drain_timeout(v); });
    flags.Add<S>("--shutdown-delay", "DURATION",
                 "After SIGTERM, keep answering (not ready) this long before draining (0s)",
                 [&o](const S& v) { o.set_shutdown_delay(v); });
    flags.Add<uint32_t>("--worker-threads", "N",
                        "Threads polling the completion queue, 0 = one per CPU (2)",
                        [&o](uint32_t v) { o.set_worker_threads(v); });
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.early_exit_text = app.help();
    return result;
  } catch (const CLI::CallForAllHelp&) {
    result.early_exit_text = app.help("", CLI::AppFormatMode::All);
    return result;
  } catch (const CLI::CallForVersion& e) {
    result.early_exit_text = std::string(e.what()) + "\n";
    return result;
  } catch (const CLI::Error& e) {
    return absl::InvalidArgumentError(std::string(e.what()) +
                                      " (run edgekit-broker --help for usage)");
  }
  flags.ApplyTo();
  for (const std::string& method : forward_methods) o.add_forward_methods(method);
  for (const std::string& name : cache_key_headers) o.mutable_cache()->add_key_headers(name);
  return result;
}

}  // namespace edgekit::broker
