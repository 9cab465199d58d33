// Typed, validated broker settings. broker/config.h produces them from the YAML file and
// the command line; everything else in the broker reads only these structs.
#ifndef EDGEKIT_BROKER_SETTINGS_H_
#define EDGEKIT_BROKER_SETTINGS_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cache/cache_key.h"
#include "common/grpc_codes.h"
#include "rules/rule_set.h"

namespace edgekit::broker {

// The part SIGHUP may change while calls are in flight.
struct HedgingSettings {
  int max_attempts = 2;    // 1 = hedging off, at most 5
  double quantile = 0.95;  // in (0, 1)
  absl::Duration delay_min = absl::Milliseconds(1);
  absl::Duration delay_max = absl::Seconds(1);
  absl::Duration initial_delay = absl::Milliseconds(10);
  uint32_t min_samples = 100;
  absl::Duration window = absl::Seconds(30);
  double budget = 0.1;  // hedges per primary, in [0, 1]
  std::set<GrpcCode> non_fatal_codes = {GrpcCode::kUnavailable};
  double throttle_max_tokens = 10;    // gRFC A6 retryThrottling.maxTokens
  double throttle_token_ratio = 0.1;  // gRFC A6 retryThrottling.tokenRatio
};

struct UpstreamSettings {
  std::string target;                        // gRPC target, required
  std::string ca_file, cert_file, key_file;  // TLS when ca_file is set
  std::string tls_server_name;
  absl::Duration default_deadline = absl::Seconds(1);
  absl::Duration resolve_interval = absl::Seconds(30);
};

// The direct-response stage (broker_config.proto DirectResponses). A reload replaces the
// rules and num_trusted_proxies for calls that start afterwards; rules_only needs a restart.
struct DirectResponseSettings {
  std::shared_ptr<const rules::RuleSet> rules;  // null: no rules (the opaque path)
  uint32_t num_trusted_proxies = 0;
  bool rules_only = false;         // no upstream: requests no rule answers are allowed
  std::vector<std::string> files;  // the cidrs_file paths read: watched like --config
};

// The decision cache (broker_config.proto Cache). Off while key.headers is empty. A
// reload that changes any of it starts an empty cache.
struct CacheSettings {
  cache::KeySpec key;
  absl::Duration ttl = absl::ZeroDuration();        // allows; required when on
  absl::Duration deny_ttl = absl::ZeroDuration();   // zero: denials not cached
  absl::Duration stale_ttl = absl::ZeroDuration();  // zero: no stale-if-error
  uint32_t max_entries = 100000;
  uint64_t max_bytes = 32 << 20;
  bool coalesce = true;

  bool enabled() const { return !key.headers.empty(); }
  bool operator==(const CacheSettings& o) const {
    return key == o.key && ttl == o.ttl && deny_ttl == o.deny_ttl && stale_ttl == o.stale_ttl &&
           max_entries == o.max_entries && max_bytes == o.max_bytes && coalesce == o.coalesce;
  }
};

struct BrokerSettings {
  std::string listen = "127.0.0.1:9191";
  std::string metrics_listen = "0.0.0.0:9464";
  UpstreamSettings upstream;  // target empty only with direct_responses.rules_only
  HedgingSettings hedging;
  DirectResponseSettings direct_responses;
  CacheSettings cache;
  uint32_t max_inflight = 10000;
  uint32_t max_message_bytes = 4 * 1024 * 1024;
  // Full method names forwarded; always holds the ext_authz Check method.
  std::vector<std::string> forward_methods = {"/envoy.service.auth.v3.Authorization/Check"};
  absl::Duration drain_timeout = absl::Seconds(10);
  absl::Duration shutdown_delay = absl::ZeroDuration();  // not ready, still serving
  // Threads polling the one completion queue. 0 = one per CPU. Two measured best on a
  // 2-core machine (README, Benchmarks).
  int worker_threads = 2;
  // How often --config is checked for a change (then reloaded as on SIGHUP); zero: never.
  absl::Duration config_watch_interval = absl::Seconds(2);
};

inline constexpr char kCheckMethod[] = "/envoy.service.auth.v3.Authorization/Check";

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_SETTINGS_H_
