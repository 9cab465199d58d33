// Istio host patterns ("api.example.com", "*.example.com", "*") as gateway.hosts,
// routes.http[].hosts, rule hosts and team claims use them: which host a pattern covers,
// and the `authority` regex a VirtualService match needs for a host list.
#ifndef EDGEKIT_CLI_EDGE_HOSTS_H_
#define EDGEKIT_CLI_EDGE_HOSTS_H_

#include <string>
#include <vector>

namespace edgekit::cli {

// A lowercase DNS name, "*." and a DNS name, or "*".
bool IsHostPattern(const std::string& host);

// `host` (a name or a pattern) is `pattern` or under it: "*" covers every host,
// "*.example.com" every name ending in ".example.com" (Istio's and Envoy's wildcard: one
// or more labels) and every narrower wildcard ("*.a.example.com"), never "example.com".
bool HostCovers(const std::string& pattern, const std::string& host);

// Some host both patterns cover.
bool HostsOverlap(const std::string& a, const std::string& b);

// The RE2 regex Istio's `authority` match needs for `hosts`: any case (Envoy's virtual
// host lookup ignores it), any port.
std::string AuthorityRegex(const std::vector<std::string>& hosts);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_HOSTS_H_
