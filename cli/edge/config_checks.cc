#include "cli/edge/config_checks.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

bool IsCidr(const std::string& s) {
  std::string address = s;
  int prefix = -1;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    address = s.substr(0, slash);
    if (!absl::SimpleAtoi(s.substr(slash + 1), &prefix) || prefix < 0 ||
        s.substr(slash + 1).empty() || !absl::ascii_isdigit(s[slash + 1])) {
      return false;
    }
  }
  unsigned char buffer[16];
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1) return prefix <= 32;
  if (inet_pton(AF_INET6, address.c_str(), buffer) == 1) return prefix <= 128;
  return false;
}

bool ParseIstioDuration(const std::string& text, absl::Duration* d) {
  if (!absl::ParseDuration(text, d) || *d == absl::InfiniteDuration() ||
      *d < absl::Milliseconds(1)) {
    return false;
  }
  absl::Duration remainder;
  absl::IDivDuration(*d, absl::Milliseconds(1), &remainder);
  return remainder == absl::ZeroDuration();
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
