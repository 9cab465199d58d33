// A call as the pipeline's stages see it (check_stage.h): what arrived, the configuration
// snapshot it runs under, its deadline, and the answer a stage gives it. The server side
// (server_call.h) owns one per call and sends the answer a stage left here; a test can
// build one directly and run stages on it without a gRPC server.
//
// Threading: a call's events run one at a time (server_call.h), so a CheckCall is never
// touched by two threads at once and needs no lock.
#ifndef EDGEKIT_BROKER_CHECK_CALL_H_
#define EDGEKIT_BROKER_CHECK_CALL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "broker/call_config.h"
#include "broker/check_request.h"
#include "broker/decision_cache.h"
#include "broker/metrics.h"
#include "broker/settings.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace edgekit::broker {

// What a stage answered.
struct LocalAnswer {
  enum class Kind {
    kNone,     // nothing yet
    kMessage,  // an OK call with `message`, made here (a rule, rules-only)
    kReplay,   // a stored upstream answer: `entry`'s bytes and metadata
    kStatus,   // a gRPC error `status` (admission refused, malformed request)
  };
  Kind kind = Kind::kNone;
  grpc::ByteBuffer message;
  std::shared_ptr<const cache::Entry> entry;
  grpc::Status status;
};

class CheckCall {
 public:
  // `method` and `request` must outlive the call (the server call owns both).
  CheckCall(absl::string_view method, const grpc::ByteBuffer* request,
            std::shared_ptr<const CallConfig> config, BrokerMetrics* metrics, MonoTime deadline)
      : method_(method),
        request_(request),
        config_(std::move(config)),
        metrics_(metrics),
        deadline_(deadline) {}

  absl::string_view method() const { return method_; }
  bool is_check() const { return method_ == kCheckMethod; }
  const grpc::ByteBuffer& request() const { return *request_; }
  const CallConfig& config() const { return *config_; }
  BrokerMetrics& metrics() const { return *metrics_; }
  MonoTime deadline() const { return deadline_; }
  // Calls in flight when this one arrived, itself included (admission's limit).
  int64_t inflight_at_arrival() const { return inflight_at_arrival_; }
  void set_inflight_at_arrival(int64_t inflight) { inflight_at_arrival_ = inflight; }
  // The scheduler's time when the current stage runs.
  MonoTime now() const { return now_; }
  void set_now(MonoTime now) { now_ = now; }

  // The request parsed as a CheckRequest, with the client address found the way the
  // rules define it; null when the bytes are not a CheckRequest. Parsed at the first ask
  // of a pipeline pass into that pass's arena (check_pipeline.cc), so nothing is parsed
  // on the opaque path and nothing is allocated per header.
  const CheckRequestView* check();
  void BeginPass(std::optional<CheckRequestArena>* arena) { arena_ = arena; }
  void EndPass() {
    view_.reset();
    parsed_ = false;
    arena_ = nullptr;
  }

  void AnswerMessage(grpc::ByteBuffer message) {
    answer_.kind = LocalAnswer::Kind::kMessage;
    answer_.message = std::move(message);
  }
  void Replay(std::shared_ptr<const cache::Entry> entry) {
    answer_.kind = LocalAnswer::Kind::kReplay;
    answer_.entry = std::move(entry);
  }
  void Refuse(grpc::Status status) {
    answer_.kind = LocalAnswer::Kind::kStatus;
    answer_.status = std::move(status);
  }
  const LocalAnswer& answer() const { return answer_; }
  bool answered() const { return answer_.kind != LocalAnswer::Kind::kNone; }

  // What the decision cache stage keeps from the lookup until the answer is settled.
  struct CacheState {
    std::shared_ptr<DecisionCache> cache;  // set once a key was built
    cache::CacheKey key{};
    bool leader = false;                         // this call leads the flight for `key`
    bool waiting = false;                        // this call waits for another call's flight
    std::shared_ptr<const cache::Entry> landed;  // what the flight brought (null: go upstream)
  };
  CacheState cache;
  // How the call is told that a flight it waits for has landed.
  FlightWaiter* waiter = nullptr;

 private:
  const absl::string_view method_;
  const grpc::ByteBuffer* const request_;
  const std::shared_ptr<const CallConfig> config_;
  BrokerMetrics* const metrics_;
  const MonoTime deadline_;
  MonoTime now_{};
  int64_t inflight_at_arrival_ = 0;
  std::optional<CheckRequestArena>* arena_ = nullptr;
  bool parsed_ = false;
  std::optional<CheckRequestView> view_;
  LocalAnswer answer_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_CHECK_CALL_H_
