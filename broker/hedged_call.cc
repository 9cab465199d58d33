// The per-call state machine; see hedged_call.h for the threading model.
#include "broker/hedged_call.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker/check_request.h"
#include "broker/hedging_policy.h"
#include "common/grpc_codes.h"
#include "grpc/health/v1/health.pb.h"

namespace edgekit::broker {
namespace {

MonoTime Now() { return std::chrono::steady_clock::now(); }

absl::Duration Between(MonoTime from, MonoTime to) { return absl::FromChrono(to - from); }

// Keys that must not be copied between the caller's and the upstream's calls: HTTP/2
// pseudo-headers and hop-by-hop headers, and gRPC's reserved "grpc-" keys (timeout,
// encoding, retry bookkeeping), which each hop sets for itself.
bool IsHopByHop(absl::string_view key) {
  if (key.empty() || key[0] == ':' || absl::StartsWith(key, "grpc-")) return true;
  static constexpr absl::string_view kHopByHop[] = {
      "content-type",    "te",         "user-agent", "host",
      "connection",      "keep-alive", "upgrade",    "transfer-encoding",
      "proxy-connection"};
  return std::find(std::begin(kHopByHop), std::end(kHopByHop), key) != std::end(kHopByHop);
}

absl::string_view View(grpc::string_ref ref) { return {ref.data(), ref.size()}; }

// Calls fn(key, value) for each entry of `metadata` that may be copied to the other call.
template <typename Fn>
void ForEachForwardable(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, Fn fn) {
  for (const auto& [key, value] : metadata) {
    if (!IsHopByHop(View(key))) fn(View(key), View(value));
  }
}

// The bytes of `buffer` in one string; false when they cannot be read.
bool CopyBytes(const grpc::ByteBuffer& buffer, std::string* out) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  for (const grpc::Slice& slice : slices) {
    out->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return true;
}

}  // namespace

HedgedCall::HedgedCall(CallEnvironment* env, grpc::ServerCompletionQueue* cq)
    : env_(env), cq_(cq), stream_(&server_context_) {
  env_->live_calls.fetch_add(1, std::memory_order_relaxed);
}

HedgedCall::~HedgedCall() { env_->live_calls.fetch_sub(1, std::memory_order_relaxed); }

void HedgedCall::Listen(CallEnvironment* env, grpc::ServerCompletionQueue* cq) {
  auto* call = new HedgedCall(env, cq);
  {
    absl::MutexLock lock(&call->mu_);
    call->pending_ = 1;  // the request; the done tag is counted once a call arrives
  }
  // Attempts are children of the server call, so a cancelled caller cancels them; the
  // done tag covers the moments with no attempt outstanding (a pushback-delayed retry),
  // and lets Server::Shutdown's cancellation end such calls too.
  call->server_context_.AsyncNotifyWhenDone(&call->done_tag_);
  env->service->RequestCall(&call->server_context_, &call->stream_, cq, cq, &call->request_tag_);
}

void HedgedCall::OnEvent(void* tag_ptr, bool ok) {
  auto* tag = static_cast<Tag*>(tag_ptr);
  HedgedCall* call = tag->call;
  switch (tag->kind) {
    case Tag::kRequest:
      call->OnRequest(ok);
      break;
    case Tag::kRead:
      call->OnRead(ok);
      break;
    case Tag::kAttempt:
      call->OnAttemptDone(tag->attempt);
      break;
    case Tag::kFinish:
      call->OnFinishDone(ok);
      break;
    case Tag::kDone:
      call->OnDone();
      break;
  }
}

void HedgedCall::OnRequest(bool ok) {
  if (!ok) {  // the server is shutting down: no call arrived, no done tag will come
    delete this;
    return;
  }
  Listen(env_, cq_);  // be ready for the next call before handling this one
  const MonoTime now = Now();
  bool release;
  {
    absl::MutexLock lock(&mu_);
    ++pending_;  // the done tag
    received_at_ = now;
    const std::string& method = server_context_.method();
    if (method == kHealthCheckMethod) {
      // Answered by the broker itself, and kept out of the Check metrics so probes do
      // not skew them.
      health_check_ = true;
      ++pending_;
      stream_.Read(&request_, &read_tag_);
    } else {
      counted_inflight_ = true;
      env_->metrics->inflight->Increment();
      const int64_t inflight = env_->inflight.fetch_add(1, std::memory_order_relaxed) + 1;
      if (inflight > env_->max_inflight) {
        CommitLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                  absl::StrCat("edgekit-broker: more than ", env_->max_inflight,
                                               " calls in flight (limits.max_inflight)")),
                     nullptr);
      } else if (std::find(env_->forward_methods.begin(), env_->forward_methods.end(), method) ==
                 env_->forward_methods.end()) {
        CommitLocked(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                  absl::StrCat("edgekit-broker: method ", method,
                                               " is not forwarded (forward_methods)")),
                     nullptr);
      } else {
        ++pending_;
        stream_.Read(&request_, &read_tag_);
      }
    }
    release = ReleaseLocked();
  }
  if (release) delete this;
}

