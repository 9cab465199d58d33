// A received CheckRequest seen as the direct-response rules see it (rules::RequestView):
// method, path, host, headers and the client address. Only built when rules are
// configured; the bytes forwarded upstream are always the bytes received, never a
// re-serialization of this parse.
#ifndef EDGEKIT_BROKER_CHECK_REQUEST_H_
#define EDGEKIT_BROKER_CHECK_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "google/protobuf/arena.h"
#include "grpcpp/support/byte_buffer.h"
#include "rules/client_address.h"
#include "rules/rule_set.h"

namespace edgekit::broker {

// An arena whose first block is part of the object: declared on the stack, a typical
// Check (a dozen headers) parses into it without a heap allocation per header.
class CheckRequestArena {
 public:
  CheckRequestArena() : arena_(Options(block_)) {}
  google::protobuf::Arena* get() { return &arena_; }

 private:
  static google::protobuf::ArenaOptions Options(char* block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = kBlockSize;
    return options;
  }
  static constexpr size_t kBlockSize = 8192;
  alignas(8) char block_[kBlockSize];
  google::protobuf::Arena arena_;  // after block_: built once block_ exists
};

// Parses the received bytes into a CheckRequest on `arena`; nullptr when they are not
// one.
envoy::service::auth::v3::CheckRequest* ParseCheckRequest(const grpc::ByteBuffer& request,
                                                          google::protobuf::Arena* arena);

class CheckRequestView final : public rules::RequestView {
 public:
  // `request` must outlive the view.
  CheckRequestView(const envoy::service::auth::v3::CheckRequest& request,
                   uint32_t num_trusted_proxies);

  absl::string_view method() const override { return http_.method(); }
  absl::string_view path() const override { return http_.path(); }
  absl::string_view host() const override { return http_.host(); }
  std::optional<absl::string_view> header(absl::string_view name) const override;
  std::optional<rules::IpAddress> client_ip() const override { return client_ip_; }

 private:
  const envoy::service::auth::v3::AttributeContext::HttpRequest& http_;
  // Filled only when Envoy sent header_map (encode_raw_headers) instead of headers:
  // values of a repeated header joined by ",", as in `headers`.
  absl::flat_hash_map<std::string, std::string> raw_headers_;
  bool use_raw_ = false;
  std::optional<rules::IpAddress> client_ip_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_CHECK_REQUEST_H_
