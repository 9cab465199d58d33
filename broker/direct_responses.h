// The broker's direct-response stage: the rules in force, each with its CheckResponse
// serialized once, and the decision for one received call: answer it here (a rule
// matched, or nothing matched on a rules-only broker) or forward it upstream.
//
// Threading: a DirectResponses object is immutable; DirectResponseStage swaps the one in
// force (reload thread) while calls read it (worker threads). A call takes one snapshot
// when its request arrives and decides with it alone, so no call mixes two rule sets.
#ifndef EDGEKIT_BROKER_DIRECT_RESPONSES_H_
#define EDGEKIT_BROKER_DIRECT_RESPONSES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/check_request.h"
#include "broker/metrics.h"
#include "broker/settings.h"
#include "grpcpp/support/byte_buffer.h"
#include "prometheus/counter.h"

namespace edgekit::broker {

class DirectResponses {
 public:
  // `metrics` gets a child of edgekit_broker_direct_responses_total per rule name.
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
  // Parses `request` (a CheckRequest) and evaluates the rules. Counts the answered rule.
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
  std::vector<grpc::ByteBuffer> denials_;     // per rule
  std::vector<prometheus::Counter*> counts_;  // per rule
  grpc::ByteBuffer allow_;                    // rules-only: the OK answer
};

// The DirectResponses in force.
class DirectResponseStage {
 public:
  DirectResponseStage(const DirectResponseSettings& settings, BrokerMetrics& metrics);

  std::shared_ptr<const DirectResponses> current() const;
  // For calls that start from now on. rules_only keeps its startup value (it decides
  // whether an upstream exists).
  void Replace(const DirectResponseSettings& settings);

 private:
  BrokerMetrics& metrics_;
  const bool rules_only_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const DirectResponses> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_DIRECT_RESPONSES_H_