void HedgedCall::OnRead(bool ok) {
  const MonoTime now = Now();
  bool release;
  {
    absl::MutexLock lock(&mu_);
    if (committed_) {
      // The done tag got here first (the caller cancelled, or gRPC refused an oversized
      // message): the call is already being finished.
    } else if (!ok) {
      CommitLocked(grpc::Status(grpc::StatusCode::INTERNAL,
                                "edgekit-broker: the call carried no request message"),
                   nullptr);
    } else if (health_check_) {
      AnswerHealthCheckLocked();
    } else {
      deadline_ = server_context_.deadline();
      if (deadline_ == std::chrono::system_clock::time_point::max()) {
        deadline_ =
            std::chrono::system_clock::now() + absl::ToChronoNanoseconds(env_->default_deadline);
      }
      // Answered here (no upstream attempt, no latency sample), waiting for a flight, or
      // forwarded.
      if (!TryLocalAnswerLocked(now)) StartForwardLocked(now);
    }
    release = ReleaseLocked();
  }
  if (release) delete this;
}

void HedgedCall::StartForwardLocked(MonoTime now) {
  hedging_ = env_->hedging->active();
  endpoints_ = env_->pool->endpoints();
  for (const auto& [key, value] : server_context_.client_metadata()) {
    if (!IsHopByHop(View(key))) {
      forward_metadata_.emplace_back(std::string(View(key)), std::string(View(value)));
    }
  }
  StartAttemptLocked(now);
}

void HedgedCall::StartAttemptLocked(MonoTime now) {
  const int index = started_++;
  Attempt& attempt = attempts_[index];
  const UpstreamEndpoint* used[kMaxAttempts];
  for (int i = 0; i < index; ++i) used[i] = attempts_[i].endpoint.get();
  attempt.endpoint = env_->pool->Pick(*endpoints_, used, index);
  if (attempt.endpoint == nullptr) {
    attempt.status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                  "edgekit-broker: no upstream endpoint resolved yet");
    last_failed_ = index;
    if (outstanding_ == 0) CommitLocked(attempt.status, nullptr);
    return;
  }
  BrokerMetrics& metrics = *env_->metrics;
  if (index == 0) {
    metrics.primary_attempts->Increment();
    env_->hedging->budget().OnPrimary();
  } else {
    metrics.hedge_attempts->Increment();
    metrics.hedges->Increment();
  }
  // Child of the server call: when the caller (Envoy) cancels or its deadline passes,
  // gRPC cancels every attempt, which then ends the call with CANCELLED. The deadline
  // set here only matters when it is the earlier one (the default deadline).
  attempt.context = grpc::ClientContext::FromServerContext(server_context_);
  attempt.context->set_deadline(deadline_);
  for (const auto& [key, value] : forward_metadata_) {
    attempt.context->AddMetadata(key, value);
  }
  if (index > 0) {
    // gRFC A6: tells the upstream this is a retry or hedge of an earlier attempt.
    attempt.context->AddMetadata("grpc-previous-rpc-attempts", std::to_string(index));
  }
  attempt.tag = Tag{this, Tag::kAttempt, static_cast<uint8_t>(index)};
  attempt.reader = attempt.endpoint->stub->PrepareUnaryCall(
      attempt.context.get(), server_context_.method(), request_, cq_);
  attempt.reader->StartCall();
  attempt.reader->Finish(&attempt.response, &attempt.status, &attempt.tag);
  attempt.start = now;
  attempt.outstanding = true;
  ++outstanding_;
  ++pending_;
  if (started_ < hedging_->settings.max_attempts && !no_more_attempts_) {
    ScheduleNextLocked(now + absl::ToChronoNanoseconds(env_->hedging->delay()), NextKind::kHedge);
  }
}

