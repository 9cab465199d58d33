// FakeAuthzServer: the Check handler (a ServerUnaryReactor finished from a TimerQueue),
// the latency model, the counters and the control service.
#include "examples/fake-authz/fake_authz_service.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_codes.h"
#include "common/grpc_metadata.h"
#include "common/timer_queue.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "fake_authz_control.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"

namespace edgekit::fakeauthz {
namespace {

using envoy::service::auth::v3::Authorization;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

constexpr int kNumCodes = 17;  // grpc::StatusCode values 0..16
constexpr int kPermissionDenied = 7;
constexpr char kDecisionHeader[] = "x-fake-authz-decision";

absl::Status CheckProbability(const char* field, double p) {
  if (!(p >= 0 && p <= 1)) {  // also rejects NaN
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be in [0, 1], got ", p));
  }
  return absl::OkStatus();
}

// Thread-local so concurrent handlers never contend on one generator.
std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

absl::Duration SampleLatency(const LatencyModel& model) {
  auto& rng = Rng();
  absl::Duration d = model.median;
  if (model.sigma > 0) {
    d = d * std::exp(model.sigma * std::normal_distribution<double>(0, 1)(rng));
  }
  if (model.stall_probability > 0 &&
      std::uniform_real_distribution<double>(0, 1)(rng) < model.stall_probability) {
    d += model.stall;
  }
  return d;
}

bool Chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(Rng()) < p; }

}  // namespace

absl::Status ValidateLatencyModel(const LatencyModel& m) {
  if (m.median < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("median: must be >= 0, got ", absl::FormatDuration(m.median)));
  }
  if (!(m.sigma >= 0 && m.sigma <= 10)) {
    return absl::InvalidArgumentError(absl::StrCat("sigma: must be in [0, 10], got ", m.sigma));
  }
  if (absl::Status s = CheckProbability("stall_probability", m.stall_probability); !s.ok()) {
    return s;
  }
  if (m.stall < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stall: must be >= 0, got ", absl::FormatDuration(m.stall)));
  }
  if (absl::Status s = CheckProbability("unavailable_probability", m.unavailable_probability);
      !s.ok()) {
    return s;
  }
  if (m.fixed_status.has_value() && (*m.fixed_status < 0 || *m.fixed_status >= kNumCodes)) {
    return absl::InvalidArgumentError(absl::StrCat("fixed_status_code: must be in [0, 16], got ",
                                                   static_cast<int>(*m.fixed_status)));
  }
  for (const auto& [key, value] : m.trailing_metadata) {
    if (!IsValidMetadataKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("trailing_metadata: key \"", key, "\" must be non-empty [a-z0-9-_.]"));
    }
  }
  return absl::OkStatus();
}

v1::LatencyModel LatencyModelToProto(const LatencyModel& m) {
  v1::LatencyModel p;
  p.set_median_us(absl::ToInt64Microseconds(m.median));
  p.set_sigma(m.sigma);
  p.set_stall_probability(m.stall_probability);
  p.set_stall_us(absl::ToInt64Microseconds(m.stall));
  p.set_unavailable_probability(m.unavailable_probability);
  if (m.fixed_status.has_value()) {
    p.set_fixed_status_code(static_cast<int32_t>(*m.fixed_status));
    p.set_fixed_status_message(m.fixed_status_message);
  }
  for (const auto& [key, value] : m.trailing_metadata) {
    (*p.mutable_trailing_metadata())[key] = value;
  }
  return p;
}

absl::StatusOr<LatencyModel> LatencyModelFromProto(const v1::LatencyModel& p) {
  LatencyModel m;
  m.median = absl::Microseconds(p.median_us());
  m.sigma = p.sigma();
  m.stall_probability = p.stall_probability();
  m.stall = absl::Microseconds(p.stall_us());
  m.unavailable_probability = p.unavailable_probability();
  if (p.has_fixed_status_code()) {
    if (p.fixed_status_code() < 0 || p.fixed_status_code() >= kNumCodes) {
      return absl::InvalidArgumentError(
          absl::StrCat("fixed_status_code: must be in [0, 16], got ", p.fixed_status_code()));
    }
    m.fixed_status = static_cast<grpc::StatusCode>(p.fixed_status_code());
    m.fixed_status_message = p.fixed_status_message();
  }
  // Proto maps have no order; sort so the result is deterministic.
  std::map<std::string, std::string> sorted(p.trailing_metadata().begin(),
                                            p.trailing_metadata().end());
  m.trailing_metadata.assign(sorted.begin(), sorted.end());
  if (absl::Status s = ValidateLatencyModel(m); !s.ok()) return s;
  return m;
}

