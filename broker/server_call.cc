// The server side of a call; see server_call.h for the threading model.
#include "broker/server_call.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/grpc_bytes.h"
#include "grpc/health/v1/health.pb.h"

namespace edgekit::broker {
namespace {

// Keeps a cache entry alive while gRPC holds a slice of its bytes.
void ReleaseEntry(void* entry) { delete static_cast<std::shared_ptr<const cache::Entry>*>(entry); }

// The entry's bytes as a message, without copying them: the slice holds a reference to
// the entry.
grpc::ByteBuffer EntryMessage(const std::shared_ptr<const cache::Entry>& entry) {
  auto* holder = new std::shared_ptr<const cache::Entry>(entry);
  grpc::Slice slice(const_cast<char*>(entry->response.data()), entry->response.size(),
                    &ReleaseEntry, holder);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

ServerCall::ServerCall(CallEnvironment* env, grpc::ServerCompletionQueue* cq)
    : env_(env), cq_(cq), stream_(&server_context_) {
  env_->live_calls.fetch_add(1, std::memory_order_relaxed);
  for (int i = 0; i < kMaxAttempts; ++i) {
    attempt_tags_[i] = Tag{this, Event::kAttempt, static_cast<uint8_t>(i)};
  }
}

ServerCall::~ServerCall() { env_->live_calls.fetch_sub(1, std::memory_order_relaxed); }

void ServerCall::Listen(CallEnvironment* env, grpc::ServerCompletionQueue* cq) {
  auto* call = new ServerCall(env, cq);
  call->Hold();  // the request; the done tag is counted once a call arrives
  // Attempts are children of the server call, so a cancelled caller cancels them; the
  // done tag covers the moments with no attempt outstanding (a pushback-delayed retry,
  // a wait), and lets Server::Shutdown's cancellation end such calls too.
  call->server_context_.AsyncNotifyWhenDone(&call->done_tag_);
  env->service->RequestCall(&call->server_context_, &call->stream_, cq, cq, &call->request_tag_);
}

void ServerCall::OnCompletion(void* tag_ptr, bool ok) {
  const Tag& tag = *static_cast<const Tag*>(tag_ptr);
  Event event;
  event.kind = tag.kind;
  event.ok = ok;
  event.index = tag.index;
  tag.call->Post(std::move(event));
}

void ServerCall::Post(Event event) {
  {
    absl::MutexLock lock(&mu_);
    if (handling_) {  // the handling thread takes it
      events_.push_back(std::move(event));
      return;
    }
    handling_ = true;
  }
  // This thread handles the call's events now: this one (no queueing on the common
  // path), then whatever other threads posted meanwhile.
  Handle(event);
  int handled = 1;
  for (;;) {
    Event next;
    {
      absl::MutexLock lock(&mu_);
      if (events_.empty()) {
        handling_ = false;
        break;
      }
      next = std::move(events_.front());
      events_.erase(events_.begin());
    }
    Handle(next);
    ++handled;
  }
  // Each event carried the reference of the operation it completed.
  if (refs_.fetch_sub(handled, std::memory_order_acq_rel) == handled) delete this;
}

void ServerCall::Handle(Event& event) {
  switch (event.kind) {
    case Event::kRequest:
      OnRequest(event.ok);
      break;
    case Event::kRead:
      OnRead(event.ok);
      break;
    case Event::kAttempt:
      if (forward_ != nullptr) forward_->OnAttemptDone(event.index);
      break;
    case Event::kTimer:
      OnTimer(static_cast<TimerSlot>(event.index), event.generation);
      break;
    case Event::kFlightDone:
      OnFlightLanded(std::move(event.entry));
      break;
    case Event::kFinish:
      OnFinishDone(event.ok);
      break;
    case Event::kDone:
      OnDone();
      break;
  }
}

void ServerCall::OnRequest(bool ok) {
  if (!ok) return;    // the server is shutting down: no call arrived, no done tag will come
  Listen(env_, cq_);  // be ready for the next call before handling this one
  Hold();             // the done tag
  received_at_ = env_->scheduler->Now();
  if (server_context_.method() == kHealthCheckMethod) {
    // Answered by the broker itself, and kept out of the Check metrics so probes do not
    // skew them.
    health_check_ = true;
  } else {
    counted_inflight_ = true;
    env_->metrics->inflight->Increment();
    inflight_at_arrival_ = env_->inflight.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  Hold();
  stream_.Read(&request_, &read_tag_);
}

void ServerCall::OnRead(bool ok) {
  // The done tag may have got here first (the caller cancelled, or gRPC refused an
  // oversized message): the call is already being finished.
  if (committed_) return;
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::INTERNAL,
                        "edgekit-broker: the call carried no request message"),
           nullptr);
    return;
  }
  if (health_check_) {
    AnswerHealthCheck();
    return;
  }
  // One clock for every decision of the call (the scheduler's); gRPC wants the deadline
  // on the system clock.
  const MonoTime now = env_->scheduler->Now();
  const auto wall_now = std::chrono::system_clock::now();
  wall_deadline_ = server_context_.deadline();
  if (wall_deadline_ == std::chrono::system_clock::time_point::max()) {
    wall_deadline_ = wall_now + absl::ToChronoNanoseconds(env_->default_deadline);
  }
  deadline_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(wall_deadline_ -
                                                                                    wall_now);
  call_.emplace(server_context_.method(), &request_, env_->config->Get(), env_->metrics, deadline_);
  call_->waiter = this;
  call_->set_inflight_at_arrival(inflight_at_arrival_);
  call_->set_now(now);
  Proceed(env_->pipeline->Run(*call_));
}

void ServerCall::Proceed(const CheckPipeline::Step& step) {
  switch (step.verdict) {
    case StageVerdict::kAnswer:
      SendLocalAnswer();
      return;
    case StageVerdict::kWait:
      waiting_stage_ = static_cast<int>(step.stage);
      Hold();  // the wait: its resume (OnFlightDone) or a successful Abandon drops it
      // A waiting call is bounded by its own deadline, never by whoever it waits for.
      Arm(kWaitTimer, deadline_);
      return;
    case StageVerdict::kContinue:
      break;
  }
  if (env_->forwarder == nullptr) {  // rules-only: the rules stage answers every call
    Finish(grpc::Status(grpc::StatusCode::INTERNAL, "edgekit-broker: no upstream to forward to"),
           nullptr);
    return;
  }
  forward_ = env_->forwarder->Begin(*this, call_->config());
  forward_->Start();
}

void* ServerCall::AttemptTag(int attempt) {
  Hold();
  return &attempt_tags_[attempt];
}

void ServerCall::OnUpstreamResult(const UpstreamResult& result) {
  if (committed_) return;
  forward_settled_ = true;
  call_->set_now(env_->scheduler->Now());
  env_->pipeline->Settle(*call_, result);
  if (call_->answered()) {  // a stage answered instead (a stale entry for a failure)
    SendLocalAnswer();
    return;
  }
  ForEachForwardable(result.initial_metadata, [&](absl::string_view key, absl::string_view value) {
    server_context_.AddInitialMetadata(std::string(key), std::string(value));
  });
  ForEachForwardable(result.trailing_metadata, [&](absl::string_view key, absl::string_view value) {
    server_context_.AddTrailingMetadata(std::string(key), std::string(value));
  });
  Finish(result.status, result.response);
}

void ServerCall::OnFlightDone(std::shared_ptr<const cache::Entry> entry) {
  Event event;
  event.kind = Event::kFlightDone;
  event.entry = std::move(entry);
  Post(std::move(event));  // carries the wait's reference
}

void ServerCall::OnFlightLanded(std::shared_ptr<const cache::Entry> entry) {
  if (waiting_stage_ < 0) return;
  const size_t stage = static_cast<size_t>(waiting_stage_);
  waiting_stage_ = -1;
  Disarm(kWaitTimer);
  if (committed_) return;  // gave up meanwhile, too late to leave the flight
  call_->cache.landed = std::move(entry);
  call_->set_now(env_->scheduler->Now());
  Proceed(env_->pipeline->Resume(*call_, stage));
}

void ServerCall::OnTimer(TimerSlot slot, uint64_t generation) {
  Timer& timer = timers_[slot];
  if (timer.id == 0 || generation != timer.generation) return;  // disarmed or re-armed since
  timer.id = 0;
  if (committed_) return;
  if (slot == kForwardTimer) {
    if (forward_ != nullptr) forward_->OnTimer();
    return;
  }
  // The deadline passed while waiting. If the wait has ended meanwhile, its resume is on
  // the way instead.
  if (waiting_stage_ >= 0 && env_->pipeline->Abandon(*call_, static_cast<size_t>(waiting_stage_))) {
    waiting_stage_ = -1;
    Drop();
    Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "edgekit-broker: the deadline passed while waiting for a concurrent "
                        "call with the same cache key"),
           nullptr);
  }
}