void HedgedCall::ScheduleNextLocked(MonoTime when, NextKind kind) {
  CancelTimerLocked();
  timer_kind_ = kind;
  ++pending_;  // released by a successful Cancel or by OnTimer
  const uint64_t generation = ++timer_generation_;
  timer_ = env_->timers->Schedule(when, [this, generation] { OnTimer(generation); });
}

void HedgedCall::CancelTimerLocked() {
  // A timer that is already running cannot be cancelled; it finds timer_ == 0 (or a
  // newer generation) and only releases its reference.
  if (timer_ != 0 && env_->timers->Cancel(timer_)) --pending_;
  timer_ = 0;
}

void HedgedCall::OnTimer(uint64_t generation) {
  const MonoTime now = Now();
  bool release;
  {
    absl::MutexLock lock(&mu_);
    const bool current = timer_ != 0 && generation == timer_generation_;
    if (current) timer_ = 0;
    if (current && !committed_ && timer_kind_ == NextKind::kFlightDeadline) {
      // Waited for the flight as long as the caller waits. If the flight has landed
      // meanwhile, its answer is on the way instead (LeaveFlightLocked finds that).
      if (flight_waiting_) {
        LeaveFlightLocked();
        if (!flight_waiting_) {
          CommitLocked(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                    "edgekit-broker: the deadline passed while waiting for a "
                                    "concurrent call with the same cache key"),
                       nullptr);
        }
      }
    } else if (current && !committed_) {
      TryExtraAttemptLocked(timer_kind_, now);
      if (outstanding_ == 0 && timer_ == 0 && !committed_) {
        // A pushback-delayed retry was refused and nothing else is outstanding: the
        // last failure is the answer.
        Attempt* failed = last_failed_ >= 0 ? &attempts_[last_failed_] : nullptr;
        CommitLocked(failed != nullptr ? failed->status
                                       : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                      "edgekit-broker: no attempt answered"),
                     failed);
      }
    }
    release = ReleaseLocked();
  }
  if (release) delete this;
}

bool HedgedCall::TryExtraAttemptLocked(NextKind kind, MonoTime now) {
  if (no_more_attempts_) return false;
  AttemptInputs in;
  in.kind = kind == NextKind::kHedge ? AttemptKind::kHedge : AttemptKind::kRetry;
  in.attempts_started = started_;
  in.max_attempts = hedging_->settings.max_attempts;
  in.remaining_deadline = absl::FromChrono(deadline_ - std::chrono::system_clock::now());
  in.typical_latency = env_->hedging->typical_latency();
  in.throttle_allows = env_->hedging->throttle().AllowsExtraAttempts();
  AttemptVerdict verdict = DecideExtraAttempt(in);
  // Withdraw from the budget only when nothing else stands in the way.
  if (verdict == AttemptVerdict::kSend && in.kind == AttemptKind::kHedge &&
      !env_->hedging->budget().TryWithdraw()) {
    verdict = AttemptVerdict::kSuppressedBudget;
  }
  BrokerMetrics& metrics = *env_->metrics;
  switch (verdict) {
    case AttemptVerdict::kSend:
      StartAttemptLocked(now);
      return true;
    case AttemptVerdict::kSuppressedBudget:
      metrics.suppressed_budget->Increment();
      break;
    case AttemptVerdict::kSuppressedThrottle:
      metrics.suppressed_throttle->Increment();
      break;
    case AttemptVerdict::kSuppressedDeadline:
      metrics.suppressed_deadline->Increment();
      break;
    case AttemptVerdict::kNoMoreAttempts:
      break;
  }
  return false;
}

