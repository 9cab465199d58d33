#include "broker/check_request.h"

#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace edgekit::broker {

std::optional<rules::IpAddress> ClientAddress(absl::string_view tcp_peer,
                                              std::optional<absl::string_view> xff,
                                              uint32_t num_trusted_proxies) {
  if (num_trusted_proxies > 0 && xff.has_value()) {
    const std::vector<absl::string_view> entries = absl::StrSplit(*xff, ',');
    if (entries.size() > num_trusted_proxies) {
      const absl::string_view entry =
          absl::StripAsciiWhitespace(entries[entries.size() - 1 - num_trusted_proxies]);
      if (std::optional<rules::IpAddress> address = rules::ParseIpAddress(entry)) return address;
    }
  }
  return rules::ParseIpAddress(tcp_peer);
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
  client_ip_ = ClientAddress(request.attributes().source().address().socket_address().address(),
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
