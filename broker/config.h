// Turns the broker's YAML config file and command-line overrides into validated
// BrokerSettings. The schema is edgekit.broker.v1.BrokerConfig (proto/); defaults and
// range checks live here, once, and every message names the key path and the bad value,
// e.g. "hedging.max_attempts: must be in [1, 5], got 9".
#ifndef EDGEKIT_BROKER_CONFIG_H_
#define EDGEKIT_BROKER_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "broker/settings.h"
#include "edgekit/broker/v1/broker_config.pb.h"

namespace edgekit::broker {

// Applies defaults to unset fields, checks every value and converts. InvalidArgument on
// the first bad value, naming its key path (the flag names map to these paths, listed in
// flags.h). Checks: listen/metrics_listen are host:port with a port in [0, 65535];
// upstream.target non-empty; cert_file and key_file both or neither, and only with
// ca_file; durations parse and are > 0; delay_min <= delay_max; quantile in (0, 1);
// max_attempts in [1, 5]; budget in [0, 1]; min_samples >= 1; non_fatal_codes are gRPC
// code names other than OK; throttling.max_tokens in (0, 1000]; token_ratio in (0, 1];
// max_inflight >= 1; max_message_bytes in [1024, 1 GiB]; forward_methods look like
// "/pkg.Service/Method" (the Check method is always included, once).
// Files the config names (direct_responses' client_ip.cidrs_file) are read from
// `files_dir` (the config file's directory) unless `read_files` is false (the CLI, which
// checks the config it writes for a broker on another machine).
struct FileAccess {
  bool read_files = true;
  std::string files_dir;
};
absl::StatusOr<BrokerSettings> ValidateBrokerConfig(const edgekit::broker::v1::BrokerConfig& config,
                                                    const FileAccess& files = FileAccess());

// Reads `config_path` (empty: no file), then applies `overrides` on top (a field set in
// overrides wins; a non-empty repeated field in overrides replaces the file's), then
// validates. File errors carry the path (and line:col for YAML errors).
absl::StatusOr<BrokerSettings> LoadBrokerSettings(
    const std::string& config_path, const edgekit::broker::v1::BrokerConfig& overrides);

// The same for a config already read into `text`; `source` names it in messages (where
// LoadBrokerSettings puts the path). Files it names are not read (only checked to be
// named). Used by the fuzz target tests/fuzz.
absl::StatusOr<BrokerSettings> LoadBrokerSettingsFromText(
    std::string_view text, const std::string& source,
    const edgekit::broker::v1::BrokerConfig& overrides);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_CONFIG_H_
