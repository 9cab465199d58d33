#include "broker/check_call.h"

namespace edgekit::broker {

const CheckRequestView* CheckCall::check() {
  if (!parsed_) {
    parsed_ = true;
    if (arena_ == nullptr) return nullptr;  // outside a pass: nothing to parse into
    if (!arena_->has_value()) arena_->emplace();
    const envoy::service::auth::v3::CheckRequest* parsed =
        ParseCheckRequest(*request_, (*arena_)->get());
    if (parsed != nullptr) view_.emplace(*parsed, config_->direct_responses->num_trusted_proxies());
  }
  return view_.has_value() ? &*view_ : nullptr;
}

}  // namespace edgekit::broker
