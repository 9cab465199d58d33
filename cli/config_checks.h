// Checks shared by every edge.yaml section (cli/edge_config.cc, render_transcoding.cc,
// render_routes.cc, direct_response.cc), so a name or a destination is judged the same
// way everywhere and every message has the same shape:
// "<source>: <key.path>: <what is wrong>".
#ifndef EDGEKIT_CLI_CONFIG_CHECKS_H_
#define EDGEKIT_CLI_CONFIG_CHECKS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "edgekit/edge/v1/routing.pb.h"

namespace edgekit::cli {

// InvalidArgument "<source>: <path>: <what>".
absl::Status ConfigError(const std::string& source, const std::string& path,
                         const std::string& what);

// RFC 1123 label (a namespace, a DNS name part): [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63.
bool IsDns1123Label(absl::string_view s);
// RFC 1123 subdomain (metadata.name of most objects, a lowercase DNS name): labels
// joined by '.', <= 253.
bool IsDns1123Subdomain(absl::string_view s);

// `value` in [lo, hi], else "must be in [lo, hi], got value".
absl::Status CheckRange(const std::string& source, const std::string& path, uint32_t value,
                        uint32_t lo, uint32_t hi);

// A valid Kubernetes object name (RFC 1123 subdomain), else a message saying what is.
absl::Status CheckKubernetesName(const std::string& source, const std::string& path,
                                 const std::string& name);

// host (required, lowercase DNS name) and port (required, 1..65535) at `path`.host/.port.
absl::Status CheckDestination(const std::string& source, const std::string& path,
                              const edge::v1::Destination& destination);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_CONFIG_CHECKS_H_
