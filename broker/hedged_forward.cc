// The attempts of one forwarded call; see hedged_forward.h.
#include "broker/hedged_forward.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "broker/hedging_policy.h"

namespace edgekit::broker {
namespace {

absl::Duration Between(MonoTime from, MonoTime to) { return absl::FromChrono(to - from); }

}  // namespace

std::unique_ptr<Forward> HedgedForwarder::Begin(ForwardHost& host, const CallConfig& config) {
  return std::make_unique<HedgedForward>(*this, host, config);
}

HedgedForward::HedgedForward(const HedgedForwarder& forwarder, ForwardHost& host,
                             const CallConfig& config)
    : forwarder_(forwarder), host_(host), config_(config), metrics_(*forwarder.metrics_) {}

void HedgedForward::Start() { StartAttempt(host_.scheduler().Now()); }

void HedgedForward::StartAttempt(MonoTime now) {
  const int index = started_++;
  Attempt& attempt = attempts_[index];
  const UpstreamEndpoint* used[kMaxAttempts];
  for (int i = 0; i < index; ++i) used[i] = attempts_[i].endpoint.get();
  if (config_.endpoints != nullptr) {
    attempt.endpoint = forwarder_.pool_->Pick(*config_.endpoints, used, index);
  }
  if (attempt.endpoint == nullptr) {
    attempt.status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                  "edgekit-broker: no upstream endpoint resolved yet");
    last_failed_ = index;
    if (outstanding_ == 0) Decide(attempt.status, nullptr);
    return;
  }
  if (index == 0) {
    metrics_.primary_attempts->Increment();
    forwarder_.hedging_->budget().OnPrimary();
  } else {
    metrics_.hedge_attempts->Increment();
    metrics_.hedges->Increment();
  }
  // Child of the server call: when the caller (Envoy) cancels or its deadline passes,
  // gRPC cancels every attempt, which then ends the call with CANCELLED. The deadline
  // set here only matters when it is the earlier one (the default deadline).
  attempt.context = grpc::ClientContext::FromServerContext(host_.caller());
  attempt.context->set_deadline(host_.wall_deadline());
  // The caller's metadata, read where gRPC keeps it (no copy kept per call).
  ForEachForwardable(&host_.caller().client_metadata(),
                     [&](absl::string_view key, absl::string_view value) {
                       attempt.context->AddMetadata(std::string(key), std::string(value));
                     });
  if (index > 0) {
    // gRFC A6: tells the upstream this is a retry or hedge of an earlier attempt.
    attempt.context->AddMetadata("grpc-previous-rpc-attempts", std::to_string(index));
  }
  attempt.reader = attempt.endpoint->stub->PrepareUnaryCall(attempt.context.get(), host_.method(),
                                                            host_.request(), host_.queue());
  attempt.reader->StartCall();
  attempt.reader->Finish(&attempt.response, &attempt.status, host_.AttemptTag(index));
  attempt.start = now;
  attempt.outstanding = true;
  ++outstanding_;
  if (started_ < config_.hedging->settings.max_attempts && !no_more_attempts_) {
    ArmNext(now + absl::ToChronoNanoseconds(forwarder_.hedging_->delay()), NextKind::kHedge);
  }
}

void HedgedForward::ArmNext(MonoTime when, NextKind kind) {
  next_kind_ = kind;
  host_.ArmTimer(when);
}

void HedgedForward::OnTimer() {
  if (decided_) return;
  const MonoTime now = host_.scheduler().Now();
  TryExtraAttempt(next_kind_, now);
  if (outstanding_ == 0 && !host_.timer_armed() && !decided_) {
    // A pushback-delayed retry was refused and nothing else is outstanding: the last
    // failure is the answer.
    Attempt* failed = last_failed_ >= 0 ? &attempts_[last_failed_] : nullptr;
    Decide(failed != nullptr
               ? failed->status
               : grpc::Status(grpc::StatusCode::UNAVAILABLE, "edgekit-broker: no attempt answered"),
           failed);
  }
}

bool HedgedForward::TryExtraAttempt(NextKind kind, MonoTime now) {
  if (no_more_attempts_) return false;
  HedgingController& hedging = *forwarder_.hedging_;
  AttemptInputs in;
  in.kind = kind == NextKind::kHedge ? AttemptKind::kHedge : AttemptKind::kRetry;
  in.attempts_started = started_;
  in.max_attempts = config_.hedging->settings.max_attempts;
  in.remaining_deadline = Between(now, host_.deadline());
  in.typical_latency = hedging.typical_latency();
  in.throttle_allows = hedging.throttle().AllowsExtraAttempts();
  AttemptVerdict verdict = DecideExtraAttempt(in);
  // Withdraw from the budget only when nothing else stands in the way.
  if (verdict == AttemptVerdict::kSend && in.kind == AttemptKind::kHedge &&
      !hedging.budget().TryWithdraw()) {
    verdict = AttemptVerdict::kSuppressedBudget;
  }
  switch (verdict) {
    case AttemptVerdict::kSend:
      StartAttempt(now);
      return true;
    case AttemptVerdict::kSuppressedBudget:
      metrics_.suppressed_budget->Increment();
      break;
    case AttemptVerdict::kSuppressedThrottle:
      metrics_.suppressed_throttle->Increment();
      break;
    case AttemptVerdict::kSuppressedDeadline:
      metrics_.suppressed_deadline->Increment();
      break;
    case AttemptVerdict::kNoMoreAttempts:
      break;
  }
  return false;
}

