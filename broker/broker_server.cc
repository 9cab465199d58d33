// Wiring and lifecycle of the broker; the per-call logic is in server_call.cc, the
// stages in check_pipeline.cc, the upstream attempts in hedged_forward.cc.
#include "broker/broker_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "broker/log.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace edgekit::broker {
namespace {

// Server calls requested ahead, so a burst of new calls does not wait for a worker to
// post the next request.
constexpr int kListeners = 64;
constexpr auto kTickInterval = std::chrono::milliseconds(100);

}  // namespace

BrokerServer::BrokerServer(const BrokerSettings& settings)
    : settings_(settings), cache_secret_(cache::RandomSecret()) {}

absl::StatusOr<std::unique_ptr<BrokerServer>> BrokerServer::Start(const BrokerSettings& settings,
                                                                  Scheduler* scheduler,
                                                                  Forwarder* forwarder) {
  std::unique_ptr<BrokerServer> self(new BrokerServer(settings));
  self->metrics_ = std::make_unique<BrokerMetrics>();
  if (!settings.direct_responses.rules_only) {
    auto pool = UpstreamPool::Create(settings.upstream, settings.max_message_bytes);
    if (!pool.ok()) return pool.status();
    self->pool_ = *std::move(pool);
  }
  self->hedging_ = std::make_unique<HedgingController>(settings.hedging);
  if (scheduler == nullptr) {
    self->timers_ = std::make_unique<TimerQueue>();
    scheduler = self->timers_.get();
  }

  CallConfig initial;
  initial.direct_responses = self->MakeDirectResponses(settings.direct_responses);
  initial.cache =
      std::make_shared<DecisionCache>(settings.cache, self->cache_secret_, *self->metrics_);
  initial.hedging = self->hedging_->active();
  initial.latency = self->hedging_->window();
  if (self->pool_ != nullptr) initial.endpoints = self->pool_->endpoints();
  self->config_ = std::make_unique<CallConfigHolder>(std::move(initial));
  if (self->pool_ != nullptr) {
    // A change in the resolved endpoints is a new snapshot for calls from then on.
    self->pool_->OnEndpointsChanged(
        [config = self->config_.get()](std::shared_ptr<const UpstreamPool::Snapshot> endpoints) {
          config->Update([&](CallConfig& next) { next.endpoints = std::move(endpoints); });
        });
    self->forwarder_ = std::make_unique<HedgedForwarder>(self->pool_.get(), self->hedging_.get(),
                                                         self->metrics_.get());
  }

  CallEnvironment& env = self->env_;
  self->pipeline_ = std::make_unique<CheckPipeline>(settings);
  env.service = &self->service_;
  env.pipeline = self->pipeline_.get();
  env.forwarder = forwarder != nullptr ? forwarder : self->forwarder_.get();
  env.config = self->config_.get();
  env.metrics = self->metrics_.get();
  env.scheduler = scheduler;
  env.default_deadline = settings.upstream.default_deadline;
  env.ready = &self->ready_;

  grpc::ServerBuilder builder;
  builder.AddListeningPort(settings.listen, grpc::InsecureServerCredentials(), &self->port_);
  builder.RegisterAsyncGenericService(&self->service_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(settings.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(settings.max_message_bytes));
  // Check messages are small and the hop is local: HTTP/2 BDP probing only adds PING
  // frames to every burst of reads (measured: ~20% of peak QPS).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  int workers = settings.worker_threads > 0
                    ? settings.worker_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // One completion queue polled by every worker: whichever thread does the I/O for an
  // event also runs its handler (a queue per thread made gRPC hand events between the
  // threads: +40 us p50 at concurrency 1). A call's events run one at a time (server_call.h).
  self->queue_ = builder.AddCompletionQueue();
  self->server_ = builder.BuildAndStart();
  if (self->server_ == nullptr || self->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot listen on ", settings.listen,
                                               " (address in use, not local, or malformed)"));
  }

  // The flush endpoint exists on every broker (with the cache off it empties nothing), so
  // a reload that turns the cache on needs no restart to get it.
  auto admin = AdminHttpServer::Start(
      settings.metrics_listen, self->metrics_->shared_registry(), &self->ready_, {},
      [server = self.get()]() -> size_t {
        const size_t flushed = server->FlushCache();
        LogInfo(absl::StrCat("cache: flushed ", flushed, " entries (POST /cache/flush)"));
        return flushed;
      });
  if (!admin.ok()) {
    self->Shutdown();
    return admin.status();
  }
  self->admin_ = *std::move(admin);

  for (int i = 0; i < kListeners; ++i) ServerCall::Listen(&env, self->queue_.get());
  for (int i = 0; i < workers; ++i) {
    self->workers_.emplace_back([cq = self->queue_.get()] {
      void* tag;
      bool ok;
      while (cq->Next(&tag, &ok)) ServerCall::OnCompletion(tag, ok);
    });
  }
  if (self->pool_ != nullptr) self->pool_->Start();
  self->Tick();
  return self;
}

