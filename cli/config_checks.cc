#include "cli/config_checks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace edgekit::cli {

absl::Status ConfigError(const std::string& source, const std::string& path,
                         const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, ": ", what));
}

absl::Status CheckRange(const std::string& source, const std::string& path, uint32_t value,
                        uint32_t lo, uint32_t hi) {
  if (value < lo || value > hi) {
    return ConfigError(source, path, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckKubernetesName(const std::string& source, const std::string& path,
                                 const std::string& name) {
  if (!IsDns1123Subdomain(name)) {
    return ConfigError(source, path,
                       absl::StrCat("\"", name,
                                    "\" is not a valid Kubernetes name (lowercase letters, "
                                    "digits, '-' and '.', starting and ending with a letter or "
                                    "digit, at most 253 characters)"));
  }
  return absl::OkStatus();
}

absl::Status CheckDestination(const std::string& source, const std::string& path,
                              const edge::v1::Destination& destination) {
  if (!destination.has_host() || destination.host().empty()) {
    return ConfigError(source, path + ".host",
                       "required: a host in Istio's registry, e.g. "
                       "\"greeter.default.svc.cluster.local\"");
  }
  if (!IsDns1123Subdomain(destination.host())) {
    return ConfigError(source, path + ".host",
                       absl::StrCat("\"", destination.host(), "\" is not a lowercase DNS name"));
  }
  if (!destination.has_port()) {
    return ConfigError(source, path + ".port", "required: the destination port, 1..65535");
  }
  return CheckRange(source, path + ".port", destination.port(), 1, 65535);
}

}  // namespace edgekit::cli
