#include "broker/direct_responses.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/check_request.h"
#include "broker/log.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "google/protobuf/arena.h"
#include "rules/ip_set.h"

namespace edgekit::broker {
namespace {

constexpr absl::Duration kDryRunLogInterval = absl::Seconds(10);

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

grpc::ByteBuffer ToByteBuffer(const CheckResponse& response) {
  grpc::Slice slice(response.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

// A denial Envoy turns into the rule's HTTP response as it is (rules/rule_set.h says what
// the rules refuse because Envoy would change it). Header `append` stays unset: Envoy
// then sets the header (it drops denied-response headers marked append).
grpc::ByteBuffer Denial(const rules::RuleSet::Rule& rule) {
  CheckResponse response;
  response.mutable_status()->set_code(7);  // PERMISSION_DENIED: any non-OK code denies
  response.mutable_status()->set_message(
      absl::StrCat("edgekit-broker: direct response rule ", rule.name));
  auto* denied = response.mutable_denied_response();
  denied->mutable_status()->set_code(static_cast<envoy::type::v3::StatusCode>(rule.respond.status));
  for (const auto& [name, value] : rule.respond.headers) {
    auto* header = denied->add_headers()->mutable_header();
    header->set_key(name);
    header->set_value(value);
  }
  denied->set_body(rule.respond.body);
  return ToByteBuffer(response);
}

}  // namespace

DirectResponses::DirectResponses(const DirectResponseSettings& settings, BrokerMetrics& metrics)
    : rules_(settings.rules),
      num_trusted_proxies_(settings.num_trusted_proxies),
      rules_only_(settings.rules_only) {
  if (rules_ != nullptr) {
    for (const rules::RuleSet::Rule& rule : rules_->rules()) {
      denials_.push_back(Denial(rule));
      counts_.push_back(&metrics.DirectResponses(rule.name, rule.dry_run));
    }
    last_dry_run_log_ = std::make_unique<std::atomic<int64_t>[]>(rules_->size());
    for (size_t i = 0; i < rules_->size(); ++i) last_dry_run_log_[i].store(0);
  }
  CheckResponse allow;
  allow.mutable_status()->set_code(0);
  allow.mutable_ok_response();
  allow_ = ToByteBuffer(allow);
}

void DirectResponses::SampleDryRun(int rule, const CheckRequestView& request) const {
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t last = last_dry_run_log_[rule].load(std::memory_order_relaxed);
  if (now - last < absl::ToInt64Nanoseconds(kDryRunLogInterval)) return;
  if (!last_dry_run_log_[rule].compare_exchange_strong(last, now)) return;  // another call logs
  const rules::RuleSet::Rule& matched = rules_->rules()[rule];
  const std::optional<rules::IpAddress> client = request.client_ip();
  LogInfo(absl::StrCat("dry run: rule ", matched.name, " would answer ", matched.respond.status,
                       " to ", request.method(), " ", request.host(), request.path(), " from ",
                       client.has_value() ? rules::FormatIpAddress(*client) : "?",
                       " (forwarded instead; one sample per rule every ",
                       absl::FormatDuration(kDryRunLogInterval), ")"));
}

DirectResponses::Decision DirectResponses::Decide(const grpc::ByteBuffer& request) const {
  if (rules_ == nullptr) return Decide(nullptr);
  CheckRequestArena arena;
  const CheckRequest* check = ParseCheckRequest(request, arena.get());
  if (check == nullptr) return {Decision::Kind::kMalformed, nullptr};
  const CheckRequestView view(*check, num_trusted_proxies_);
  return Decide(&view);
}

DirectResponses::Decision DirectResponses::Decide(const CheckRequestView* request) const {
  if (rules_ != nullptr) {
    for (int rule = rules_->Match(*request); rule >= 0; rule = rules_->Match(*request, rule + 1)) {
      counts_[rule]->Increment();
      if (!rules_->rules()[rule].dry_run) return {Decision::Kind::kAnswer, &denials_[rule]};
      SampleDryRun(rule, *request);
    }
  }
  if (rules_only_) return {Decision::Kind::kAnswer, &allow_};
  return {};
}

}  // namespace edgekit::broker
