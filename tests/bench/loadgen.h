// edgekit-loadgen's engine: drives envoy.service.auth.v3.Authorization/Check (or any unary
// method) with pre-serialized request bytes over the async CompletionQueue API, open-loop
// (a fixed schedule, latency measured from each call's INTENDED send time so a stalled
// server cannot hide its stall: no coordinated omission) or closed-loop (N calls always
// outstanding). Every latency sample is kept and sorted: percentiles are exact.
#ifndef EDGEKIT_TESTS_BENCH_LOADGEN_H_
#define EDGEKIT_TESTS_BENCH_LOADGEN_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace edgekit::bench {

struct LoadgenOptions {
  std::string target;
  std::string method = "/envoy.service.auth.v3.Authorization/Check";
  double rate = 0;      // > 0: open loop at this many calls per second
  int concurrency = 0;  // > 0: closed loop with this many calls outstanding
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);  // same load, not measured
  absl::Duration deadline = absl::Seconds(1);
  int connections = 1;  // channels, each with its own TCP connection
  int threads = 1;      // completion-queue threads
  bool allow = true;    // value of the request's x-allow header ("true"/"false")
  std::vector<std::pair<std::string, std::string>> metadata;  // added to every call
  // HTTP request headers added to (or replacing in) the CheckRequest, e.g. one a
  // direct-response rule answers.
  std::vector<std::pair<std::string, std::string>> headers;
  // > 0: every call carries "authorization: Bearer token-K" with K drawn from a Zipf
  // distribution over [0, tokens) with exponent zipf_s (P(K) proportional to 1/(K+1)^s),
  // from a fixed seed: a workload for the broker's decision cache.
  int tokens = 0;
  double zipf_s = 1.1;
  // Which sequence of tokens: runs with the same seed send the same tokens in the same
  // order; another seed, another sequence.
  uint64_t seed = 0;
};

// Draws token indexes: Zipf(s) over [0, n), deterministic in the draw number, so any
// thread can draw without a shared generator. n >= 1.
class ZipfTokens {
 public:
  ZipfTokens(int n, double s);
  // The index for the `draw`-th call.
  int Pick(uint64_t draw) const;

 private:
  std::vector<double> cdf_;  // cdf_[k] = P(K <= k)
};

// InvalidArgument naming the field.
absl::Status ValidateLoadgenOptions(const LoadgenOptions& options);

// Exact order statistics in microseconds.
struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
};
// Sorts `samples_ns` in place. Percentiles use the nearest-rank definition.
LatencySummary Summarize(std::vector<int64_t>* samples_ns);

struct LoadgenResult {
  uint64_t sent = 0;  // calls whose (intended) start fell in the measured window
  uint64_t ok = 0;
  std::map<grpc::StatusCode, uint64_t> errors;
  double elapsed_s = 0;     // measured window as it really went (see RunLoad)
  double achieved_rps = 0;  // completed measured calls / elapsed_s
  LatencySummary latency;   // over all measured calls, OK or not
  // CheckResponse.status.code of a preflight call (0 allow, 7 deny), or -1 when the
  // preflight failed or the answer was not a CheckResponse.
  int preflight_check_code = -1;
  std::string preflight_error;
  uint64_t error_total() const;
};

// A realistic ext_authz CheckRequest as Envoy sends it for a browser GET (~15 headers,
// the TCP peer 10.0.0.12 a load balancer, x-forwarded-for "203.0.113.7, 10.0.0.12" with
// the peer appended as Envoy does), serialized; `headers` added or replaced.
std::string CheckRequestBytes(bool allow,
                              const std::vector<std::pair<std::string, std::string>>& headers = {});

// Runs warmup + measured window and waits for every call to end (at most `deadline`
// after the last send). Fails if the target cannot be reached within 5 s.
absl::StatusOr<LoadgenResult> RunLoad(const LoadgenOptions& options);

std::string ResultToJson(const LoadgenOptions& options, const LoadgenResult& result);
std::string ResultToText(const LoadgenOptions& options, const LoadgenResult& result);

// Canonical upper-case name of a gRPC code ("DEADLINE_EXCEEDED").
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace edgekit::bench

#endif  // EDGEKIT_TESTS_BENCH_LOADGEN_H_
