// End-to-end tests of the benchmark tools, in-process on 127.0.0.1:0: the naive forwarder
// in front of the fake auth service (bytes, status, metadata, deadline and cancellation
// pass through) and the load generator's accounting in both modes. Loads are tiny: these
// check counts, not speed.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/bench/loadgen.h"
#include "tests/bench/naive_forwarder.h"
#include "tests/testing/grpc_test_helpers.h"

namespace edgekit::bench {
namespace {

using envoy::service::auth::v3::Authorization;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;
using fakeauthz::FakeAuthzOptions;
using fakeauthz::FakeAuthzServer;
using fakeauthz::LatencyModel;
using ::testing::Contains;
using ::testing::Pair;

using ::edgekit::testing::Eventually;
using ::edgekit::testing::FindMetadata;

LatencyModel Fixed(absl::Duration d) {
  LatencyModel m;
  m.median = d;
  m.sigma = 0;
  return m;
}

class BenchToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeAuthzOptions options;
    options.latency = Fixed(absl::Microseconds(200));
    auto fake = FakeAuthzServer::Start(options);
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = *std::move(fake);
    auto forwarder = NaiveForwarder::Start("127.0.0.1:0", fake_->address());
    ASSERT_TRUE(forwarder.ok()) << forwarder.status();
    forwarder_ = *std::move(forwarder);
    stub_ = Authorization::NewStub(
        grpc::CreateChannel(forwarder_->address(), grpc::InsecureChannelCredentials()));
  }

  static CheckRequest Request(bool allow) {
    CheckRequest request;
    request.ParseFromString(CheckRequestBytes(allow));
    return request;
  }

  grpc::Status CheckViaForwarder(grpc::ClientContext* ctx, bool allow, CheckResponse* response) {
    if (ctx->deadline() == std::chrono::system_clock::time_point::max()) {
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }
    return stub_->Check(ctx, Request(allow), response);
  }

  std::unique_ptr<FakeAuthzServer> fake_;
  std::unique_ptr<NaiveForwarder> forwarder_;
  std::unique_ptr<Authorization::Stub> stub_;
};

TEST_F(BenchToolsTest, ForwarderPassesAllowAndDenyThrough) {
  grpc::ClientContext allow_ctx;
  CheckResponse response;
  ASSERT_TRUE(CheckViaForwarder(&allow_ctx, true, &response).ok());
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());

  grpc::ClientContext deny_ctx;
  ASSERT_TRUE(CheckViaForwarder(&deny_ctx, false, &response).ok());
  EXPECT_EQ(response.status().code(), 7);
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Forbidden);
  EXPECT_EQ(fake_->Stats().checks_received, 2u);
}

TEST_F(BenchToolsTest, ForwarderPassesMetadataBothWays) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-custom", "abc");
  ctx.AddMetadata("x-echo", "e1");
  CheckResponse response;
  ASSERT_TRUE(CheckViaForwarder(&ctx, true, &response).ok());
  EXPECT_THAT(fake_->last_client_metadata(), Contains(Pair("x-custom", "abc")));
  EXPECT_EQ(FindMetadata(ctx.GetServerInitialMetadata(), "x-echo-initial"), "e1");
  EXPECT_EQ(FindMetadata(ctx.GetServerTrailingMetadata(), "x-echo-trailing"), "e1");
}

TEST_F(BenchToolsTest, ForwarderPassesErrorStatusThrough) {
  LatencyModel m = Fixed(absl::Microseconds(100));
  m.fixed_status = grpc::StatusCode::RESOURCE_EXHAUSTED;
  m.fixed_status_message = "over quota";
  ASSERT_TRUE(fake_->SetLatencyModel(m).ok());
  grpc::ClientContext ctx;
  CheckResponse response;
  grpc::Status status = CheckViaForwarder(&ctx, true, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "over quota");
}