void ServerCall::OnDone() {
  if (committed_ || !server_context_.IsCancelled()) return;
  // The caller gave up (or the server is shutting down): stop here.
  if (waiting_stage_ >= 0 && env_->pipeline->Abandon(*call_, static_cast<size_t>(waiting_stage_))) {
    waiting_stage_ = -1;
    Drop();
  }
  Finish(grpc::Status::CANCELLED, nullptr);
}

void ServerCall::SendLocalAnswer() {
  const LocalAnswer& answer = call_->answer();
  switch (answer.kind) {
    case LocalAnswer::Kind::kMessage:
      answer_ = answer.message;  // shares the slices, no copy of the bytes
      Finish(grpc::Status::OK, &answer_);
      return;
    case LocalAnswer::Kind::kReplay:
      for (const auto& [key, value] : answer.entry->initial_metadata) {
        server_context_.AddInitialMetadata(key, value);
      }
      for (const auto& [key, value] : answer.entry->trailing_metadata) {
        server_context_.AddTrailingMetadata(key, value);
      }
      answer_ = EntryMessage(answer.entry);
      Finish(grpc::Status::OK, &answer_);
      return;
    case LocalAnswer::Kind::kStatus:
      Finish(answer.status, nullptr);
      return;
    case LocalAnswer::Kind::kNone:
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "edgekit-broker: a stage gave no answer"),
             nullptr);
      return;
  }
}

