// The upstream side of a call: where a Check call goes that no stage answered. The
// broker's forwarder is HedgedForwarder (hedged_forward.h); a test can put its own behind
// this interface and drive the server call and the stages without an upstream.
//
// A Forward belongs to one call and runs on that call's events (server_call.h): its
// methods are never called concurrently, and it reports through the ForwardHost.
#ifndef EDGEKIT_BROKER_FORWARDER_H_
#define EDGEKIT_BROKER_FORWARDER_H_

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "broker/call_config.h"
#include "broker/latency_window.h"
#include "common/scheduler.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace edgekit::broker {

using GrpcMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// What the upstream answered, or why there is no answer.
struct UpstreamResult {
  grpc::Status status;
  const grpc::ByteBuffer* response = nullptr;      // the message when status is OK
  const GrpcMetadata* initial_metadata = nullptr;  // the winning attempt's, if any
  const GrpcMetadata* trailing_metadata = nullptr;
};

// Keys that must not be copied between the caller's and the upstream's calls: HTTP/2
// pseudo-headers and hop-by-hop headers, and gRPC's reserved "grpc-" keys (timeout,
// encoding, retry bookkeeping), which each hop sets for itself.
inline bool IsHopByHop(absl::string_view key) {
  if (key.empty() || key[0] == ':' || absl::StartsWith(key, "grpc-")) return true;
  static constexpr absl::string_view kHopByHop[] = {
      "content-type",    "te",         "user-agent", "host",
      "connection",      "keep-alive", "upgrade",    "transfer-encoding",
      "proxy-connection"};
  return std::find(std::begin(kHopByHop), std::end(kHopByHop), key) != std::end(kHopByHop);
}

// Calls fn(key, value) for each entry of `metadata` (may be null) that may be copied to
// the other call.
template <typename Fn>
void ForEachForwardable(const GrpcMetadata* metadata, Fn fn) {
  if (metadata == nullptr) return;
  for (const auto& [key, value] : *metadata) {
    const absl::string_view k(key.data(), key.size());
    if (!IsHopByHop(k)) fn(k, absl::string_view(value.data(), value.size()));
  }
}

// What a Forward needs from the call it serves (the server call implements it).
class ForwardHost {
 public:
  virtual ~ForwardHost() = default;
  // The caller's call: attempts are its children, so its cancellation reaches them.
  virtual grpc::ServerContextBase& caller() = 0;
  virtual const std::string& method() const = 0;
  virtual const grpc::ByteBuffer& request() const = 0;
  // The caller's deadline, on the scheduler's clock and as gRPC wants it.
  virtual MonoTime deadline() const = 0;
  virtual std::chrono::system_clock::time_point wall_deadline() const = 0;
  virtual Scheduler& scheduler() = 0;
  virtual grpc::CompletionQueue* queue() = 0;
  // The completion-queue tag for attempt `attempt`: the call stays alive until it comes
  // back, as Forward::OnAttemptDone(attempt). Ask for it only when passing it to gRPC.
  virtual void* AttemptTag(int attempt) = 0;
  // The forward's one timer: Arm replaces a pending one; it expires as Forward::OnTimer.
  virtual void ArmTimer(MonoTime when) = 0;
  virtual void DisarmTimer() = 0;
  virtual bool timer_armed() const = 0;
  // The outcome, once. The forward has cancelled whatever else it had outstanding.
  virtual void OnUpstreamResult(const UpstreamResult& result) = 0;
};

// One call's upstream side.
class Forward {
 public:
  virtual ~Forward() = default;
  virtual void Start() = 0;
  virtual void OnAttemptDone(int attempt) = 0;
  virtual void OnTimer() = 0;
  // The call ended otherwise (its caller went away): cancel what is outstanding, report
  // nothing more. Later OnAttemptDone calls still arrive for attempts in flight.
  virtual void Cancel() = 0;
};

class Forwarder {
 public:
  virtual ~Forwarder() = default;
  // `config` is the call's snapshot; it outlives the Forward.
  virtual std::unique_ptr<Forward> Begin(ForwardHost& host, const CallConfig& config) = 0;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_FORWARDER_H_
