// A fake ext_authz service (envoy.service.auth.v3.Authorization/Check) with a tunable
// latency tail, for the demo, the integration tests and the benchmarks. It runs in-process
// (tests start it on 127.0.0.1:0) or as the fake-authz binary.
//
// Decision rule: a request is allowed iff its HTTP header `allow_header` (lowercase, as
// Envoy sends them; default "x-allow") equals `allow_value` (default "true") exactly.
// Allowed: OK call, CheckResponse{status.code = 0, ok_response}. Denied: also an OK call
// (ext_authz semantics), CheckResponse{status.code = 7 PERMISSION_DENIED,
// denied_response{403}}. Failures injected by the latency model are gRPC errors.
//
// Delays never block a thread: each answer is scheduled on an edgekit::TimerQueue (sub-ms
// precision, unlike grpc::Alarm in gRPC 1.51) and finishes the call's ServerUnaryReactor
// from there.
#ifndef EDGEKIT_EXAMPLES_FAKE_AUTHZ_FAKE_AUTHZ_SERVICE_H_
#define EDGEKIT_EXAMPLES_FAKE_AUTHZ_FAKE_AUTHZ_SERVICE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fake_authz_control.pb.h"
#include "grpcpp/support/status.h"

namespace edgekit::fakeauthz {

// Metadata keys of the echo test hook: a client sending "x-echo: V" gets V back as
// initial metadata "x-echo-initial" and trailing metadata "x-echo-trailing".
inline constexpr char kEchoKey[] = "x-echo";
inline constexpr char kEchoInitialKey[] = "x-echo-initial";
inline constexpr char kEchoTrailingKey[] = "x-echo-trailing";

// With FakeAuthzOptions.identity_header set, every decision names whom it was made for:
// a request carrying that header with value V gets the response header (in ok_response
// or denied_response) kIdentityHeader: IdentityOf(V). Tests of the broker's decision
// cache use it to see which request's answer reached which caller.
inline constexpr char kIdentityHeader[] = "x-identity";
inline std::string IdentityOf(const std::string& value) { return "identity-of-" + value; }

// How long a Check takes and how it fails. A call's latency is
//   median * exp(sigma * N(0,1))  [+ stall with probability stall_probability]
// and then it ends with fixed_status if set, else UNAVAILABLE with probability
// unavailable_probability, else the allow/deny answer.
struct LatencyModel {
  absl::Duration median = absl::Milliseconds(1);
  double sigma = 0.3;
  double stall_probability = 0;
  absl::Duration stall = absl::Milliseconds(50);
  double unavailable_probability = 0;
  // Every call ends with this code (OK = answer normally). For tests.
  std::optional<grpc::StatusCode> fixed_status;
  std::string fixed_status_message;
  // Added to every answer's trailing metadata (e.g. {"grpc-retry-pushback-ms", "50"}).
  std::vector<std::pair<std::string, std::string>> trailing_metadata;
};

// InvalidArgument naming the field (e.g. "sigma: must be in [0, 10], got -1").
absl::Status ValidateLatencyModel(const LatencyModel& model);

// Conversions to and from the control API's message; FromProto validates.
v1::LatencyModel LatencyModelToProto(const LatencyModel& model);
absl::StatusOr<LatencyModel> LatencyModelFromProto(const v1::LatencyModel& proto);

struct FakeAuthzOptions {
  std::string listen = "127.0.0.1:0";  // port 0 picks a free port
  LatencyModel latency;
  std::string allow_header = "x-allow";
  std::string allow_value = "true";
  // Request header whose value the decision names (kIdentityHeader); "" = none.
  std::string identity_header;
  // Threads that time and send the answers (gRPC's own threads do the I/O).
  int timer_threads = 1;
  // Also serve edgekit.fakeauthz.v1.FakeAuthzControl on the same port.
  bool control_service = true;
  // PEM contents (not paths). With a certificate and key the service speaks TLS; with a
  // client CA as well it requires and verifies client certificates (mTLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;
};

struct FakeAuthzStats {
  uint64_t checks_received = 0;
  uint64_t checks_cancelled = 0;                  // by the client, before the answer
  std::map<grpc::StatusCode, uint64_t> answered;  // only codes seen
  uint64_t allowed = 0;                           // OK answers carrying an allow
  uint64_t denied = 0;                            // OK answers carrying a deny
  uint64_t answered_total() const;
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

class FakeAuthzServer {
 public:
  // Validates the options, binds and starts serving.
  static absl::StatusOr<std::unique_ptr<FakeAuthzServer>> Start(const FakeAuthzOptions& options);

  ~FakeAuthzServer();  // Shutdown(absl::Seconds(1)) if not done yet
  FakeAuthzServer(const FakeAuthzServer&) = delete;
  FakeAuthzServer& operator=(const FakeAuthzServer&) = delete;

  int port() const;
  // "host:port" with the listen host and the bound port, e.g. "127.0.0.1:40123".
  std::string address() const;

  // Thread-safe; applies to calls received afterwards.
  absl::Status SetLatencyModel(LatencyModel model);
  LatencyModel latency_model() const;

  // Thread-safe. Each counter is read atomically, the set of them is not a snapshot.
  // reset zeroes every counter as it is read.
  FakeAuthzStats Stats(bool reset = false);

  // The client metadata of the most recent Check (keys as received, in order).
  Metadata last_client_metadata() const;

  // Stops accepting calls, lets in-flight ones finish for up to `grace`, then cancels the
  // rest. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(1));

 private:
  class Impl;
  explicit FakeAuthzServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgekit::fakeauthz

#endif  // EDGEKIT_EXAMPLES_FAKE_AUTHZ_FAKE_AUTHZ_SERVICE_H_
