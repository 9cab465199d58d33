// The broker's direct-response rules in force: each rule with its CheckResponse
// serialized once, and the decision for one received call: answer it here (a rule
// matched, or nothing matched on a rules-only broker) or forward it upstream. A dry-run
// rule that matches is counted and sampled in the log, and matching goes on past it.
//
// Threading: a DirectResponses object is immutable (apart from its log throttle) and
// shared by calls through their CallConfig snapshot (call_config.h); a reload builds a
// new one.
#ifndef EDGEKIT_BROKER_DIRECT_RESPONSES_H_
#define EDGEKIT_BROKER_DIRECT_RESPONSES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/check_request.h"
#include "broker/metrics.h"
#include "broker/settings.h"
#include "grpcpp/support/byte_buffer.h"
#include "prometheus/counter.h"

namespace edgekit::broker {

class DirectResponses {
 public:
  // `metrics` gets a child of edgekit_broker_direct_responses_total per rule name, in
  // the rule's mode ("enforce" or "dry_run").
  DirectResponses(const DirectResponseSettings& settings, BrokerMetrics& metrics);

  // True when calls must be parsed (some rule, or rules-only mode).
  bool active() const { return rules_ != nullptr || rules_only_; }
  size_t rule_count() const { return rules_ == nullptr ? 0 : rules_->size(); }
  size_t cidr_count() const { return rules_ == nullptr ? 0 : rules_->cidr_count(); }

  struct Decision {
    enum class Kind { kForward, kAnswer, kMalformed };
    Kind kind = Kind::kForward;
    const grpc::ByteBuffer* response = nullptr;  // kAnswer: the CheckResponse to send
  };
  // Parses `request` (a CheckRequest) and evaluates the rules. Counts the answered rule
  // and the dry-run rules that matched before it.
  Decision Decide(const grpc::ByteBuffer& request) const;
  // The same for a request already parsed; `request` may be null only when there are no
  // rules (rule_count() == 0).
  Decision Decide(const CheckRequestView* request) const;

  // Which x-forwarded-for entry is the client's (see check_request.h).
  uint32_t num_trusted_proxies() const { return num_trusted_proxies_; }

 private:
  std::shared_ptr<const rules::RuleSet> rules_;
  uint32_t num_trusted_proxies_ = 0;
  bool rules_only_ = false;
  // Logs a dry-run match of rule `rule`, at most once per rule per kDryRunLogInterval.
  void SampleDryRun(int rule, const CheckRequestView& request) const;

  std::vector<grpc::ByteBuffer> denials_;     // per rule
  std::vector<prometheus::Counter*> counts_;  // per rule, in the rule's mode
  // Per rule: when its last dry-run match was logged (absl::GetCurrentTimeNanos).
  std::unique_ptr<std::atomic<int64_t>[]> last_dry_run_log_;
  grpc::ByteBuffer allow_;  // rules-only: the OK answer
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_DIRECT_RESPONSES_H_
