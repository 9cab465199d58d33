// NaiveForwarder: one ServerGenericBidiReactor per call, owning the upstream call's
// ClientContext and buffers; it deletes itself in OnDone, which gRPC runs only after the
// upstream callback has finished the call.
#include "tests/bench/naive_forwarder.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::bench {

bool IsForwardedMetadataKey(const std::string& key) {
  if (key.empty() || key[0] == ':' || absl::StartsWith(key, "grpc-")) return false;
  static const char* const kPerHop[] = {
      "content-type", "te",         "user-agent",        "host",
      "connection",   "keep-alive", "transfer-encoding", "upgrade"};
  for (const char* h : kPerHop) {
    if (key == h) return false;
  }
  return true;
}

namespace {

class ForwardReactor final : public grpc::ServerGenericBidiReactor {
 public:
  ForwardReactor(grpc::GenericCallbackServerContext* ctx, grpc::GenericStub* upstream)
      : ctx_(ctx), upstream_(upstream) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client half-closed (or went away) without a message.
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    upstream_ctx_.set_deadline(ctx_->deadline());
    for (const auto& [key, value] : ctx_->client_metadata()) {
      std::string k(key.data(), key.size());
      if (IsForwardedMetadataKey(k)) {
        upstream_ctx_.AddMetadata(k, std::string(value.data(), value.size()));
      }
    }
    upstream_->UnaryCall(&upstream_ctx_, ctx_->method(), grpc::StubOptions(), &request_, &response_,
                         [this](grpc::Status status) { OnUpstreamDone(std::move(status)); });
  }

  void OnCancel() override {
    // Safe at any time, even before UnaryCall: the context remembers and cancels the call
    // when it starts.
    upstream_ctx_.TryCancel();
  }

  void OnDone() override { delete this; }

 private:
  void OnUpstreamDone(grpc::Status status) {
    for (const auto& [key, value] : upstream_ctx_.GetServerInitialMetadata()) {
      std::string k(key.data(), key.size());
      if (IsForwardedMetadataKey(k)) {
        ctx_->AddInitialMetadata(k, std::string(value.data(), value.size()));
      }
    }
    for (const auto& [key, value] : upstream_ctx_.GetServerTrailingMetadata()) {
      std::string k(key.data(), key.size());
      if (IsForwardedMetadataKey(k)) {
        ctx_->AddTrailingMetadata(k, std::string(value.data(), value.size()));
      }
    }
    if (status.ok() && response_.Valid()) {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    } else if (status.ok()) {
      // Never send a default-constructed (invalid) ByteBuffer.
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "upstream sent no message"));
    } else {
      Finish(status);
    }
    // Nothing below: OnDone may already be deleting this reactor.
  }

  grpc::GenericCallbackServerContext* const ctx_;
  grpc::GenericStub* const upstream_;
  grpc::ClientContext upstream_ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class ForwardService final : public grpc::CallbackGenericService {
 public:
  explicit ForwardService(std::shared_ptr<grpc::Channel> channel) : upstream_(std::move(channel)) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new ForwardReactor(ctx, &upstream_);
  }

 private:
  grpc::GenericStub upstream_;
};

}  // namespace

class NaiveForwarder::Impl {
 public:
  std::unique_ptr<ForwardService> service;
  std::unique_ptr<grpc::Server> server;
  std::string host;
  int port = 0;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;

  ~Impl() { Shutdown(absl::Seconds(1)); }

  void Shutdown(absl::Duration grace) {
    absl::MutexLock lock(&mu);
    if (shut_down || server == nullptr) return;
    shut_down = true;
    server->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
    server->Wait();
  }
};

absl::StatusOr<std::unique_ptr<NaiveForwarder>> NaiveForwarder::Start(const std::string& listen,
                                                                      const std::string& upstream) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("listen: want host:port, got \"", listen, "\""));
  }
  if (upstream.empty()) return absl::InvalidArgumentError("upstream: required");
  auto impl = std::make_unique<Impl>();
  impl->host = listen.substr(0, colon);
  impl->service = std::make_unique<ForwardService>(
      grpc::CreateChannel(upstream, grpc::InsecureChannelCredentials()));
  grpc::ServerBuilder builder;
  // gRPC enables SO_REUSEPORT by default: a second instance on the same port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterCallbackGenericService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    impl->Shutdown(absl::ZeroDuration());
    return absl::UnavailableError(absl::StrCat("listen: cannot bind \"", listen, "\""));
  }
  return std::unique_ptr<NaiveForwarder>(new NaiveForwarder(std::move(impl)));
}

NaiveForwarder::NaiveForwarder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NaiveForwarder::~NaiveForwarder() = default;
int NaiveForwarder::port() const { return impl_->port; }
std::string NaiveForwarder::address() const { return absl::StrCat(impl_->host, ":", impl_->port); }
void NaiveForwarder::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace edgekit::bench
