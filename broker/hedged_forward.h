// The broker's forwarder: sends a call's request to the upstream, hedges after the delay,
// retries non-fatal failures, lets the first decisive answer win and cancels the rest.
// Decisions come from hedging_policy.h; this file only acts on them. The settings, the
// latency window and the endpoints come from the call's CallConfig snapshot; the delay,
// budget and throttle from the HedgingController (atomics).
#ifndef EDGEKIT_BROKER_HEDGED_FORWARD_H_
#define EDGEKIT_BROKER_HEDGED_FORWARD_H_

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/forwarder.h"
#include "broker/hedging_controller.h"
#include "broker/metrics.h"
#include "broker/upstream_pool.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::broker {

class HedgedForwarder final : public Forwarder {
 public:
  HedgedForwarder(UpstreamPool* pool, HedgingController* hedging, BrokerMetrics* metrics)
      : pool_(pool), hedging_(hedging), metrics_(metrics) {}

  std::unique_ptr<Forward> Begin(ForwardHost& host, const CallConfig& config) override;

 private:
  friend class HedgedForward;
  UpstreamPool* const pool_;
  HedgingController* const hedging_;
  BrokerMetrics* const metrics_;
};

class HedgedForward final : public Forward {
 public:
  static constexpr int kMaxAttempts = 5;

  HedgedForward(const HedgedForwarder& forwarder, ForwardHost& host, const CallConfig& config);

  void Start() override;
  void OnAttemptDone(int index) override;
  void OnTimer() override;
  void Cancel() override;

 private:
  struct Attempt {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
    grpc::ByteBuffer response;
    grpc::Status status;
    std::shared_ptr<UpstreamEndpoint> endpoint;
    MonoTime start;
    bool outstanding = false;
  };
  // What the timer is for: the next hedge, or a pushback-delayed retry.
  enum class NextKind { kHedge, kRetry };

  void StartAttempt(MonoTime now);
  void ArmNext(MonoTime when, NextKind kind);
  // Tries to start one more attempt now; false (and the suppression counted) if the
  // policy says no.
  bool TryExtraAttempt(NextKind kind, MonoTime now);
  // The outcome: cancels the other attempts and reports once.
  void Decide(const grpc::Status& status, Attempt* winner);

  const HedgedForwarder& forwarder_;
  ForwardHost& host_;
  const CallConfig& config_;
  BrokerMetrics& metrics_;
  std::array<Attempt, kMaxAttempts> attempts_;
  int started_ = 0;
  int outstanding_ = 0;
  int last_failed_ = -1;
  bool decided_ = false;
  bool no_more_attempts_ = false;  // server pushback said stop
  NextKind next_kind_ = NextKind::kHedge;
  MonoTime winner_start_{};  // set when an attempt won
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_HEDGED_FORWARD_H_
