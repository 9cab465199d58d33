// A scripted upstream in the style of Envoy's FakeUpstream: a real gRPC server on
// loopback that holds every call it receives until the test decides its answer. The test
// waits for the next attempt (Next), looks at it (request, metadata), and answers it,
// fails it, or leaves it to be cancelled; so a test of the broker's call state machine
// says exactly when each attempt answers, instead of giving the upstream a latency and
// sleeping.
#ifndef EDGEKIT_TESTS_TESTING_FAKE_UPSTREAM_H_
#define EDGEKIT_TESTS_TESTING_FAKE_UPSTREAM_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::testing {

using MetadataList = std::vector<std::pair<std::string, std::string>>;

class FakeUpstream {
 public:
  class Attempt;

 private:
  class Reactor;

 public:
  class Attempt {
   public:
    const std::string& method() const { return method_; }
    const std::string& request() const { return request_; }
    // A metadata value the broker sent, or "<absent>".
    std::string Metadata(const std::string& key) const {
      auto it = metadata_.find(key);
      return it == metadata_.end() ? "<absent>" : it->second;
    }

    // Answers OK with `response`; false when the attempt had already ended (cancelled).
    bool Answer(const envoy::service::auth::v3::CheckResponse& response,
                const MetadataList& initial = {}, const MetadataList& trailing = {}) {
      return End(grpc::Status::OK, response.SerializeAsString(), initial, trailing);
    }
    // Fails with `code`; false when the attempt had already ended.
    bool Fail(grpc::StatusCode code, const MetadataList& trailing = {}) {
      return End(grpc::Status(code, "failed by the test"), "", {}, trailing);
    }
    // Waits (up to `timeout` of real time) until the broker cancels the attempt.
    bool WaitCancelled(absl::Duration timeout = absl::Seconds(10)) {
      absl::MutexLock lock(&mu_);
      return mu_.AwaitWithTimeout(absl::Condition(&cancelled_), timeout);
    }
    bool cancelled() const {
      absl::MutexLock lock(&mu_);
      return cancelled_;
    }

   private:
    friend class FakeUpstream::Reactor;
    bool End(const grpc::Status& status, std::string bytes, const MetadataList& initial,
             const MetadataList& trailing);

    std::string method_;
    std::string request_;
    std::map<std::string, std::string> metadata_;
    mutable absl::Mutex mu_;
    Reactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;  // null once the call ended
    bool ended_ ABSL_GUARDED_BY(mu_) = false;
    bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  };

  // Listens on `ports` loopback ports (the broker sees each as an endpoint); attempts on
  // all of them come out of one Next().
  explicit FakeUpstream(int ports = 1) : service_(this), ports_(ports, 0) {
    grpc::ServerBuilder builder;
    for (int& port : ports_) {
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    }
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~FakeUpstream() {
    // Attempts the test left unanswered end now, so the server can shut down.
    std::deque<std::shared_ptr<Attempt>> all;
    {
      absl::MutexLock lock(&mu_);
      all = all_;
    }
    for (auto& attempt : all) attempt->Fail(grpc::StatusCode::UNAVAILABLE);
    server_->Shutdown();
  }

  // A gRPC target naming every port: "ipv4:127.0.0.1:p1,127.0.0.1:p2".
  std::string target() const {
    std::string target = "ipv4:";
    for (size_t i = 0; i < ports_.size(); ++i) {
      absl::StrAppend(&target, i > 0 ? "," : "", "127.0.0.1:", ports_[i]);
    }
    return target;
  }

  // The next attempt received (in arrival order), waiting up to `timeout` of real time
  // for it; null when none came.
  std::shared_ptr<Attempt> Next(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !waiting_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout)) return nullptr;
    std::shared_ptr<Attempt> next = waiting_.front();
    waiting_.pop_front();
    return next;
  }

  // Attempts received so far, taken by Next or not.
  size_t received() const {
    absl::MutexLock lock(&mu_);
    return all_.size();
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor(FakeUpstream* upstream, grpc::GenericCallbackServerContext* context)
        : upstream_(upstream), context_(context), attempt_(std::make_shared<Attempt>()) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INTERNAL, "fake upstream: no request message"));
        return;
      }
      std::vector<grpc::Slice> slices;
      if (request_.Dump(&slices).ok()) {
        for (const grpc::Slice& slice : slices) {
          attempt_->request_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
        }
      }
      attempt_->method_ = context_->method();
      for (const auto& [key, value] : context_->client_metadata()) {
        attempt_->metadata_.emplace(std::string(key.data(), key.size()),
                                    std::string(value.data(), value.size()));
      }
      bool cancelled;
      {
        absl::MutexLock lock(&attempt_->mu_);
        attempt_->reactor_ = this;
        cancelled = attempt_->ended_;  // OnCancel came first and could not finish
      }
      if (cancelled) {
        Finish(grpc::Status::CANCELLED);
        return;
      }
      upstream_->Arrived(attempt_);
    }
    void OnCancel() override {
      bool finish = false;
      {
        absl::MutexLock lock(&attempt_->mu_);
        attempt_->cancelled_ = true;
        finish = !attempt_->ended_ && attempt_->reactor_ != nullptr;
        attempt_->ended_ = true;
      }
      // Outside the lock: gRPC may run OnDone from inside Finish. (Until this Finish, or
      // the test's, nothing deletes the reactor.)
      if (finish) Finish(grpc::Status::CANCELLED);
    }
    void OnDone() override {
      {
        absl::MutexLock lock(&attempt_->mu_);
        attempt_->reactor_ = nullptr;
      }
      delete this;
    }
    // Once per call, without the attempt's mutex.
    void Send(const grpc::Status& status, std::string bytes, const MetadataList& initial,
              const MetadataList& trailing) {
      for (const auto& [key, value] : initial) context_->AddInitialMetadata(key, value);
      for (const auto& [key, value] : trailing) context_->AddTrailingMetadata(key, value);
      if (!status.ok()) {
        Finish(status);
        return;
      }
      grpc::Slice slice(bytes);
      response_ = grpc::ByteBuffer(&slice, 1);
      StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
    }

   private:
    FakeUpstream* const upstream_;
    grpc::GenericCallbackServerContext* const context_;
    std::shared_ptr<Attempt> attempt_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  class Service final : public grpc::CallbackGenericService {
   public:
    explicit Service(FakeUpstream* upstream) : upstream_(upstream) {}
    grpc::ServerGenericBidiReactor* CreateReactor(
        grpc::GenericCallbackServerContext* context) override {
      return new Reactor(upstream_, context);
    }

   private:
    FakeUpstream* const upstream_;
  };

  void Arrived(std::shared_ptr<Attempt> attempt) {
    absl::MutexLock lock(&mu_);
    all_.push_back(attempt);
    waiting_.push_back(std::move(attempt));
  }

  Service service_;
  std::vector<int> ports_;
  std::unique_ptr<grpc::Server> server_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Attempt>> waiting_ ABSL_GUARDED_BY(mu_);
  std::deque<std::shared_ptr<Attempt>> all_ ABSL_GUARDED_BY(mu_);
};

inline bool FakeUpstream::Attempt::End(const grpc::Status& status, std::string bytes,
                                       const MetadataList& initial, const MetadataList& trailing) {
  Reactor* reactor;
  {
    absl::MutexLock lock(&mu_);
    if (ended_ || reactor_ == nullptr) return false;
    ended_ = true;
    reactor = reactor_;
  }
  reactor->Send(status, std::move(bytes), initial, trailing);
  return true;
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_FAKE_UPSTREAM_H_
