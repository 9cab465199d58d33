// Client side of the fake auth service's control API (fake_authz_control.proto), used by
// fake-authz-ctl and by benchmarks that drive a fake-authz process.
#ifndef EDGEKIT_EXAMPLES_FAKE_AUTHZ_FAKE_AUTHZ_CONTROL_CLIENT_H_
#define EDGEKIT_EXAMPLES_FAKE_AUTHZ_FAKE_AUTHZ_CONTROL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "fake_authz_control.grpc.pb.h"

namespace edgekit::fakeauthz {

class FakeAuthzControlClient {
 public:
  // `target` is a gRPC target, e.g. "127.0.0.1:9000" (plaintext).
  explicit FakeAuthzControlClient(const std::string& target,
                                  absl::Duration timeout = absl::Seconds(5));

  absl::StatusOr<v1::GetStatsResponse> GetStats(bool reset = false);
  // Replaces the model; returns the previous one.
  absl::StatusOr<LatencyModel> SetLatency(const LatencyModel& model);

 private:
  std::unique_ptr<v1::FakeAuthzControl::Stub> stub_;
  absl::Duration timeout_;
};

// One line of JSON with stable key order, numbers as numbers (unlike the proto3 JSON
// mapping, which quotes 64-bit integers), for scripts.
std::string StatsToJson(const v1::GetStatsResponse& stats);

}  // namespace edgekit::fakeauthz

#endif  // EDGEKIT_EXAMPLES_FAKE_AUTHZ_FAKE_AUTHZ_CONTROL_CLIENT_H_