BrokerServer::~BrokerServer() { Shutdown(); }

void BrokerServer::Tick() {
  // Held for the whole tick, so Shutdown cannot stop the ticking between the check and
  // the next Schedule (a scheduler that outlives the server, a test's, would otherwise
  // keep a tick for a server that is gone).
  absl::MutexLock lock(&tick_mu_);
  if (stopped_.load()) return;
  hedging_->Recompute(env_.scheduler->Now());
  metrics_->hedge_delay->Set(absl::ToDoubleSeconds(hedging_->delay()));
  // A rules-only broker has no upstream to wait for.
  const bool upstream_ready = pool_ == nullptr || pool_->ready();
  if (pool_ != nullptr) {
    metrics_->upstream_endpoints->Set(static_cast<double>(pool_->endpoints()->size()));
  }
  const bool ready = upstream_ready && !not_ready_.load();
  ready_.store(ready);
  // MarkNotReady may have stored false between the check above and the store: never
  // let a late tick report ready again.
  if (not_ready_.load()) ready_.store(false);
  metrics_->ready->Set(ready_.load() ? 1 : 0);
  if (ready != last_ready_ && !not_ready_.load()) {
    LogInfo(pool_ == nullptr ? "ready: rules-only, no upstream"
            : ready          ? "ready: an upstream endpoint is connected"
                             : "not ready: no upstream endpoint is connected");
    last_ready_ = ready;
  }
  // env_.scheduler, not timers_: Shutdown resets timers_ while this may be running.
  tick_ = env_.scheduler->Schedule(env_.scheduler->Now() + kTickInterval, [this] { Tick(); });
}

std::shared_ptr<const DirectResponses> BrokerServer::MakeDirectResponses(
    const DirectResponseSettings& settings) {
  DirectResponseSettings effective = settings;
  // rules_only keeps its startup value: it decides whether an upstream exists.
  effective.rules_only = settings_.direct_responses.rules_only;
  auto rules = std::make_shared<const DirectResponses>(effective, *metrics_);
  metrics_->direct_response_rules->Set(static_cast<double>(rules->rule_count()));
  metrics_->direct_response_cidrs->Set(static_cast<double>(rules->cidr_count()));
  return rules;
}

void BrokerServer::ApplyHedgingSettings(const HedgingSettings& settings) {
  hedging_->Reconfigure(settings, env_.scheduler->Now());
  config_->Update([&](CallConfig& next) {
    next.hedging = hedging_->active();
    next.latency = hedging_->window();
  });
}

void BrokerServer::ApplyDirectResponseSettings(const DirectResponseSettings& settings) {
  std::shared_ptr<const DirectResponses> rules = MakeDirectResponses(settings);
  config_->Update([&](CallConfig& next) { next.direct_responses = std::move(rules); });
}

bool BrokerServer::ApplyCacheSettings(const CacheSettings& settings) {
  // A change to any cache setting starts an empty cache (an old key definition's entries
  // must not answer under the new one); equal settings keep the entries.
  if (config_->Get()->cache->settings() == settings) return false;
  // Built before publishing: calls keep using the old cache meanwhile.
  auto next_cache = std::make_shared<DecisionCache>(settings, cache_secret_, *metrics_);
  std::shared_ptr<DecisionCache> previous;
  config_->Update([&](CallConfig& next) { previous = std::exchange(next.cache, next_cache); });
  previous->Retire();
  next_cache->Flush();  // rewrites the gauges after the previous cache's last update
  return true;
}

size_t BrokerServer::FlushCache() { return config_->Get()->cache->Flush(); }

void BrokerServer::MarkNotReady() {
  not_ready_.store(true);
  ready_.store(false);
  if (metrics_ != nullptr) metrics_->ready->Set(0);
}

void BrokerServer::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  MarkNotReady();
  if (server_ != nullptr) {
    // Stops accepting calls and waits for those in flight, cancelling them at the
    // deadline. The workers keep polling meanwhile: they complete those calls.
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(settings_.drain_timeout));
    // Cancelled calls still deliver their last events (and pre-posted listeners their
    // failed requests): wait for every call object to be gone before closing queues.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (env_.live_calls.load() > 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (queue_ != nullptr) {
    queue_->Shutdown();
    for (auto& worker : workers_) worker.join();
    // Drain what the queue still holds (nothing, normally).
    void* tag;
    bool ok;
    while (queue_->Next(&tag, &ok)) {
    }
  }
  {
    absl::MutexLock lock(&tick_mu_);
    stopped_.store(true);
    if (tick_ != 0) env_.scheduler->Cancel(tick_);  // the next tick, if still pending
  }
  admin_.reset();
  timers_.reset();
  pool_.reset();
}

}  // namespace edgekit::broker
