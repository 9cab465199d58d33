// The upstream's gRPC target (`upstream.target`, --upstream) parsed once, in the config
// library, so that `--check-config`, `edgekit render` (which checks the broker.yaml it
// writes with the broker's own rules) and startup refuse the same targets: a target
// without a port used to pass the first two and stop the broker at startup.
#ifndef EDGEKIT_BROKER_UPSTREAM_TARGET_H_
#define EDGEKIT_BROKER_UPSTREAM_TARGET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgekit::broker {

// How a target is to be resolved.
struct ParsedTarget {
  enum class Kind { kDns, kStatic, kPassThrough };
  Kind kind = Kind::kDns;
  std::string host;                    // kDns: name or address literal
  std::string port;                    // kDns
  std::vector<std::string> addresses;  // kStatic / kPassThrough: per-endpoint targets
  std::string authority;               // :authority and default TLS name
};

// HOST:PORT, dns:///HOST:PORT (or dns:HOST:PORT, dns://AUTHORITY/HOST:PORT),
// ipv4:ADDR:PORT[,...], ipv6:[ADDR]:PORT[,...], unix:PATH, unix-abstract:NAME, vsock:...
// InvalidArgument "upstream.target: expected ..., got \"...\"" otherwise.
absl::StatusOr<ParsedTarget> ParseUpstreamTarget(const std::string& target);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_UPSTREAM_TARGET_H_
