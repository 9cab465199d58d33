// The broker's Prometheus metrics. The names are a contract: the Helm chart, the Grafana
// dashboard, the alert rules and the tests read them. Every child is created up front so
// the hot path only increments (no label lookups, no allocation).
#ifndef EDGEKIT_BROKER_METRICS_H_
#define EDGEKIT_BROKER_METRICS_H_

#include <array>
#include <memory>
#include <string>

#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace edgekit::broker {

class BrokerMetrics {
 public:
  BrokerMetrics();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  // edgekit_broker_requests_total{code}: Check calls answered, by gRPC code name.
  prometheus::Counter& Requests(grpc::StatusCode code);

  // edgekit_broker_direct_responses_total{rule, mode}: calls a rule answered
  // (mode="enforce") or matched in dry run (mode="dry_run"). Looked up when a rule set is
  // built, never per call.
  prometheus::Counter& DirectResponses(const std::string& rule, bool dry_run);

  prometheus::Histogram* request_duration;   // edgekit_broker_request_duration_seconds
  prometheus::Counter* primary_attempts;     // ..._upstream_attempts_total{attempt="primary"}
  prometheus::Counter* hedge_attempts;       // ..._upstream_attempts_total{attempt="hedge"}
  prometheus::Counter* hedges;               // edgekit_broker_hedges_total
  prometheus::Counter* hedge_wins;           // edgekit_broker_hedge_wins_total
  prometheus::Counter* suppressed_budget;    // ..._hedges_suppressed_total{reason="budget"}
  prometheus::Counter* suppressed_throttle;  // ..._hedges_suppressed_total{reason="throttle"}
  prometheus::Counter* suppressed_deadline;  // ..._hedges_suppressed_total{reason="deadline"}
  prometheus::Gauge* hedge_delay;            // edgekit_broker_hedge_delay_seconds
  prometheus::Histogram* attempt_duration;   // ..._upstream_attempt_duration_seconds
  prometheus::Counter* cancelled;            // edgekit_broker_upstream_cancelled_total
  prometheus::Gauge* inflight;               // edgekit_broker_inflight_requests
  // Beyond the contract, for operators and alerts:
  prometheus::Gauge* ready;               // edgekit_broker_ready (1 = an upstream is ready)
  prometheus::Gauge* upstream_endpoints;  // edgekit_broker_upstream_endpoints
  prometheus::Counter* reloads_ok;        // ..._config_reloads_total{result="success"}
  prometheus::Counter* reloads_failed;    // ..._config_reloads_total{result="failure"}
  // edgekit_broker_config_last_reload_successful: 0 while the file on disk failed to load
  // (the settings in force are older than the file), else 1.
  prometheus::Gauge* config_last_reload_ok;
  prometheus::Gauge* direct_response_rules;  // edgekit_broker_direct_response_rules
  prometheus::Gauge* direct_response_cidrs;  // edgekit_broker_direct_response_cidrs
  prometheus::Counter* malformed_requests;   // edgekit_broker_malformed_requests_total
  // The decision cache (decision_cache.h): every cacheable call counts one of hits,
  // misses, coalesced (except a call that gave up waiting for a concurrent one);
  // stale_served counts misses answered from an expired entry.
  prometheus::Counter* cache_hits;          // edgekit_broker_cache_hits_total
  prometheus::Counter* cache_misses;        // edgekit_broker_cache_misses_total
  prometheus::Counter* cache_coalesced;     // edgekit_broker_cache_coalesced_total
  prometheus::Counter* cache_stale_served;  // edgekit_broker_cache_stale_served_total
  prometheus::Counter* cache_bypassed;      // edgekit_broker_cache_bypassed_total
  prometheus::Counter* cache_evictions;     // edgekit_broker_cache_evictions_total
  prometheus::Gauge* cache_entries;         // edgekit_broker_cache_entries
  prometheus::Gauge* cache_bytes;           // edgekit_broker_cache_bytes

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, 17> requests_by_code_{};
  prometheus::Family<prometheus::Counter>* direct_responses_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_METRICS_H_
