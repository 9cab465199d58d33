// Registers every broker metric once; see metrics.h for the names.
#include "broker/metrics.h"

#include "common/grpc_codes.h"

namespace edgekit::broker {
namespace {

// Seconds. Dense around 0.1-10 ms, where a healthy auth service answers, so the
// dashboard's p50/p95/p99 are meaningful, and up to 2.5 s for stalls and timeouts.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005,
          0.0075, 0.01,    0.025,  0.05,    0.1,   0.25,   0.5,   1.0,   2.5};
}

}  // namespace

BrokerMetrics::BrokerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& requests = prometheus::BuildCounter()
                       .Name("edgekit_broker_requests_total")
                       .Help("Calls answered by the broker, by gRPC status code name.")
                       .Register(*registry_);
  for (int code = 0; code < static_cast<int>(requests_by_code_.size()); ++code) {
    requests_by_code_[code] =
        &requests.Add({{"code", std::string(GrpcCodeName(static_cast<GrpcCode>(code)))}});
  }
  request_duration = &prometheus::BuildHistogram()
                          .Name("edgekit_broker_request_duration_seconds")
                          .Help(
                              "Time from receiving a call to answering it, as the caller "
                              "(Envoy) sees it.")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets());
  auto& attempts = prometheus::BuildCounter()
                       .Name("edgekit_broker_upstream_attempts_total")
                       .Help(
                           "Attempts sent to the upstream: the first of each call "
                           "(primary) and every later one (hedge).")
                       .Register(*registry_);
  primary_attempts = &attempts.Add({{"attempt", "primary"}});
  hedge_attempts = &attempts.Add({{"attempt", "hedge"}});
  hedges = &prometheus::BuildCounter()
                .Name("edgekit_broker_hedges_total")
                .Help(
                    "Hedged attempts sent (a later attempt started while the earlier "
                    "ones were still outstanding, or to replace a failed one).")
                .Register(*registry_)
                .Add({});
  hedge_wins = &prometheus::BuildCounter()
                    .Name("edgekit_broker_hedge_wins_total")
                    .Help("Calls answered by a hedged attempt rather than the primary.")
                    .Register(*registry_)
                    .Add({});
  auto& suppressed = prometheus::BuildCounter()
                         .Name("edgekit_broker_hedges_suppressed_total")
                         .Help(
                             "Hedges not sent, by reason: extra-load budget spent, "
                             "upstream failing (throttle), too little deadline left.")
                         .Register(*registry_);
  suppressed_budget = &suppressed.Add({{"reason", "budget"}});
  suppressed_throttle = &suppressed.Add({{"reason", "throttle"}});
  suppressed_deadline = &suppressed.Add({{"reason", "deadline"}});
  hedge_delay = &prometheus::BuildGauge()
                     .Name("edgekit_broker_hedge_delay_seconds")
                     .Help("The hedge delay in force now.")
                     .Register(*registry_)
                     .Add({});
  attempt_duration = &prometheus::BuildHistogram()
                          .Name("edgekit_broker_upstream_attempt_duration_seconds")
                          .Help(
                              "Duration of each upstream attempt that finished on its "
                              "own (cancelled losers are not included).")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets());
  cancelled = &prometheus::BuildCounter()
                   .Name("edgekit_broker_upstream_cancelled_total")
                   .Help("Losing upstream attempts cancelled because another answered.")
                   .Register(*registry_)
                   .Add({});
  inflight = &prometheus::BuildGauge()
                  .Name("edgekit_broker_inflight_requests")
                  .Help("Calls being handled now.")
                  .Register(*registry_)
                  .Add({});
  ready = &prometheus::BuildGauge()
               .Name("edgekit_broker_ready")
               .Help(
                   "1 when at least one upstream endpoint is connected and the broker "
                   "is not shutting down, else 0.")
               .Register(*registry_)
               .Add({});
  upstream_endpoints = &prometheus::BuildGauge()
                            .Name("edgekit_broker_upstream_endpoints")
                            .Help("Upstream endpoints currently resolved.")
                            .Register(*registry_)
                            .Add({});
  auto& reloads = prometheus::BuildCounter()
                      .Name("edgekit_broker_config_reloads_total")
                      .Help(
                          "Configuration reloads (SIGHUP or a changed --config file), by "
                          "result; on failure the settings in force are kept.")
                      .Register(*registry_);
  reloads_ok = &reloads.Add({{"result", "success"}});
  reloads_failed = &reloads.Add({{"result", "failure"}});
  config_last_reload_ok =
      &prometheus::BuildGauge()
           .Name("edgekit_broker_config_last_reload_successful")
           .Help(
               "1 when the last configuration reload succeeded (or none was needed), 0 "
               "while the file failed to load and older settings are in force.")
           .Register(*registry_)
           .Add({});
  config_last_reload_ok->Set(1);
  direct_responses_ = &prometheus::BuildCounter()
                           .Name("edgekit_broker_direct_responses_total")
                           .Help(
                               "Calls a direct-response rule matched, by rule name (from "
                               "the config) and mode: \"enforce\" answered without an "
                               "upstream call, \"dry_run\" only counted and forwarded.")
                           .Register(*registry_);
  direct_response_rules = &prometheus::BuildGauge()
                               .Name("edgekit_broker_direct_response_rules")
                               .Help("Direct-response rules in force.")
                               .Register(*registry_)
                               .Add({});
  direct_response_cidrs = &prometheus::BuildGauge()
                               .Name("edgekit_broker_direct_response_cidrs")
                               .Help("CIDR entries in the client_ip tests of the rules in force.")
                               .Register(*registry_)
                               .Add({});
  malformed_requests = &prometheus::BuildCounter()
                            .Name("edgekit_broker_malformed_requests_total")
                            .Help(
                                "Calls whose CheckRequest could not be parsed for the rules "
                                "(answered INVALID_ARGUMENT).")
                            .Register(*registry_)
                            .Add({});
  auto counter = [this](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add({});
  };
  auto gauge = [this](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  cache_hits = counter("edgekit_broker_cache_hits_total",
                       "Check calls answered from the decision cache (no upstream call).");
  cache_misses = counter("edgekit_broker_cache_misses_total",
                         "Cacheable Check calls that went to the upstream themselves.");
  cache_coalesced = counter("edgekit_broker_cache_coalesced_total",
                            "Check calls answered with a concurrent call's upstream answer "
                            "for the same key.");
  cache_stale_served = counter("edgekit_broker_cache_stale_served_total",
                               "Check calls answered from an expired entry because every "
                               "upstream attempt failed (cache.stale_ttl).");
  cache_bypassed = counter("edgekit_broker_cache_bypassed_total",
                           "Check calls not cached: they carry none of cache.key_headers.");
  cache_evictions = counter("edgekit_broker_cache_evictions_total",
                            "Entries evicted to stay within cache.max_entries and max_bytes.");
  cache_entries = gauge("edgekit_broker_cache_entries", "Entries in the decision cache.");
  cache_bytes = gauge("edgekit_broker_cache_bytes",
                      "Bytes the decision cache's entries are charged (max_bytes bounds it).");
}

prometheus::Counter& BrokerMetrics::DirectResponses(const std::string& rule, bool dry_run) {
  // Family::Add returns the existing child for labels it has (rules kept across reloads
  // keep counting); it locks the family, which only happens when a rule set is built.
  return direct_responses_->Add({{"rule", rule}, {"mode", dry_run ? "dry_run" : "enforce"}});
}

prometheus::Counter& BrokerMetrics::Requests(grpc::StatusCode code) {
  int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(requests_by_code_.size())) {
    index = static_cast<int>(grpc::StatusCode::UNKNOWN);
  }
  return *requests_by_code_[index];
}

}  // namespace edgekit::broker
