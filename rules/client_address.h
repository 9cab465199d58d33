// The client address Envoy itself takes as the client's, shared by the broker (which
// reads it from a Check call) and `edgekit explain` (which builds it from a request as
// the gateway receives it), so both answer client_ip rules from the same address.
#ifndef EDGEKIT_RULES_CLIENT_ADDRESS_H_
#define EDGEKIT_RULES_CLIENT_ADDRESS_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "rules/ip_set.h"

namespace edgekit::rules {

// Checked in Envoy's connection manager (mutateRequestHeaders): with use_remote_address
// and xff_num_trusted_hops = N (Istio gatewayTopology.numTrustedProxies on a gateway),
// the N-th entry from the right of the x-forwarded-for the gateway received, falling back
// to the TCP peer when there are fewer entries or that one is not an IP address. Envoy
// then appends the TCP peer to x-forwarded-for before ext_authz runs, so in `xff` as the
// Check call carries it the entry is the (N+1)-th from the right. nullopt when neither is
// an address.
std::optional<IpAddress> ClientAddress(absl::string_view tcp_peer,
                                       std::optional<absl::string_view> xff,
                                       uint32_t num_trusted_proxies);

}  // namespace edgekit::rules

#endif  // EDGEKIT_RULES_CLIENT_ADDRESS_H_
