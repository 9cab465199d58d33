#include "broker/check_request.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "broker/grpc_bytes.h"

namespace edgekit::broker {

envoy::service::auth::v3::CheckRequest* ParseCheckRequest(const grpc::ByteBuffer& request,
                                                          google::protobuf::Arena* arena) {
  std::vector<grpc::Slice> slices;
  std::string joined;
  const std::optional<absl::string_view> bytes = ContiguousBytes(request, &slices, &joined);
  if (!bytes.has_value()) return nullptr;
  auto* check =
      google::protobuf::Arena::CreateMessage<envoy::service::auth::v3::CheckRequest>(arena);
  if (bytes->size() > static_cast<size_t>(INT32_MAX) ||
      !check->ParseFromArray(bytes->data(), static_cast<int>(bytes->size()))) {
    return nullptr;
  }
  return check;
}

CheckRequestView::CheckRequestView(const envoy::service::auth::v3::CheckRequest& request,
                                   uint32_t num_trusted_proxies)
    : http_(request.attributes().request().http()) {
  if (http_.headers().empty() && http_.has_header_map()) {
    use_raw_ = true;
    for (const auto& h : http_.header_map().headers()) {
      const std::string& value = h.raw_value().empty() ? h.value() : h.raw_value();
      auto [it, inserted] = raw_headers_.try_emplace(absl::AsciiStrToLower(h.key()), value);
      if (!inserted) absl::StrAppend(&it->second, ",", value);
    }
  }
  client_ip_ =
      rules::ClientAddress(request.attributes().source().address().socket_address().address(),
                           header("x-forwarded-for"), num_trusted_proxies);
}

std::optional<absl::string_view> CheckRequestView::header(absl::string_view name) const {
  if (use_raw_) {
    auto it = raw_headers_.find(name);
    if (it == raw_headers_.end()) return std::nullopt;
    return absl::string_view(it->second);
  }
  auto it = http_.headers().find(std::string_view(name.data(), name.size()));
  if (it == http_.headers().end()) return std::nullopt;
  return absl::string_view(it->second);
}

}  // namespace edgekit::broker