uint64_t FakeAuthzStats::answered_total() const {
  uint64_t total = 0;
  for (const auto& [code, n] : answered) total += n;
  return total;
}

namespace {

// Everything a call needs from the server; outlives every reactor (see Impl::Shutdown).
struct SharedState {
  std::string allow_header;
  std::string allow_value;
  std::string identity_header;

  mutable absl::Mutex model_mu;
  std::shared_ptr<const LatencyModel> model ABSL_GUARDED_BY(model_mu);

  mutable absl::Mutex metadata_mu;
  Metadata last_metadata ABSL_GUARDED_BY(metadata_mu);

  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> cancelled{0};
  std::array<std::atomic<uint64_t>, kNumCodes> answered{};
  std::atomic<uint64_t> allowed{0};
  std::atomic<uint64_t> denied{0};

  std::vector<std::unique_ptr<TimerQueue>> timers;
  std::atomic<uint64_t> next_timer{0};

  std::shared_ptr<const LatencyModel> Model() const {
    absl::ReaderMutexLock lock(&model_mu);
    return model;
  }
  FakeAuthzStats Stats(bool reset) {
    auto read = [reset](std::atomic<uint64_t>& counter) {
      return reset ? counter.exchange(0) : counter.load();
    };
    FakeAuthzStats stats;
    stats.checks_received = read(received);
    stats.checks_cancelled = read(cancelled);
    for (int code = 0; code < kNumCodes; ++code) {
      if (uint64_t n = read(answered[code]); n != 0) {
        stats.answered[static_cast<grpc::StatusCode>(code)] = n;
      }
    }
    stats.allowed = read(allowed);
    stats.denied = read(denied);
    return stats;
  }

  absl::Status SetModel(LatencyModel new_model) ABSL_LOCKS_EXCLUDED(model_mu) {
    if (absl::Status s = ValidateLatencyModel(new_model); !s.ok()) return s;
    auto next = std::make_shared<const LatencyModel>(std::move(new_model));
    absl::MutexLock lock(&model_mu);
    model.swap(next);
    return absl::OkStatus();
  }
  TimerQueue* PickTimer() {
    return timers[next_timer.fetch_add(1, std::memory_order_relaxed) % timers.size()].get();
  }
};

// One Check call. Two parties may finish it: the timer (the answer is due) and OnCancel
// (the client gave up first). `finished_` elects exactly one. The reactor is freed when
// both gRPC (OnDone) and the timer callback (run, cancelled or dropped at shutdown) have
// let go of it: the timer closure owns a reference, so a timer firing after OnDone
// never touches freed memory.
class CheckReactor final : public grpc::ServerUnaryReactor {
 public:
  CheckReactor(SharedState* state, bool allowed) : state_(state), allowed_(allowed) {}

  // Sends `status` (with the response already filled in) after `delay`.
  void AnswerAfter(absl::Duration delay, grpc::Status status) {
    status_ = std::move(status);
    if (delay <= absl::ZeroDuration()) {
      Answer();
      return;
    }
    refs_.fetch_add(1, std::memory_order_relaxed);
    TimerQueue* timers = state_->PickTimer();
    timers_ = timers;
    const auto when = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(delay);
    timer_id_.store(timers->Schedule(when, [ref = TimerRef(this)] { ref->Answer(); }),
                    std::memory_order_release);
  }

  void OnCancel() override {
    if (finished_.exchange(true, std::memory_order_acq_rel)) return;  // answered first
    state_->cancelled.fetch_add(1, std::memory_order_relaxed);
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
    // Drop the pending answer now rather than at its deadline. If it is already running
    // it sees finished_ and does nothing. OnDone cannot run before OnCancel returns, so
    // this never releases the last reference.
    if (TimerQueue::TimerId id = timer_id_.load(std::memory_order_acquire); id != 0) {
      timers_->Cancel(id);
    }
  }

  void OnDone() override { Unref(); }

 private:
  struct Unreffer {
    void operator()(CheckReactor* r) const { r->Unref(); }
  };
  using TimerRef = std::unique_ptr<CheckReactor, Unreffer>;

