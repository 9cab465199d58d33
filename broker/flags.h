// The broker's command line (CLI11 stays inside flags.cc: it is slow to compile).
// Every flag overrides one BrokerConfig field:
//   --listen HOST:PORT              listen
//   --metrics-listen HOST:PORT      metrics_listen
//   --upstream TARGET               upstream.target
//   --upstream-ca FILE              upstream.ca_file
//   --upstream-cert FILE            upstream.cert_file
//   --upstream-key FILE             upstream.key_file
//   --upstream-server-name NAME     upstream.tls_server_name
//   --default-deadline DURATION     upstream.default_deadline
//   --max-attempts N                hedging.max_attempts
//   --hedge-quantile Q              hedging.quantile
//   --hedge-delay-min DURATION      hedging.delay_min
//   --hedge-delay-max DURATION      hedging.delay_max
//   --initial-hedge-delay DURATION  hedging.initial_delay
//   --hedge-budget FRACTION         hedging.budget
//   --max-inflight N                limits.max_inflight
//   --max-message-bytes N           limits.max_message_bytes
//   --forward-method NAME (repeat)  forward_methods
//   --drain-timeout DURATION        drain_timeout
//   --shutdown-delay DURATION       shutdown_delay
//   --worker-threads N              worker_threads
// plus --config FILE, --check-config (validate everything, print a summary, exit) and
// --help / --version.
#ifndef EDGEKIT_BROKER_FLAGS_H_
#define EDGEKIT_BROKER_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "edgekit/broker/v1/broker_config.pb.h"

namespace edgekit::broker {

struct BrokerCommandLine {
  std::string config_path;                      // --config, empty if not given
  edgekit::broker::v1::BrokerConfig overrides;  // only the fields given as flags
  bool check_config = false;                    // --check-config
  // Set when --help or --version was given: print this to stdout and exit 0.
  std::string early_exit_text;
};

// InvalidArgument with CLI11's message (naming the flag) for unknown flags, missing
// values or values of the wrong type. Range checks are left to ValidateBrokerConfig.
absl::StatusOr<BrokerCommandLine> ParseBrokerCommandLine(int argc, const char* const* argv);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_FLAGS_H_
