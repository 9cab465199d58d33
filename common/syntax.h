// The small grammars every part checks the same way: HTTP tokens (header names,
// methods, media types), Kubernetes names and labels, HOST:PORT, and Istio's limits on
// direct-response bodies. One definition each, so the CLI, the validator and the broker
// cannot drift apart.
#ifndef EDGEKIT_COMMON_SYNTAX_H_
#define EDGEKIT_COMMON_SYNTAX_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgekit {

// RFC 9110 token: one or more of ALPHA DIGIT and !#$%&'*+-.^_`|~ (header names, methods,
// the type and subtype of a media type).
bool IsHttpToken(absl::string_view s);

// RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 (namespaces, rule names).
bool IsDns1123Label(absl::string_view s);

// A rule or route name: an RFC 1123 label, or "<team>.<label>" (both labels) as names
// composed from a team's file are.
bool IsTeamScopedName(absl::string_view s);
// RFC 1123 subdomain: labels joined by '.', at most 253 (object names, hosts).
bool IsDns1123Subdomain(absl::string_view s);

// A label value: empty (when allowed) or ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most
// 63; also the name part of a label key.
bool IsLabelValue(absl::string_view s, bool allow_empty);
// A label key ("qualified name"): [DNS-1123 subdomain "/"] name part.
bool IsLabelKey(absl::string_view key);

struct HostPort {
  std::string host;  // without the brackets of an IPv6 address
  uint32_t port = 0;
};
// "host:port" or "[v6]:port", a non-empty host and a decimal port in [0, 65535]. An
// unbracketed host holding ':' is refused (ambiguous). InvalidArgument saying what is
// wrong, quoting `text` ("expected host:port, got \"x\"").
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

// Istio's limits on a VirtualService directResponse body: over the warning size it is
// kept in every gateway's memory and sent with each response; over the maximum istiod
// refuses it.
inline constexpr size_t kDirectResponseBodyWarnBytes = 100 * 1024;
inline constexpr size_t kDirectResponseBodyMaxBytes = 1024 * 1024;

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_SYNTAX_H_