void HedgedCall::OnAttemptDone(int index) {
  const MonoTime now = Now();
  bool release;
  {
    absl::MutexLock lock(&mu_);
    Attempt& attempt = attempts_[index];
    attempt.outstanding = false;
    --outstanding_;
    const absl::Duration latency = Between(attempt.start, now);
    const grpc::StatusCode code = attempt.status.error_code();
    if (committed_) {
      // A loser we cancelled. If it started before the winner, its latency is at least
      // this long: recording that (censored) value keeps stalls in the window, so the
      // quantile is not biased low by the very hedges that cut those stalls short. A
      // loser started after the winner says nothing about the tail: not recorded.
      if (winner_start_ != MonoTime() && attempt.start < winner_start_) {
        env_->hedging->RecordAttempt(latency, now);
      }
    } else if (code == grpc::StatusCode::OK && attempt.response.Valid()) {
      env_->hedging->RecordAttempt(latency, now);
      env_->metrics->attempt_duration->Observe(absl::ToDoubleSeconds(latency));
      env_->hedging->throttle().OnSuccess();
      CommitLocked(attempt.status, &attempt);
    } else if (code == grpc::StatusCode::OK) {
      // gRPC's async unary API reports OK even when the upstream sent no message;
      // passing that on would give Envoy an OK call with no CheckResponse.
      CommitLocked(grpc::Status(grpc::StatusCode::INTERNAL,
                                "edgekit-broker: the upstream answered OK without a message"),
                   nullptr);
    } else if (hedging_->IsNonFatal(code)) {
      // A fast failure says nothing about how long answers take: not recorded.
      env_->metrics->attempt_duration->Observe(absl::ToDoubleSeconds(latency));
      env_->hedging->throttle().OnFailure();
      last_failed_ = index;
      const auto& trailers = attempt.context->GetServerTrailingMetadata();
      auto it = trailers.find("grpc-retry-pushback-ms");
      std::string_view pushback_text;
      if (it != trailers.end()) pushback_text = {it->second.data(), it->second.size()};
      const Pushback pushback = ParsePushback(it != trailers.end() ? &pushback_text : nullptr);
      if (pushback.kind == Pushback::Kind::kStop) {
        no_more_attempts_ = true;
        CancelTimerLocked();
      } else if (pushback.kind == Pushback::Kind::kDelay && !no_more_attempts_) {
        // A pushback longer than the caller will wait means no further attempt (and
        // keeps huge values from overflowing the timer's time point).
        if (pushback.delay >= absl::FromChrono(deadline_ - std::chrono::system_clock::now())) {
          no_more_attempts_ = true;
          CancelTimerLocked();
        } else if (started_ < hedging_->settings.max_attempts) {
          ScheduleNextLocked(now + absl::ToChronoNanoseconds(pushback.delay), NextKind::kRetry);
        }
      } else {
        TryExtraAttemptLocked(NextKind::kRetry, now);
      }
      // Nothing else can answer unless a pushback-delayed retry is waiting.
      if (outstanding_ == 0 && !committed_ && (timer_ == 0 || timer_kind_ == NextKind::kHedge)) {
        CommitLocked(attempt.status, &attempt);
      }
    } else {
      // A fatal status is the upstream's answer: pass it on.
      env_->hedging->RecordAttempt(latency, now);
      env_->metrics->attempt_duration->Observe(absl::ToDoubleSeconds(latency));
      CommitLocked(attempt.status, &attempt);
    }
    release = ReleaseLocked();
  }
  if (release) delete this;
}

void HedgedCall::CommitLocked(const grpc::Status& status, Attempt* winner) {
  // Events for one call can race on the two workers (a cancelled call's done tag and its
  // failed read, say): the first commit wins, and a call is finished exactly once.
  if (committed_) return;
  committed_ = true;
  CancelTimerLocked();
  for (int i = 0; i < started_; ++i) {
    Attempt& attempt = attempts_[i];
    if (&attempt != winner && attempt.outstanding) {
      attempt.context->TryCancel();
      env_->metrics->cancelled->Increment();
    }
  }
  if (flight_waiting_) LeaveFlightLocked();  // the caller went away while waiting
  if (cache_ != nullptr && !flight_waiting_ && SettleCacheLocked(status, winner)) return;
  answered_code_ = status.error_code();
  if (winner != nullptr && winner->context != nullptr) {
    ForEachForwardable(winner->context->GetServerInitialMetadata(),
                       [&](absl::string_view key, absl::string_view value) {
                         server_context_.AddInitialMetadata(std::string(key), std::string(value));
                       });
    ForEachForwardable(winner->context->GetServerTrailingMetadata(),
                       [&](absl::string_view key, absl::string_view value) {
                         server_context_.AddTrailingMetadata(std::string(key), std::string(value));
                       });
    winner_start_ = winner->start;
    if (winner != &attempts_[0] && status.ok()) env_->metrics->hedge_wins->Increment();
  }
  FinishLocked(status, winner != nullptr ? &winner->response : nullptr);
}

