// Checks shared by every edge.yaml section (the gateway in edge_config.cc, each feature
// in cli/render/), so a name or a destination is judged the same
// way everywhere and every message has the same shape:
// "<source>: <key.path>: <what is wrong>".
#ifndef EDGEKIT_CLI_EDGE_CONFIG_CHECKS_H_
#define EDGEKIT_CLI_EDGE_CONFIG_CHECKS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

// An IP address or CIDR, v4 or v6 ("10.0.0.0/8", "2001:db8::/32", "192.0.2.1").
bool IsCidr(const std::string& s);

// Istio takes durations in whole milliseconds, at least 1ms (its ValidateDuration);
// absl alone would also take "inf" and "1.5ms". False (and `*d` unspecified) otherwise.
bool ParseIstioDuration(const std::string& text, absl::Duration* d);

// What ParseIstioDuration accepts, to follow "\"<value>\" " in a message.
inline constexpr char kIstioDurationRule[] =
    "is not a duration Istio accepts: whole milliseconds, at least 1ms, such as \"500ms\" "
    "or \"1s\"";

// host (required, lowercase DNS name) and port (required, 1..65535) at `path`.host/.port.
absl::Status CheckDestination(const std::string& source, const std::string& path,
                              const edge::v1::Destination& destination);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_CONFIG_CHECKS_H_