  void Answer() {
    if (finished_.exchange(true, std::memory_order_acq_rel)) return;  // cancelled first
    const int code = static_cast<int>(status_.error_code());
    state_->answered[code].fetch_add(1, std::memory_order_relaxed);
    if (status_.ok()) {
      (allowed_ ? state_->allowed : state_->denied).fetch_add(1, std::memory_order_relaxed);
    }
    Finish(status_);
  }

  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  SharedState* const state_;
  const bool allowed_;
  grpc::Status status_;
  TimerQueue* timers_ = nullptr;
  std::atomic<TimerQueue::TimerId> timer_id_{0};
  std::atomic<bool> finished_{false};
  std::atomic<int> refs_{1};  // gRPC's, released by OnDone
};

class AuthorizationService final : public Authorization::CallbackService {
 public:
  explicit AuthorizationService(SharedState* state) : state_(state) {}

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* ctx, const CheckRequest* request,
                                  CheckResponse* response) override {
    state_->received.fetch_add(1, std::memory_order_relaxed);
    RecordMetadata(ctx);

    const auto& headers = request->attributes().request().http().headers();
    auto it = headers.find(state_->allow_header);
    const bool allowed = it != headers.end() && it->second == state_->allow_value;
    std::string identity;
    if (!state_->identity_header.empty()) {
      auto id = headers.find(state_->identity_header);
      if (id != headers.end()) identity = IdentityOf(id->second);
    }
    auto* reactor = new CheckReactor(state_, allowed);

    const std::shared_ptr<const LatencyModel> model = state_->Model();
    for (const auto& [key, value] : model->trailing_metadata) {
      ctx->AddTrailingMetadata(key, value);
    }
    grpc::Status status;
    if (model->fixed_status.has_value() && *model->fixed_status != grpc::StatusCode::OK) {
      status = grpc::Status(*model->fixed_status, model->fixed_status_message);
    } else if (!model->fixed_status.has_value() && Chance(model->unavailable_probability)) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "fake-authz: injected failure");
    } else {
      FillDecision(allowed, identity, response);
    }
    reactor->AnswerAfter(SampleLatency(*model), std::move(status));
    return reactor;
  }

 private:
  void RecordMetadata(grpc::CallbackServerContext* ctx) {
    Metadata copy;
    copy.reserve(ctx->client_metadata().size());
    for (const auto& [key, value] : ctx->client_metadata()) {
      copy.emplace_back(std::string(key.data(), key.size()),
                        std::string(value.data(), value.size()));
      if (key == kEchoKey) {
        ctx->AddInitialMetadata(kEchoInitialKey, copy.back().second);
        ctx->AddTrailingMetadata(kEchoTrailingKey, copy.back().second);
      }
    }
    // `lock` is destroyed before `copy`, so the previous metadata is freed unlocked.
    absl::MutexLock lock(&state_->metadata_mu);
    state_->last_metadata.swap(copy);
  }

  static void FillDecision(bool allowed, const std::string& identity, CheckResponse* response) {
    if (allowed) {
      response->mutable_status()->set_code(0);
      auto* header = response->mutable_ok_response()->add_headers()->mutable_header();
      header->set_key(kDecisionHeader);
      header->set_value("allowed");
      if (!identity.empty()) {
        auto* id = response->mutable_ok_response()->add_headers()->mutable_header();
        id->set_key(kIdentityHeader);
        id->set_value(identity);
      }
      return;
    }
    response->mutable_status()->set_code(kPermissionDenied);
    response->mutable_status()->set_message("denied by fake-authz");
    auto* denied = response->mutable_denied_response();
    denied->mutable_status()->set_code(envoy::type::v3::Forbidden);
    auto* header = denied->add_headers()->mutable_header();
    header->set_key(kDecisionHeader);
    header->set_value("denied");
    denied->set_body("denied by fake-authz\n");
    if (!identity.empty()) {
      auto* id = denied->add_headers()->mutable_header();
      id->set_key(kIdentityHeader);
      id->set_value(identity);
    }
  }

  SharedState* const state_;
};

}  // namespace

class FakeAuthzServer::Impl {
 public:
  // Member order matters for destruction: the gRPC server goes first, then the services,
  // then the timers (whose dropped closures release the last reactors), then the state.
  SharedState state;
  std::unique_ptr<AuthorizationService> authz;
  std::unique_ptr<v1::FakeAuthzControl::CallbackService> control;
  std::unique_ptr<grpc::Server> server;
  std::string host;
  int port = 0;
  absl::Mutex shutdown_mu;
  bool shut_down ABSL_GUARDED_BY(shutdown_mu) = false;

  ~Impl() { Shutdown(absl::Seconds(1)); }

  void Shutdown(absl::Duration grace) {
    absl::MutexLock lock(&shutdown_mu);
    if (shut_down) return;
    shut_down = true;
    // Pending answers keep firing during the grace period; calls still open after it are
    // cancelled (OnCancel finishes them). Timers must outlive this.
    server->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
    server->Wait();
  }
};