void HedgedCall::FinishLocked(const grpc::Status& status, const grpc::ByteBuffer* response) {
  ++pending_;
  if (status.ok()) {
    stream_.WriteAndFinish(*response, grpc::WriteOptions(), status, &finish_tag_);
  } else {
    stream_.Finish(status, &finish_tag_);
  }
}

void HedgedCall::AnswerHealthCheckLocked() {
  committed_ = true;
  grpc::health::v1::HealthCheckRequest request;
  // A request with no bytes to read (an empty message) parses as the empty request: the
  // server as a whole.
  std::string bytes;
  CopyBytes(request_, &bytes);
  if (!request.ParseFromString(bytes)) {
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "edgekit-broker: malformed HealthCheckRequest"),
                 nullptr);
    return;
  }
  // "" is the server as a whole; the Check service is the only one it has.
  if (!request.service().empty() && request.service() != "envoy.service.auth.v3.Authorization") {
    FinishLocked(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat("edgekit-broker: unknown service \"", request.service(), "\"")),
        nullptr);
    return;
  }
  grpc::health::v1::HealthCheckResponse response;
  response.set_status(env_->ready->load(std::memory_order_relaxed)
                          ? grpc::health::v1::HealthCheckResponse::SERVING
                          : grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  grpc::Slice slice(response.SerializeAsString());
  health_response_ = grpc::ByteBuffer(&slice, 1);
  FinishLocked(grpc::Status::OK, &health_response_);
}

bool HedgedCall::TryLocalAnswerLocked(MonoTime now) {
  // The rules and the cache are about Check calls; other forwarded methods carry other
  // messages.
  if (server_context_.method() != kCheckMethod) return false;
  // One snapshot of each for the whole decision: a reload meanwhile affects later calls.
  const std::shared_ptr<const DirectResponses> direct = env_->direct_responses->current();
  std::shared_ptr<DecisionCache> cache = env_->cache->current();
  if (!direct->active() && !cache->enabled()) return false;  // the opaque path
  if (direct->rule_count() == 0 && !cache->enabled()) {
    AnswerLocallyLocked(*direct->Decide(nullptr).response);  // rules-only: nothing to parse
    return true;
  }
  CheckRequestArena arena;
  const envoy::service::auth::v3::CheckRequest* check = ParseCheckRequest(request_, arena.get());
  if (check == nullptr) {
    env_->metrics->malformed_requests->Increment();
    CommitLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "edgekit-broker: the request is not a valid CheckRequest"),
                 nullptr);
    return true;
  }
  const CheckRequestView view(*check, direct->num_trusted_proxies());
  const DirectResponses::Decision decision = direct->Decide(&view);
  if (decision.kind == DirectResponses::Decision::Kind::kAnswer) {
    AnswerLocallyLocked(*decision.response);
    return true;
  }
  if (!cache->enabled()) return false;
  const std::optional<cache::CacheKey> key = cache->Key(view);
  if (!key.has_value()) {
    env_->metrics->cache_bypassed->Increment();
    return false;
  }
  cache_ = std::move(cache);
  cache_key_ = *key;
  const cache::DecisionStore::Found found = cache_->Find(cache_key_, now);
  if (found.fresh) {
    env_->metrics->cache_hits->Increment();
    ReplayLocked(*found.entry);
    return true;
  }
  if (cache_->settings().coalesce) {
    if (!cache_->JoinOrLead(cache_key_, this)) {
      flight_waiting_ = true;
      ++pending_;  // the flight's reference: OnFlightDone or LeaveFlightLocked drops it
      // A waiting call is bounded by its own deadline, never by the leader's.
      ScheduleNextLocked(now + (deadline_ - std::chrono::system_clock::now()),
                         NextKind::kFlightDeadline);
      return true;
    }
    flight_leader_ = true;
  }
  env_->metrics->cache_misses->Increment();
  return false;
}

void HedgedCall::OnFlightDone(std::shared_ptr<const cache::Entry> entry) {
  const MonoTime now = Now();
  bool release;
  {
    absl::MutexLock lock(&mu_);
    if (flight_waiting_) {
      flight_waiting_ = false;
      if (!committed_) {
        CancelTimerLocked();
        if (entry != nullptr) {
          env_->metrics->cache_coalesced->Increment();
          ReplayLocked(*entry);
        } else {
          // The leader failed, or its answer was not stored: not a decision for this
          // call, which goes upstream itself (without a flight of its own).
          env_->metrics->cache_misses->Increment();
          StartForwardLocked(now);
        }
      }
    }
    release = ReleaseLocked();  // the flight's reference
  }
  if (release) delete this;
}

