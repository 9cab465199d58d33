// One forwarded call: the state machine that sends attempts to the upstream, hedges
// after the delay, retries non-fatal failures, lets the first decisive answer win and
// cancels the rest. Decisions come from hedging_policy.h; this file only acts on them.
//
// Threading: a call's gRPC events arrive on the broker's completion queue, which several
// worker threads poll, and the timer thread delivers its hedge timer; all of them go
// through mu_. The call deletes itself once its last outstanding operation (pending_)
// has completed.
#ifndef EDGEKIT_BROKER_HEDGED_CALL_H_
#define EDGEKIT_BROKER_HEDGED_CALL_H_

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/decision_cache.h"
#include "broker/direct_responses.h"
#include "broker/hedging_controller.h"
#include "broker/metrics.h"
#include "broker/upstream_pool.h"
#include "common/timer_queue.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::broker {

// Everything a call needs from the broker; owned by BrokerServer, outlives every call.
struct CallEnvironment {
  grpc::AsyncGenericService* service = nullptr;
  UpstreamPool* pool = nullptr;  // null on a rules-only broker (every call answered here)
  DirectResponseStage* direct_responses = nullptr;
  DecisionCacheStage* cache = nullptr;
  HedgingController* hedging = nullptr;
  BrokerMetrics* metrics = nullptr;
  TimerQueue* timers = nullptr;
  std::vector<std::string> forward_methods;
  absl::Duration default_deadline = absl::Seconds(1);
  uint32_t max_inflight = 10000;
  std::atomic<int64_t> inflight{0};
  std::atomic<int64_t> live_calls{0};  // HedgedCall objects alive, for shutdown
  // What grpc.health.v1.Health/Check answers: SERVING while true.
  const std::atomic<bool>* ready = nullptr;
};

// Served by the broker itself rather than gRPC's default health service, whose callback
// threads cost ~20% of peak QPS here (they take part in polling the connections). Watch is
// not offered (UNIMPLEMENTED); Kubernetes and Envoy probes use Check.
inline constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

class HedgedCall final : public FlightWaiter {
 public:
  static constexpr int kMaxAttempts = 5;

  // Creates a call object and asks the server for the next incoming call on `cq`.
  static void Listen(CallEnvironment* env, grpc::ServerCompletionQueue* cq);

  // A completion-queue tag: which call, and which of its events.
  struct Tag {
    enum Kind : uint8_t { kRequest, kRead, kAttempt, kFinish, kDone };
    HedgedCall* call;
    Kind kind;
    uint8_t attempt;
  };
  // Dispatches a tag returned by CompletionQueue::Next.
  static void OnEvent(void* tag, bool ok);

 private:
  struct Attempt {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
    grpc::ByteBuffer response;
    grpc::Status status;
    std::shared_ptr<UpstreamEndpoint> endpoint;
    MonoTime start;
    bool outstanding = false;
    Tag tag;
  };
  // What the one timer of a call is for: the next hedge, a pushback-delayed retry, or
  // the deadline of a call waiting for a coalesced flight.
  enum class NextKind { kHedge, kRetry, kFlightDeadline };

  HedgedCall(CallEnvironment* env, grpc::ServerCompletionQueue* cq);
  ~HedgedCall() override;

  // FlightWaiter: called by the flight's leader, on its thread, with its mutex held.
  void OnFlightDone(std::shared_ptr<const cache::Entry> entry) override;

  void OnRequest(bool ok);
  void OnRead(bool ok);
  void OnAttemptDone(int index);
  void OnFinishDone(bool ok);
  void OnDone();
  void OnTimer(uint64_t generation);

  void StartAttemptLocked(MonoTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleNextLocked(MonoTime when, NextKind kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelTimerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tries to start one more attempt now; false (and the suppression counted) if the
  // policy says no.
  bool TryExtraAttemptLocked(NextKind kind, MonoTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CommitLocked(const grpc::Status& status, Attempt* winner) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends the answer: `response` (required when status is OK) and the status.
  void FinishLocked(const grpc::Status& status, const grpc::ByteBuffer* response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AnswerHealthCheckLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The local stages, for Check calls when rules or the cache are configured: the
  // direct-response rules, then the cache (a hit, or joining a flight). True when the
  // call is answered or waiting; false when it goes upstream.
  bool TryLocalAnswerLocked(MonoTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends the call to the upstream: the first attempt, then hedges and retries.
  void StartForwardLocked(MonoTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // At commit, for a cacheable call that went upstream: stores an OK answer the cache
  // admits, lands the flight it leads, and on failure serves a stale entry. True when it
  // answered the call (stale).
  bool SettleCacheLocked(const grpc::Status& status, Attempt* winner)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A waiting call leaves its flight (committed otherwise). Drops the flight's reference
  // when it did leave.
  void LeaveFlightLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers with a stored upstream answer: its exact bytes and metadata.
  void ReplayLocked(const cache::Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits and sends an OK call with `response`, made here (a rule, rules-only, the
  // cache), never by an upstream attempt.
  void AnswerLocallyLocked(const grpc::ByteBuffer& response) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops one outstanding operation; true when the call should now be deleted.
  bool ReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  CallEnvironment* const env_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::GenericServerContext server_context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_;
  Tag request_tag_{this, Tag::kRequest, 0};
  Tag read_tag_{this, Tag::kRead, 0};
  Tag finish_tag_{this, Tag::kFinish, 0};
  Tag done_tag_{this, Tag::kDone, 0};

  absl::Mutex mu_;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;  // operations whose completion is awaited
  std::shared_ptr<const ActiveHedging> hedging_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const UpstreamPool::Snapshot> endpoints_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> forward_metadata_ ABSL_GUARDED_BY(mu_);
  std::chrono::system_clock::time_point deadline_ ABSL_GUARDED_BY(mu_);
  MonoTime received_at_ ABSL_GUARDED_BY(mu_);
  std::array<Attempt, kMaxAttempts> attempts_ ABSL_GUARDED_BY(mu_);
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool counted_inflight_ ABSL_GUARDED_BY(mu_) = false;
  bool health_check_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ByteBuffer health_response_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer local_response_ ABSL_GUARDED_BY(mu_);  // a direct response being sent
  bool committed_ ABSL_GUARDED_BY(mu_) = false;
  bool no_more_attempts_ ABSL_GUARDED_BY(mu_) = false;  // server pushback said stop
  grpc::StatusCode answered_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;
  int last_failed_ ABSL_GUARDED_BY(mu_) = -1;
  MonoTime winner_start_ ABSL_GUARDED_BY(mu_);          // set at commit when an attempt won
  TimerQueue::TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;  // 0: none pending
  uint64_t timer_generation_ ABSL_GUARDED_BY(mu_) = 0;
  NextKind timer_kind_ ABSL_GUARDED_BY(mu_) = NextKind::kHedge;
  // The cache, for a cacheable Check call (a key was built): the snapshot it used, the
  // key, whether it leads a flight or waits for one.
  std::shared_ptr<DecisionCache> cache_ ABSL_GUARDED_BY(mu_);
  cache::CacheKey cache_key_ ABSL_GUARDED_BY(mu_){};
  bool flight_leader_ ABSL_GUARDED_BY(mu_) = false;
  bool flight_waiting_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_HEDGED_CALL_H_