namespace {

class ControlService final : public v1::FakeAuthzControl::CallbackService {
 public:
  explicit ControlService(SharedState* state) : state_(state) {}

  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* ctx,
                                     const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override {
    FakeAuthzStats stats = state_->Stats(request->reset());
    response->set_checks_received(stats.checks_received);
    response->set_checks_cancelled(stats.checks_cancelled);
    for (const auto& [code, n] : stats.answered) {
      (*response->mutable_answered())[std::string(GrpcCodeName(static_cast<GrpcCode>(code)))] = n;
    }
    response->set_allowed(stats.allowed);
    response->set_denied(stats.denied);
    *response->mutable_latency() = LatencyModelToProto(*state_->Model());
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* SetLatency(grpc::CallbackServerContext* ctx,
                                       const v1::LatencyModel* request,
                                       v1::SetLatencyResponse* response) override {
    auto* reactor = ctx->DefaultReactor();
    absl::StatusOr<LatencyModel> model = LatencyModelFromProto(*request);
    if (!model.ok()) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(model.status().message())));
      return reactor;
    }
    *response->mutable_previous() = LatencyModelToProto(*state_->Model());
    // Already validated, cannot fail.
    state_->SetModel(*std::move(model)).IgnoreError();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  SharedState* const state_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FakeAuthzServer>> FakeAuthzServer::Start(
    const FakeAuthzOptions& options) {
  if (absl::Status s = ValidateLatencyModel(options.latency); !s.ok()) return s;
  if (options.allow_header.empty() ||
      options.allow_header != absl::AsciiStrToLower(options.allow_header)) {
    return absl::InvalidArgumentError(
        absl::StrCat("allow_header: must be a non-empty lowercase header name (Envoy lowercases "
                     "them), got \"",
                     options.allow_header, "\""));
  }
  if (options.timer_threads < 1 || options.timer_threads > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("timer_threads: must be in [1, 64], got ", options.timer_threads));
  }
  const size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: want host:port, got \"", options.listen, "\""));
  }

  auto impl = std::make_unique<Impl>();
  impl->state.allow_header = options.allow_header;
  impl->state.allow_value = options.allow_value;
  impl->state.identity_header = options.identity_header;
  // Validated above, cannot fail. Through SetModel, model is written under model_mu like
  // everywhere else (uncontended here: no call reaches the state before the server starts).
  impl->state.SetModel(options.latency).IgnoreError();
  for (int i = 0; i < options.timer_threads; ++i) {
    impl->state.timers.push_back(std::make_unique<TimerQueue>());
  }
  impl->host = options.listen.substr(0, colon);
  impl->authz = std::make_unique<AuthorizationService>(&impl->state);

  grpc::ServerBuilder builder;
  // gRPC enables SO_REUSEPORT by default: a second instance on the same port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions tls(
        options.tls_client_ca_pem.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = options.tls_client_ca_pem;
    tls.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(options.listen, credentials, &impl->port);
  builder.RegisterService(impl->authz.get());
  if (options.control_service) {
    impl->control = std::make_unique<ControlService>(&impl->state);
    builder.RegisterService(impl->control.get());
  }
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    if (impl->server != nullptr) {
      impl->Shutdown(absl::ZeroDuration());
    } else {
      absl::MutexLock lock(&impl->shutdown_mu);
      impl->shut_down = true;  // nothing to shut down
    }
    return absl::UnavailableError(absl::StrCat("listen: cannot bind \"", options.listen, "\""));
  }
  return std::unique_ptr<FakeAuthzServer>(new FakeAuthzServer(std::move(impl)));
}

FakeAuthzServer::FakeAuthzServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FakeAuthzServer::~FakeAuthzServer() = default;

int FakeAuthzServer::port() const { return impl_->port; }

std::string FakeAuthzServer::address() const { return absl::StrCat(impl_->host, ":", impl_->port); }

absl::Status FakeAuthzServer::SetLatencyModel(LatencyModel model) {
  return impl_->state.SetModel(std::move(model));
}

LatencyModel FakeAuthzServer::latency_model() const { return *impl_->state.Model(); }

FakeAuthzStats FakeAuthzServer::Stats(bool reset) { return impl_->state.Stats(reset); }

Metadata FakeAuthzServer::last_client_metadata() const {
  absl::MutexLock lock(&impl_->state.metadata_mu);
  return impl_->state.last_metadata;
}

void FakeAuthzServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }

}  // namespace edgekit::fakeauthz