void HedgedForward::OnAttemptDone(int index) {
  const MonoTime now = host_.scheduler().Now();
  HedgingController& hedging = *forwarder_.hedging_;
  Attempt& attempt = attempts_[index];
  attempt.outstanding = false;
  --outstanding_;
  const absl::Duration latency = Between(attempt.start, now);
  const grpc::StatusCode code = attempt.status.error_code();
  if (decided_) {
    // A loser we cancelled. If it started before the winner, its latency is at least
    // this long: recording that (censored) value keeps stalls in the window, so the
    // quantile is not biased low by the very hedges that cut those stalls short. A
    // loser started after the winner says nothing about the tail: not recorded.
    if (winner_start_ != MonoTime() && attempt.start < winner_start_) {
      config_.latency->Record(latency, now);
    }
  } else if (code == grpc::StatusCode::OK && attempt.response.Valid()) {
    config_.latency->Record(latency, now);
    metrics_.attempt_duration->Observe(absl::ToDoubleSeconds(latency));
    hedging.throttle().OnSuccess();
    Decide(attempt.status, &attempt);
  } else if (code == grpc::StatusCode::OK) {
    // gRPC's async unary API reports OK even when the upstream sent no message;
    // passing that on would give Envoy an OK call with no CheckResponse.
    Decide(grpc::Status(grpc::StatusCode::INTERNAL,
                        "edgekit-broker: the upstream answered OK without a message"),
           nullptr);
  } else if (config_.hedging->IsNonFatal(code)) {
    // A fast failure says nothing about how long answers take: not recorded.
    metrics_.attempt_duration->Observe(absl::ToDoubleSeconds(latency));
    hedging.throttle().OnFailure();
    last_failed_ = index;
    const auto& trailers = attempt.context->GetServerTrailingMetadata();
    auto it = trailers.find("grpc-retry-pushback-ms");
    std::string_view pushback_text;
    if (it != trailers.end()) pushback_text = {it->second.data(), it->second.size()};
    const Pushback pushback = ParsePushback(it != trailers.end() ? &pushback_text : nullptr);
    if (pushback.kind == Pushback::Kind::kStop) {
      no_more_attempts_ = true;
      host_.DisarmTimer();
    } else if (pushback.kind == Pushback::Kind::kDelay && !no_more_attempts_) {
      // A pushback longer than the caller will wait means no further attempt (and
      // keeps huge values from overflowing the timer's time point).
      if (pushback.delay >= Between(now, host_.deadline())) {
        no_more_attempts_ = true;
        host_.DisarmTimer();
      } else if (started_ < config_.hedging->settings.max_attempts) {
        ArmNext(now + absl::ToChronoNanoseconds(pushback.delay), NextKind::kRetry);
      }
    } else {
      TryExtraAttempt(NextKind::kRetry, now);
    }
    // Nothing else can answer unless a pushback-delayed retry is waiting.
    if (outstanding_ == 0 && !decided_ &&
        (!host_.timer_armed() || next_kind_ == NextKind::kHedge)) {
      Decide(attempt.status, &attempt);
    }
  } else {
    // A fatal status is the upstream's answer: pass it on.
    config_.latency->Record(latency, now);
    metrics_.attempt_duration->Observe(absl::ToDoubleSeconds(latency));
    Decide(attempt.status, &attempt);
  }
}

void HedgedForward::Decide(const grpc::Status& status, Attempt* winner) {
  if (decided_) return;
  decided_ = true;
  host_.DisarmTimer();
  for (int i = 0; i < started_; ++i) {
    Attempt& attempt = attempts_[i];
    if (&attempt != winner && attempt.outstanding) {
      attempt.context->TryCancel();
      metrics_.cancelled->Increment();
    }
  }
  UpstreamResult result;
  result.status = status;
  if (winner != nullptr && winner->context != nullptr) {
    winner_start_ = winner->start;
    if (status.ok()) result.response = &winner->response;
    result.initial_metadata = &winner->context->GetServerInitialMetadata();
    result.trailing_metadata = &winner->context->GetServerTrailingMetadata();
    if (winner != &attempts_[0] && status.ok()) metrics_.hedge_wins->Increment();
  }
  host_.OnUpstreamResult(result);
}

void HedgedForward::Cancel() {
  if (decided_) return;
  decided_ = true;
  host_.DisarmTimer();
  for (int i = 0; i < started_; ++i) {
    Attempt& attempt = attempts_[i];
    if (attempt.outstanding) {
      attempt.context->TryCancel();
      metrics_.cancelled->Increment();
    }
  }
}

}  // namespace edgekit::broker
