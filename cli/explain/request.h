// One HTTP request as an Istio ingress gateway receives it, for `edgekit explain` and
// `edgekit test`, and the same request as the gateway's filters see it (GatewayRequest):
// header names lowercase, a repeated header's values joined by "," (Envoy's HeaderMap
// join, which ext_authz and the route matchers both read), the path normalized as the
// mesh's pathNormalization says, x-forwarded-for with the TCP peer appended (Istio sets
// use_remote_address on gateways), and the client address the broker's rules test.
#ifndef EDGEKIT_CLI_EXPLAIN_REQUEST_H_
#define EDGEKIT_CLI_EXPLAIN_REQUEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/ip_set.h"
#include "rules/rule_set.h"

namespace edgekit::cli::explain {

// As given on the command line or in a case file.
struct HttpRequest {
  std::string method = "GET";
  std::string host;                                          // :authority, maybe with a port
  std::string path = "/";                                    // :path, query string included
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as written
  std::string client_ip;                                     // the TCP peer ("" = unknown)
  std::optional<std::string> xff;  // x-forwarded-for as received (also settable as a header)
};

// meshConfig.pathNormalization (Istio's default is BASE).
enum class PathNormalization { kNone, kBase, kMergeSlashes, kDecodeAndMergeSlashes };

// `path` (query string kept apart and unchanged) as Envoy normalizes it before any filter
// or route sees it, for each of Istio's levels (istio/istio pilot/pkg/networking/core/
// listener.go maps them onto HttpConnectionManager fields; Envoy's PathUtil in
// source/common/http/path_utility.cc does the work):
//   BASE:  normalize_path, RFC 3986 section 5.2.4 dot-segment removal ("/a/./b/../c" ->
//          "/a/c"); Envoy's canonicalization also re-escapes some characters (not
//          modelled: write paths in their percent-encoded form)
//   MERGE_SLASHES: also merge_slashes ("//a///b" -> "/a/b")
//   DECODE_AND_MERGE_SLASHES: also path_with_escaped_slashes_action UNESCAPE_AND_FORWARD
//          ("%2F" / "%5C" decoded before the rest)
std::string NormalizePath(absl::string_view path, PathNormalization level);

// The request as the gateway's filters see it; also what the broker's rules test.
class GatewayRequest final : public rules::RequestView {
 public:
  // InvalidArgument naming the bad part: an empty or non-token method, a header name
  // that is not an HTTP token, a path not starting with '/', a client_ip or an
  // x-forwarded-for given twice that is not an IP address.
  static absl::StatusOr<GatewayRequest> Make(const HttpRequest& request,
                                             PathNormalization normalization,
                                             uint32_t num_trusted_proxies);

  absl::string_view method() const override { return method_; }
  absl::string_view path() const override { return path_; }
  absl::string_view host() const override { return host_; }
  std::optional<absl::string_view> header(absl::string_view name) const override;
  std::optional<rules::IpAddress> client_ip() const override { return client_; }

  // The TCP peer (what notIpBlocks tests); nullopt when not given.
  const std::optional<rules::IpAddress>& peer() const { return peer_; }
  const std::string& peer_text() const { return peer_text_; }
  // The :path as received, before normalization.
  const std::string& received_path() const { return received_path_; }
  // The path without its query string (and fragment).
  absl::string_view path_without_query() const;
  const std::map<std::string, std::string>& headers() const { return headers_; }

  // The transcoder's rewrite: POST /<package>.<Service>/<Method>, route cache cleared.
  void RewriteForGrpc(const std::string& grpc_path);

 private:
  std::string method_;
  std::string host_;
  std::string path_;
  std::string received_path_;
  std::map<std::string, std::string> headers_;  // lowercase names, values joined by ","
  std::optional<rules::IpAddress> peer_;
  std::string peer_text_;
  std::optional<rules::IpAddress> client_;
};

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_REQUEST_H_