void ServerCall::Finish(const grpc::Status& status, const grpc::ByteBuffer* response) {
  if (committed_) return;
  committed_ = true;
  answered_code_ = status.error_code();
  Disarm(kWaitTimer);
  if (forward_ != nullptr && !forward_settled_) {
    // The caller left while attempts were in flight: cancel them, and let the stages
    // settle (a flight's leader must land it, or its waiters wait for nothing).
    forward_->Cancel();
    forward_settled_ = true;
    UpstreamResult cancelled;
    cancelled.status = grpc::Status::CANCELLED;
    call_->set_now(env_->scheduler->Now());
    env_->pipeline->Settle(*call_, cancelled);
  }
  Disarm(kForwardTimer);
  Hold();  // the finish tag
  if (status.ok()) {
    stream_.WriteAndFinish(*response, grpc::WriteOptions(), status, &finish_tag_);
  } else {
    stream_.Finish(status, &finish_tag_);
  }
}

void ServerCall::AnswerHealthCheck() {
  grpc::health::v1::HealthCheckRequest request;
  // A request with no bytes to read (an empty message) parses as the empty request: the
  // server as a whole.
  std::vector<grpc::Slice> slices;
  std::string joined;
  const absl::string_view bytes =
      ContiguousBytes(request_, &slices, &joined).value_or(absl::string_view());
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "edgekit-broker: malformed HealthCheckRequest"),
           nullptr);
    return;
  }
  // "" is the server as a whole; the Check service is the only one it has.
  if (!request.service().empty() && request.service() != "envoy.service.auth.v3.Authorization") {
    Finish(
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
  answer_ = grpc::ByteBuffer(&slice, 1);
  Finish(grpc::Status::OK, &answer_);
}

void ServerCall::OnFinishDone(bool ok) {
  BrokerMetrics& metrics = *env_->metrics;
  if (!health_check_) {
    metrics.Requests(ok ? answered_code_ : grpc::StatusCode::CANCELLED).Increment();
    metrics.request_duration->Observe(
        absl::ToDoubleSeconds(absl::FromChrono(env_->scheduler->Now() - received_at_)));
  }
  if (counted_inflight_) {
    counted_inflight_ = false;
    env_->inflight.fetch_sub(1, std::memory_order_relaxed);
    metrics.inflight->Decrement();
  }
}

void ServerCall::Arm(TimerSlot slot, MonoTime when) {
  Disarm(slot);
  Timer& timer = timers_[slot];
  Hold();  // released by a successful Cancel, or carried by the timer's event
  const uint64_t generation = ++timer.generation;
  timer.id = env_->scheduler->Schedule(when, [this, slot, generation] {
    Event event;
    event.kind = Event::kTimer;
    event.index = slot;
    event.generation = generation;
    Post(std::move(event));
  });
}

void ServerCall::Disarm(TimerSlot slot) {
  // A timer that is already running cannot be cancelled; its event finds the slot
  // disarmed (or re-armed) and only gives back its reference.
  Timer& timer = timers_[slot];
  if (timer.id != 0 && env_->scheduler->Cancel(timer.id)) Drop();
  timer.id = 0;
}

}  // namespace edgekit::broker