void HedgedCall::LeaveFlightLocked() {
  if (flight_waiting_ && cache_->Leave(cache_key_, this)) {
    flight_waiting_ = false;
    --pending_;  // never the last: the caller of this holds one
  }
}

bool HedgedCall::SettleCacheLocked(const grpc::Status& status, Attempt* winner) {
  const MonoTime now = Now();
  std::shared_ptr<const cache::Entry> stored;
  bool answered = false;
  if (started_ == 0) {
    // Never went upstream (a waiting call that gave up): nothing to store or to cover.
  } else if (status.ok() && winner != nullptr && winner->context != nullptr) {
    std::string bytes;
    if (CopyBytes(winner->response, &bytes)) {
      cache::Metadata initial, trailing;
      ForEachForwardable(winner->context->GetServerInitialMetadata(),
                         [&](absl::string_view key, absl::string_view value) {
                           initial.emplace_back(key, value);
                         });
      ForEachForwardable(winner->context->GetServerTrailingMetadata(),
                         [&](absl::string_view key, absl::string_view value) {
                           trailing.emplace_back(key, value);
                         });
      stored = cache_->Admit(std::move(bytes), std::move(initial), std::move(trailing), now);
      if (stored != nullptr) cache_->Insert(cache_key_, stored);
    }
  } else if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
             cache_->settings().stale_ttl > absl::ZeroDuration()) {
    // Stale-if-error: every attempt failed (a cancelled call has no caller to answer).
    const cache::DecisionStore::Found found = cache_->Find(cache_key_, now);
    if (found.entry != nullptr) {
      const std::string_view code = GrpcCodeName(static_cast<GrpcCode>(status.error_code()));
      cache_->NoteStaleServed(
          absl::StrCat(absl::string_view(code.data(), code.size()), ": ", status.error_message()));
      ReplayLocked(*found.entry);
      answered = true;
    }
  }
  if (flight_leader_) {
    flight_leader_ = false;
    cache_->Land(cache_key_, stored);
  }
  return answered;
}

void HedgedCall::ReplayLocked(const cache::Entry& entry) {
  for (const auto& [key, value] : entry.initial_metadata) {
    server_context_.AddInitialMetadata(key, value);
  }
  for (const auto& [key, value] : entry.trailing_metadata) {
    server_context_.AddTrailingMetadata(key, value);
  }
  grpc::Slice slice(entry.response);
  AnswerLocallyLocked(grpc::ByteBuffer(&slice, 1));
}

void HedgedCall::AnswerLocallyLocked(const grpc::ByteBuffer& response) {
  committed_ = true;
  answered_code_ = grpc::StatusCode::OK;
  local_response_ = response;  // shares the slices, no copy of the bytes
  FinishLocked(grpc::Status::OK, &local_response_);
}

void HedgedCall::OnFinishDone(bool ok) {
  const MonoTime now = Now();
  bool release;
  {
    absl::MutexLock lock(&mu_);
    BrokerMetrics& metrics = *env_->metrics;
    if (!health_check_) {
      metrics.Requests(ok ? answered_code_ : grpc::StatusCode::CANCELLED).Increment();
      metrics.request_duration->Observe(absl::ToDoubleSeconds(Between(received_at_, now)));
    }
    if (counted_inflight_) {
      counted_inflight_ = false;
      env_->inflight.fetch_sub(1, std::memory_order_relaxed);
      metrics.inflight->Decrement();
    }
    release = ReleaseLocked();
  }
  if (release) delete this;
}

void HedgedCall::OnDone() {
  bool release;
  {
    absl::MutexLock lock(&mu_);
    if (!committed_ && server_context_.IsCancelled()) {
      // The caller gave up (or the server is shutting down) while nothing was in flight
      // to notice it: stop here.
      CommitLocked(grpc::Status::CANCELLED, nullptr);
    }
    release = ReleaseLocked();
  }
  if (release) delete this;
}

bool HedgedCall::ReleaseLocked() { return --pending_ == 0; }

}  // namespace edgekit::broker
