#include "rules/client_address.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace edgekit::rules {

std::optional<IpAddress> ClientAddress(absl::string_view tcp_peer,
                                       std::optional<absl::string_view> xff,
                                       uint32_t num_trusted_proxies) {
  if (num_trusted_proxies > 0 && xff.has_value()) {
    const std::vector<absl::string_view> entries = absl::StrSplit(*xff, ',');
    if (entries.size() > num_trusted_proxies) {
      const absl::string_view entry =
          absl::StripAsciiWhitespace(entries[entries.size() - 1 - num_trusted_proxies]);
      if (std::optional<IpAddress> address = ParseIpAddress(entry)) return address;
    }
  }
  return ParseIpAddress(tcp_peer);
}

}  // namespace edgekit::rules
