#include "cli/explain/request.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/syntax.h"
#include "rules/client_address.h"

namespace edgekit::cli::explain {
namespace {

// RFC 3986 section 5.2.4 on a path that starts with '/'.
std::string RemoveDotSegments(absl::string_view path) {
  std::vector<absl::string_view> out;
  const std::vector<absl::string_view> segments = absl::StrSplit(path.substr(1), '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    const absl::string_view s = segments[i];
    const bool last = i + 1 == segments.size();
    if (s == ".") {
      if (last) out.push_back("");
    } else if (s == "..") {
      if (!out.empty()) out.pop_back();
      if (last) out.push_back("");
    } else {
      out.push_back(s);
    }
  }
  return absl::StrCat("/", absl::StrJoin(out, "/"));
}

std::string MergeSlashes(absl::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  return out;
}

std::string DecodeEscapedSlashes(absl::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      const std::string code = absl::AsciiStrToUpper(path.substr(i + 1, 2));
      if (code == "2F" || code == "5C") {
        out.push_back(code == "2F" ? '/' : '\\');
        i += 2;
        continue;
      }
    }
    out.push_back(path[i]);
  }
  return out;
}

}  // namespace

std::string NormalizePath(absl::string_view path, PathNormalization level) {
  const size_t query = path.find_first_of("?#");
  absl::string_view rest = query == absl::string_view::npos ? "" : path.substr(query);
  std::string p(path.substr(0, query));
  if (level == PathNormalization::kNone || p.empty() || p[0] != '/') return std::string(path);
  if (level == PathNormalization::kDecodeAndMergeSlashes) p = DecodeEscapedSlashes(p);
  p = RemoveDotSegments(p);
  if (level != PathNormalization::kBase) p = MergeSlashes(p);
  return absl::StrCat(p, rest);
}

absl::StatusOr<GatewayRequest> GatewayRequest::Make(const HttpRequest& request,
                                                    PathNormalization normalization,
                                                    uint32_t num_trusted_proxies) {
  GatewayRequest r;
  if (!IsHttpToken(request.method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("method \"", request.method, "\" is not an HTTP method token"));
  }
  r.method_ = request.method;
  if (request.path.empty() || request.path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", request.path, "\" must start with '/'"));
  }
  r.received_path_ = request.path;
  r.path_ = NormalizePath(request.path, normalization);
  r.host_ = request.host;
  for (const auto& [name, value] : request.headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (!IsHttpToken(lower)) {
      return absl::InvalidArgumentError(
          absl::StrCat("header name \"", name, "\" is not an HTTP token"));
    }
    if (lower == "host") {
      return absl::InvalidArgumentError(
          "give the host with --host (request.host), not as a header: it is the :authority");
    }
    auto [it, inserted] = r.headers_.try_emplace(lower, value);
    if (!inserted) absl::StrAppend(&it->second, ",", value);
  }
  if (request.xff.has_value()) {
    if (r.headers_.count("x-forwarded-for") > 0) {
      return absl::InvalidArgumentError(
          "x-forwarded-for is given twice: as xff and as a header; give it once");
    }
    r.headers_["x-forwarded-for"] = *request.xff;
  }
  if (!request.client_ip.empty()) {
    r.peer_ = rules::ParseIpAddress(request.client_ip);
    if (!r.peer_.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("client_ip \"", request.client_ip, "\" is not an IP address"));
    }
    r.peer_text_ = request.client_ip;
  }
  // The client address is derived from the header as received, then Envoy appends the
  // peer (use_remote_address): what ext_authz, the broker and the routes see.
  std::optional<absl::string_view> received_xff;
  auto xff = r.headers_.find("x-forwarded-for");
  if (xff != r.headers_.end()) received_xff = xff->second;
  if (r.peer_.has_value()) {
    std::string appended =
        received_xff.has_value() ? absl::StrCat(*received_xff, ",", r.peer_text_) : r.peer_text_;
    r.headers_["x-forwarded-for"] = std::move(appended);
    r.client_ =
        rules::ClientAddress(r.peer_text_, r.headers_["x-forwarded-for"], num_trusted_proxies);
  } else if (received_xff.has_value() && num_trusted_proxies > 0) {
    // No peer given: the entry the trusted hops point at, counted in the header as received.
    r.client_ =
        rules::ClientAddress("", absl::StrCat(*received_xff, ",unknown-peer"), num_trusted_proxies);
  }
  return r;
}

std::optional<absl::string_view> GatewayRequest::header(absl::string_view name) const {
  auto it = headers_.find(std::string(name));
  if (it == headers_.end()) return std::nullopt;
  return absl::string_view(it->second);
}

absl::string_view GatewayRequest::path_without_query() const {
  absl::string_view p = path_;
  return p.substr(0, p.find_first_of("?#"));
}

void GatewayRequest::RewriteForGrpc(const std::string& grpc_path) {
  method_ = "POST";
  path_ = grpc_path;
  headers_["content-type"] = "application/grpc";
  headers_.erase("content-length");
}

}  // namespace edgekit::cli::explain
