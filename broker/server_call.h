// One call the broker serves: the gRPC server side of it (the request, the deadline, the
// answer), walked through the check pipeline (check_pipeline.h) and, when no stage
// answers, handed to the forwarder (forwarder.h). Also answers
// grpc.health.v1.Health/Check itself.
//
// Threading: a call's events (gRPC completions, its timers, a flight it waited for
// landing) arrive on whichever thread noticed them. Each is posted to the call; the first
// thread to post while no event is being handled handles events until none is left, so a
// call's events run one at a time and in order, and no code runs while a lock is held:
// the call's mutex only guards the queue of posted events. gRPC operations, the stages,
// the forwarder and other calls' code (a leader waking its flight's waiters) all run
// outside it. The call deletes itself when its last outstanding operation is done.
#ifndef EDGEKIT_BROKER_SERVER_CALL_H_
#define EDGEKIT_BROKER_SERVER_CALL_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "broker/call_config.h"
#include "broker/check_call.h"
#include "broker/check_pipeline.h"
#include "broker/forwarder.h"
#include "broker/metrics.h"
#include "common/scheduler.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::broker {

// Everything a call needs from the broker; owned by BrokerServer, outlives every call.
struct CallEnvironment {
  grpc::AsyncGenericService* service = nullptr;
  const CheckPipeline* pipeline = nullptr;
  Forwarder* forwarder = nullptr;  // null on a rules-only broker (every call answered here)
  const CallConfigHolder* config = nullptr;
  BrokerMetrics* metrics = nullptr;
  Scheduler* scheduler = nullptr;
  absl::Duration default_deadline = absl::Seconds(1);
  std::atomic<int64_t> inflight{0};
  std::atomic<int64_t> live_calls{0};  // ServerCall objects alive, for shutdown
  // What grpc.health.v1.Health/Check answers: SERVING while true.
  const std::atomic<bool>* ready = nullptr;
};

// Served by the broker itself rather than gRPC's default health service, whose callback
// threads cost ~20% of peak QPS here (they take part in polling the connections). Watch is
// not offered (UNIMPLEMENTED); Kubernetes and Envoy probes use Check.
inline constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

class ServerCall final : public ForwardHost, public FlightWaiter {
 public:
  // Creates a call object and asks the server for the next incoming call on `cq`.
  static void Listen(CallEnvironment* env, grpc::ServerCompletionQueue* cq);
  // Dispatches a tag returned by CompletionQueue::Next.
  static void OnCompletion(void* tag, bool ok);

  // ForwardHost.
  grpc::ServerContextBase& caller() override { return server_context_; }
  const std::string& method() const override { return server_context_.method(); }
  const grpc::ByteBuffer& request() const override { return request_; }
  MonoTime deadline() const override { return deadline_; }
  std::chrono::system_clock::time_point wall_deadline() const override { return wall_deadline_; }
  Scheduler& scheduler() override { return *env_->scheduler; }
  grpc::CompletionQueue* queue() override { return cq_; }
  void* AttemptTag(int attempt) override;
  void ArmTimer(MonoTime when) override { Arm(kForwardTimer, when); }
  void DisarmTimer() override { Disarm(kForwardTimer); }
  bool timer_armed() const override { return timers_[kForwardTimer].id != 0; }
  void OnUpstreamResult(const UpstreamResult& result) override;

  // FlightWaiter: from the flight's leader, on its thread.
  void OnFlightDone(std::shared_ptr<const cache::Entry> entry) override;

 private:
  static constexpr int kMaxAttempts = 5;
  enum TimerSlot : uint8_t { kWaitTimer, kForwardTimer, kTimerSlots };

  struct Event {
    enum Kind : uint8_t { kRequest, kRead, kAttempt, kFinish, kDone, kTimer, kFlightDone };
    Kind kind = kRequest;
    bool ok = true;
    uint8_t index = 0;                          // kAttempt: the attempt; kTimer: the TimerSlot
    uint64_t generation = 0;                    // kTimer: which arming of the slot
    std::shared_ptr<const cache::Entry> entry;  // kFlightDone
  };
  // A completion-queue tag: which call, and which of its events.
  struct Tag {
    ServerCall* call;
    Event::Kind kind;
    uint8_t index;
  };
  struct Timer {
    Scheduler::TimerId id = 0;  // 0: not armed
    uint64_t generation = 0;
  };

  ServerCall(CallEnvironment* env, grpc::ServerCompletionQueue* cq);
  ~ServerCall() override;

  // Queues `event`; handles it (and whatever arrives meanwhile) unless another thread is
  // already handling this call's events.
  void Post(Event event);
  void Handle(Event& event);
  void OnRequest(bool ok);
  void OnRead(bool ok);
  void OnTimer(TimerSlot slot, uint64_t generation);
  void OnFlightLanded(std::shared_ptr<const cache::Entry> entry);
  void OnDone();
  void OnFinishDone(bool ok);

  // Acts on what the pipeline decided.
  void Proceed(const CheckPipeline::Step& step);
  // Sends the answer a stage left in the CheckCall.
  void SendLocalAnswer();
  void AnswerHealthCheck();
  // Sends the call's answer: `response` (required when status is OK) and the status.
  // Once per call; ends a wait and a forward still going.
  void Finish(const grpc::Status& status, const grpc::ByteBuffer* response);

  void Arm(TimerSlot slot, MonoTime when);
  void Disarm(TimerSlot slot);
  // References: one per outstanding operation (a gRPC tag, an armed timer, a flight
  // waited for), plus the one of the event being handled.
  void Hold() { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Never drops the last reference: the event being handled holds one.
  void Drop() { refs_.fetch_sub(1, std::memory_order_relaxed); }

  CallEnvironment* const env_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::GenericServerContext server_context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_;
  Tag request_tag_{this, Event::kRequest, 0};
  Tag read_tag_{this, Event::kRead, 0};
  Tag finish_tag_{this, Event::kFinish, 0};
  Tag done_tag_{this, Event::kDone, 0};
  Tag attempt_tags_[kMaxAttempts];

  std::atomic<int> refs_{0};
  absl::Mutex mu_;
  absl::InlinedVector<Event, 2> events_ ABSL_GUARDED_BY(mu_);
  bool handling_ ABSL_GUARDED_BY(mu_) = false;

  // Touched only by the thread handling the call's events.
  MonoTime received_at_{};
  MonoTime deadline_{};
  std::chrono::system_clock::time_point wall_deadline_{};
  bool health_check_ = false;
  bool counted_inflight_ = false;
  int64_t inflight_at_arrival_ = 0;
  bool committed_ = false;
  grpc::StatusCode answered_code_ = grpc::StatusCode::OK;
  std::optional<CheckCall> call_;
  int waiting_stage_ = -1;  // the stage the call waits at
  std::unique_ptr<Forward> forward_;
  bool forward_settled_ = false;  // the stages have heard the upstream's result
  grpc::ByteBuffer answer_;       // a local answer being sent
  Timer timers_[kTimerSlots];
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_SERVER_CALL_H_