TEST_F(BenchToolsTest, ForwarderPropagatesTheCallersDeadline) {
  ASSERT_TRUE(fake_->SetLatencyModel(Fixed(absl::Seconds(5))).ok());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(150));
  CheckResponse response;
  EXPECT_EQ(CheckViaForwarder(&ctx, true, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  // The upstream call carried the deadline, so the fake saw it expire.
  EXPECT_TRUE(Eventually([&] { return fake_->Stats().checks_cancelled == 1; }));
}

TEST_F(BenchToolsTest, ForwarderPropagatesClientCancel) {
  ASSERT_TRUE(fake_->SetLatencyModel(Fixed(absl::Seconds(5))).ok());
  grpc::ClientContext ctx;
  std::thread canceller([&] {
    Eventually([&] { return fake_->Stats().checks_received == 1; });
    ctx.TryCancel();
  });
  CheckResponse response;
  EXPECT_EQ(CheckViaForwarder(&ctx, true, &response).error_code(), grpc::StatusCode::CANCELLED);
  canceller.join();
  EXPECT_TRUE(Eventually([&] { return fake_->Stats().checks_cancelled == 1; }));
}

TEST_F(BenchToolsTest, ClosedLoopCountsEveryCallAndLatencyIsReal) {
  LoadgenOptions o;
  o.target = fake_->address();
  o.concurrency = 4;
  o.duration = absl::Milliseconds(500);
  o.warmup = absl::Milliseconds(100);
  auto result = RunLoad(o);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->sent, 0u);
  EXPECT_EQ(result->ok, result->sent);
  EXPECT_EQ(result->error_total(), 0u);
  EXPECT_EQ(result->preflight_check_code, 0);
  // Every answer is delayed by 200 us on the server.
  EXPECT_GE(result->latency.p50_us, 200);
  EXPECT_GE(result->latency.max_us, result->latency.p999_us);
  EXPECT_GE(result->latency.p999_us, result->latency.p99_us);
  EXPECT_GE(result->latency.p99_us, result->latency.p50_us);
  // Warmup calls plus the preflight reached the server too.
  EXPECT_GT(fake_->Stats().checks_received, result->sent);
}

TEST_F(BenchToolsTest, OpenLoopSendsExactlyTheScheduledCalls) {
  LoadgenOptions o;
  o.target = forwarder_->address();
  o.rate = 400;
  o.duration = absl::Milliseconds(500);
  o.warmup = absl::Milliseconds(100);
  o.connections = 2;
  auto result = RunLoad(o);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->sent, 200u);  // 400/s * 0.5 s, whatever the server did
  EXPECT_EQ(result->ok, 200u);
  EXPECT_GE(result->elapsed_s, 0.5);
  EXPECT_GE(result->latency.p50_us, 200);
  // 1 preflight + 40 warmup + 200 measured.
  EXPECT_EQ(fake_->Stats().checks_received, 241u);
}

TEST_F(BenchToolsTest, ErrorsAreCountedByCode) {
  LatencyModel m = Fixed(absl::Microseconds(100));
  m.fixed_status = grpc::StatusCode::UNAVAILABLE;
  ASSERT_TRUE(fake_->SetLatencyModel(m).ok());
  LoadgenOptions o;
  o.target = fake_->address();
  o.rate = 200;
  o.duration = absl::Milliseconds(250);
  o.warmup = absl::ZeroDuration();
  auto result = RunLoad(o);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->sent, 50u);
  EXPECT_EQ(result->ok, 0u);
  EXPECT_EQ(result->errors[grpc::StatusCode::UNAVAILABLE], 50u);
  EXPECT_EQ(result->preflight_check_code, -1);
  EXPECT_NE(result->preflight_error.find("UNAVAILABLE"), std::string::npos);
}

TEST_F(BenchToolsTest, DeadlineExceededCountedAndLatencyIncludesTheWait) {
  ASSERT_TRUE(fake_->SetLatencyModel(Fixed(absl::Seconds(5))).ok());
  LoadgenOptions o;
  o.target = fake_->address();
  o.concurrency = 2;
  o.duration = absl::Milliseconds(200);
  o.warmup = absl::ZeroDuration();
  o.deadline = absl::Milliseconds(100);
  auto result = RunLoad(o);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->sent, 0u);
  EXPECT_EQ(result->errors[grpc::StatusCode::DEADLINE_EXCEEDED], result->sent);
  EXPECT_GE(result->latency.p50_us, 100000);
}

TEST(IsForwardedMetadataKeyTest, DropsPerHopKeys) {
  EXPECT_TRUE(IsForwardedMetadataKey("x-custom"));
  EXPECT_TRUE(IsForwardedMetadataKey("authorization"));
  EXPECT_FALSE(IsForwardedMetadataKey("grpc-timeout"));
  EXPECT_FALSE(IsForwardedMetadataKey("content-type"));
  EXPECT_FALSE(IsForwardedMetadataKey("te"));
  EXPECT_FALSE(IsForwardedMetadataKey(":authority"));
  EXPECT_FALSE(IsForwardedMetadataKey("user-agent"));
}

}  // namespace
}  // namespace edgekit::bench
