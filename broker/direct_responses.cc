#include "broker/direct_responses.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/check_request.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "google/protobuf/arena.h"

namespace edgekit::broker {
namespace {

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
      counts_.push_back(&metrics.DirectResponses(rule.name));
    }
  }
  CheckResponse allow;
  allow.mutable_status()->set_code(0);
  allow.mutable_ok_response();
  allow_ = ToByteBuffer(allow);
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
    const int rule = rules_->Match(*request);
    if (rule >= 0) {
      counts_[rule]->Increment();
      return {Decision::Kind::kAnswer, &denials_[rule]};
    }
  }
  if (rules_only_) return {Decision::Kind::kAnswer, &allow_};
  return {};
}

DirectResponseStage::DirectResponseStage(const DirectResponseSettings& settings,
                                         BrokerMetrics& metrics)
    : metrics_(metrics), rules_only_(settings.rules_only) {
  Replace(settings);
}

std::shared_ptr<const DirectResponses> DirectResponseStage::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void DirectResponseStage::Replace(const DirectResponseSettings& settings) {
  DirectResponseSettings effective = settings;
  effective.rules_only = rules_only_;
  auto next = std::make_shared<const DirectResponses>(effective, metrics_);
  metrics_.direct_response_rules->Set(static_cast<double>(next->rule_count()));
  metrics_.direct_response_cidrs->Set(static_cast<double>(next->cidr_count()));
  absl::MutexLock lock(&mu_);
  current_ = std::move(next);
}

}  // namespace edgekit::broker
