#include "rules/client_address.h"

#include "absl/strings/ascii.h"

namespace edgekit::rules {

std::optional<IpAddress> ClientAddress(absl::string_view tcp_peer,
                                       std::optional<absl::string_view> xff,
                                       uint32_t num_trusted_proxies) {
  if (num_trusted_proxies > 0 && xff.has_value()) {
    // The entry num_trusted_proxies places from the right, found by scanning back over
    // that many commas in place (no split, no allocation: this runs on every Check).
    absl::string_view rest = *xff;
    bool enough = true;
    for (uint32_t i = 0; i < num_trusted_proxies && enough; ++i) {
      const size_t comma = rest.rfind(',');
      enough = comma != absl::string_view::npos;  // else fewer than N + 1 entries
      if (enough) rest = rest.substr(0, comma);
    }
    if (enough) {
      const size_t comma = rest.rfind(',');
      const absl::string_view entry = absl::StripAsciiWhitespace(
          comma == absl::string_view::npos ? rest : rest.substr(comma + 1));
      if (std::optional<IpAddress> address = ParseIpAddress(entry)) return address;
    }
  }
  return ParseIpAddress(tcp_peer);
}

}  // namespace edgekit::rules
