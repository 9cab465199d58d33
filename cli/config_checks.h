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
#include "common/syntax.h"
#include "edgekit/edge/v1/routing.pb.h"

namespace edgekit::cli {

// InvalidArgument "<source>: <path>: <what>".
absl::Status ConfigError(const std::string& source, const std::string& path,
                         const std::string& what);

// The grammars themselves live in common/syntax.h (shared with the broker).
using ::edgekit::IsDns1123Label;
using ::edgekit::IsDns1123Subdomain;
using ::edgekit::IsHttpToken;
using ::edgekit::IsLabelKey;
using ::edgekit::IsLabelValue;

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
