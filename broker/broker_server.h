// The running broker: the gRPC server on --listen (the forwarded methods plus
// grpc.health.v1.Health/Check, see server_call.h), worker threads polling one shared
// completion queue, the check pipeline, the upstream pool and the hedged forwarder, the
// hedging controller, the configuration snapshot calls read (call_config.h), the timer
// thread, and the admin HTTP server.
// main.cc only parses flags, handles signals and calls into this class; tests start it
// in-process on port 0.
#ifndef EDGEKIT_BROKER_BROKER_SERVER_H_
#define EDGEKIT_BROKER_BROKER_SERVER_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/admin_http.h"
#include "broker/call_config.h"
#include "broker/check_pipeline.h"
#include "broker/decision_cache.h"
#include "broker/direct_responses.h"
#include "broker/hedged_forward.h"
#include "broker/hedging_controller.h"
#include "broker/metrics.h"
#include "broker/server_call.h"
#include "broker/settings.h"
#include "broker/upstream_pool.h"
#include "common/timer_queue.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"

namespace edgekit::broker {

class BrokerServer {
 public:
  // Binds both listeners and starts serving. Errors: the PEM files, a port that cannot
  // be bound (named in the message).
  // `scheduler` (tests: a manual clock) is the time every call and the tick read; null:
  // the broker's own TimerQueue. `forwarder` (tests: a scripted one) replaces the hedged
  // forwarder to the upstream. Both must outlive the server.
  static absl::StatusOr<std::unique_ptr<BrokerServer>> Start(const BrokerSettings& settings,
                                                             Scheduler* scheduler = nullptr,
                                                             Forwarder* forwarder = nullptr);
  ~BrokerServer();  // Shutdown() if not done yet

  int port() const { return port_; }
  int metrics_port() const { return admin_->port(); }
  bool ready() const { return ready_.load(std::memory_order_relaxed); }
  BrokerMetrics& metrics() { return *metrics_; }
  HedgingController& hedging() { return *hedging_; }

  // SIGHUP: new hedging settings for calls that start from now on.
  void ApplyHedgingSettings(const HedgingSettings& settings);
  // Empties the cache in force; returns the entries dropped (POST /cache/flush).
  size_t FlushCache();
  // A reload: new direct-response rules for calls that start from now on.
  void ApplyDirectResponseSettings(const DirectResponseSettings& settings);
  // A reload: cache settings for calls that start from now on. Any change starts an
  // empty cache; returns whether it did.
  bool ApplyCacheSettings(const CacheSettings& settings);

  // SIGTERM, first step: report not ready (/readyz 503, Health NOT_SERVING) but keep
  // answering calls. Idempotent.
  void MarkNotReady();

  // SIGTERM: report not ready, stop accepting calls, let calls in flight finish (up to
  // drain_timeout, then cancel them), stop every thread. Idempotent.
  void Shutdown();

 private:
  explicit BrokerServer(const BrokerSettings& settings);
  void Tick();  // every 100 ms on the timer thread: hedge delay, readiness
  // The rules for a CallConfig, with the rule gauges set.
  std::shared_ptr<const DirectResponses> MakeDirectResponses(
      const DirectResponseSettings& settings);

  const BrokerSettings settings_;
  std::unique_ptr<BrokerMetrics> metrics_;
  const cache::Secret cache_secret_;    // one per process, so a reload keeps keys comparable
  std::unique_ptr<UpstreamPool> pool_;  // null on a rules-only broker
  std::unique_ptr<HedgingController> hedging_;
  std::unique_ptr<CallConfigHolder> config_;
  std::unique_ptr<CheckPipeline> pipeline_;
  std::unique_ptr<HedgedForwarder> forwarder_;  // null on a rules-only broker
  std::unique_ptr<TimerQueue> timers_;          // null when Start was given a scheduler
  grpc::AsyncGenericService service_;
  CallEnvironment env_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::thread> workers_;
  std::unique_ptr<AdminHttpServer> admin_;
  int port_ = 0;
  std::atomic<bool> ready_{false};
  std::atomic<bool> not_ready_{false};  // SIGTERM seen: report not ready
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> stopped_{false};
  absl::Mutex tick_mu_;  // one tick at a time, and Shutdown after the last
  Scheduler::TimerId tick_ ABSL_GUARDED_BY(tick_mu_) = 0;  // the next tick's timer
  bool last_ready_ = false;                                // only touched by Tick
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_BROKER_SERVER_H_
