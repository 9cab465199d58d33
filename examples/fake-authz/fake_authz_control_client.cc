// FakeAuthzControlClient: blocking calls with a deadline; gRPC errors become absl::Status.
#include "examples/fake-authz/fake_authz_control_client.h"

#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_text.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::fakeauthz {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

FakeAuthzControlClient::FakeAuthzControlClient(const std::string& target, absl::Duration timeout)
    : stub_(v1::FakeAuthzControl::NewStub(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()))),
      timeout_(timeout) {}

absl::StatusOr<v1::GetStatsResponse> FakeAuthzControlClient::GetStats(bool reset) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout_));
  v1::GetStatsRequest request;
  request.set_reset(reset);
  v1::GetStatsResponse response;
  grpc::Status s = stub_->GetStats(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<LatencyModel> FakeAuthzControlClient::SetLatency(const LatencyModel& model) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout_));
  v1::SetLatencyResponse response;
  grpc::Status s = stub_->SetLatency(&ctx, LatencyModelToProto(model), &response);
  if (!s.ok()) return FromGrpc(s);
  return LatencyModelFromProto(response.previous());
}

std::string StatsToJson(const v1::GetStatsResponse& stats) {
  const std::map<std::string, uint64_t> answered(stats.answered().begin(), stats.answered().end());
  const v1::LatencyModel& m = stats.latency();
  const std::map<std::string, std::string> trailers(m.trailing_metadata().begin(),
                                                    m.trailing_metadata().end());
  std::string latency =
      absl::StrCat("{\"median_us\":", m.median_us(), ",\"sigma\":", m.sigma(),
                   ",\"stall_probability\":", m.stall_probability(), ",\"stall_us\":", m.stall_us(),
                   ",\"unavailable_probability\":", m.unavailable_probability());
  if (m.has_fixed_status_code()) {
    absl::StrAppend(&latency, ",\"fixed_status_code\":", m.fixed_status_code());
  }
  absl::StrAppend(&latency, ",\"trailing_metadata\":{",
                  absl::StrJoin(trailers, ",",
                                [](std::string* out, const auto& kv) {
                                  absl::StrAppend(out, JsonString(kv.first), ":",
                                                  JsonString(kv.second));
                                }),
                  "}}");
  return absl::StrCat("{\"checks_received\":", stats.checks_received(),
                      ",\"checks_cancelled\":", stats.checks_cancelled(), ",\"answered\":{",
                      absl::StrJoin(answered, ",",
                                    [](std::string* out, const auto& kv) {
                                      absl::StrAppend(out, JsonString(kv.first), ":", kv.second);
                                    }),
                      "},\"allowed\":", stats.allowed(), ",\"denied\":", stats.denied(),
                      ",\"latency\":", latency, "}");
}

}  // namespace edgekit::fakeauthz
