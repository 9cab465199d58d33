#include "cli/edge/hosts.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/syntax.h"
#include "re2/re2.h"

namespace edgekit::cli {

bool IsHostPattern(const std::string& host) {
  if (host == "*") return true;
  const std::string name = absl::StartsWith(host, "*.") ? host.substr(2) : host;
  return IsDns1123Subdomain(name);
}

bool HostCovers(const std::string& pattern, const std::string& host) {
  if (pattern == "*" || pattern == host) return true;
  if (!absl::StartsWith(pattern, "*.") || host == "*") return false;
  const std::string suffix = pattern.substr(1);  // ".example.com"
  // "*.example.com" covers "a.example.com" and "*.a.example.com", not "example.com".
  return host.size() > suffix.size() && absl::EndsWith(host, suffix);
}

bool HostsOverlap(const std::string& a, const std::string& b) {
  return HostCovers(a, b) || HostCovers(b, a);
}

std::string AuthorityRegex(const std::vector<std::string>& hosts) {
  std::vector<std::string> parts;
  for (const std::string& host : hosts) {
    if (absl::StartsWith(host, "*.")) {
      parts.push_back(absl::StrCat("[^:/]+", RE2::QuoteMeta(host.substr(1))));
    } else {
      parts.push_back(RE2::QuoteMeta(host));
    }
  }
  return absl::StrCat("(?i)(", absl::StrJoin(parts, "|"), ")(:[0-9]+)?");
}

}  // namespace edgekit::cli
