// Tests of the fake auth service, in-process on 127.0.0.1:0: the allow/deny rule, the
// latency model, injected failures, metadata (echo, trailers, passthrough record),
// cancellation accounting and the control API. Timing checks are one-sided ("not before").
#include "examples/fake-authz/fake_authz_service.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "examples/fake-authz/fake_authz_control_client.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/grpc_test_helpers.h"

namespace edgekit::fakeauthz {
namespace {

using envoy::service::auth::v3::Authorization;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;
using ::testing::Contains;
using ::testing::Pair;

CheckRequest Request(const std::string& allow_value) {
  CheckRequest request;
  auto& headers =
      *request.mutable_attributes()->mutable_request()->mutable_http()->mutable_headers();
  headers[":path"] = "/orders";
  if (!allow_value.empty()) headers["x-allow"] = allow_value;
  return request;
}

using ::edgekit::testing::Eventually;
using ::edgekit::testing::FindMetadata;

class FakeAuthzTest : public ::testing::Test {
 protected:
  void StartServer(LatencyModel model) {
    FakeAuthzOptions options;
    options.latency = std::move(model);
    auto server = FakeAuthzServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = Authorization::NewStub(channel_);
  }

  static LatencyModel Fast() {
    LatencyModel m;
    m.median = absl::Microseconds(100);
    m.sigma = 0;
    return m;
  }

  grpc::Status Check(const CheckRequest& request, CheckResponse* response,
                     grpc::ClientContext* ctx = nullptr) {
    grpc::ClientContext local;
    if (ctx == nullptr) ctx = &local;
    if (ctx->deadline() == std::chrono::system_clock::time_point::max()) {
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }
    return stub_->Check(ctx, request, response);
  }

  std::unique_ptr<FakeAuthzServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Authorization::Stub> stub_;
};

TEST_F(FakeAuthzTest, BindsAnEphemeralPortOnLoopback) {
  StartServer(Fast());
  EXPECT_GT(server_->port(), 0);
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(FakeAuthzTest, AllowsWhenHeaderMatches) {
  StartServer(Fast());
  CheckResponse response;
  grpc::Status status = Check(Request("true"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());
  FakeAuthzStats stats = server_->Stats();
  EXPECT_EQ(stats.checks_received, 1u);
  EXPECT_EQ(stats.allowed, 1u);
  EXPECT_EQ(stats.answered[grpc::StatusCode::OK], 1u);
}

TEST_F(FakeAuthzTest, DeniesAsAnOkCallWithPermissionDenied) {
  StartServer(Fast());
  for (const char* value : {"", "false", "TRUE"}) {
    CheckResponse response;
    grpc::Status status = Check(Request(value), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status().code(), 7) << "x-allow=" << value;
    ASSERT_TRUE(response.has_denied_response());
    EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Forbidden);
  }
  EXPECT_EQ(server_->Stats().denied, 3u);
}

TEST_F(FakeAuthzTest, AnswersNoSoonerThanTheModelSays) {
  LatencyModel m;
  m.median = absl::Milliseconds(30);
  m.sigma = 0;
  StartServer(m);
  const auto start = std::chrono::steady_clock::now();
  CheckResponse response;
  ASSERT_TRUE(Check(Request("true"), &response).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
}

TEST_F(FakeAuthzTest, StallAddsToTheBaseLatency) {
  LatencyModel m = Fast();
  m.stall_probability = 1;
  m.stall = absl::Milliseconds(40);
  StartServer(m);
  const auto start = std::chrono::steady_clock::now();
  CheckResponse response;
  ASSERT_TRUE(Check(Request("true"), &response).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(40));
}

TEST_F(FakeAuthzTest, InjectsUnavailable) {
  LatencyModel m = Fast();
  m.unavailable_probability = 1;
  StartServer(m);
  CheckResponse response;
  EXPECT_EQ(Check(Request("true"), &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(server_->Stats().answered[grpc::StatusCode::UNAVAILABLE], 1u);
}

TEST_F(FakeAuthzTest, FixedStatusWithTrailersForTests) {
  LatencyModel m = Fast();
  m.fixed_status = grpc::StatusCode::RESOURCE_EXHAUSTED;
  m.fixed_status_message = "slow down";
  m.trailing_metadata = {{"grpc-retry-pushback-ms", "50"}, {"x-trailer", "t"}};
  StartServer(m);
  grpc::ClientContext ctx;
  CheckResponse response;
  grpc::Status status = Check(Request("true"), &response, &ctx);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "slow down");
  EXPECT_EQ(FindMetadata(ctx.GetServerTrailingMetadata(), "x-trailer"), "t");
  EXPECT_EQ(FindMetadata(ctx.GetServerTrailingMetadata(), "grpc-retry-pushback-ms"), "50");
}

TEST_F(FakeAuthzTest, FixedOkAnswersNormallyDespiteUnavailableProbability) {
  LatencyModel m = Fast();
  m.fixed_status = grpc::StatusCode::OK;
  m.unavailable_probability = 1;
  StartServer(m);
  CheckResponse response;
  EXPECT_TRUE(Check(Request("true"), &response).ok());
  EXPECT_EQ(response.status().code(), 0);
}

TEST_F(FakeAuthzTest, EchoesXEchoAsInitialAndTrailingMetadata) {
  StartServer(Fast());
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-echo", "hello");
  CheckResponse response;
  ASSERT_TRUE(Check(Request("true"), &response, &ctx).ok());
  EXPECT_EQ(FindMetadata(ctx.GetServerInitialMetadata(), "x-echo-initial"), "hello");
  EXPECT_EQ(FindMetadata(ctx.GetServerTrailingMetadata(), "x-echo-trailing"), "hello");
}

TEST_F(FakeAuthzTest, RecordsTheLastClientMetadata) {
  StartServer(Fast());
  // gRPC 1.51's client retry filter (on by default) removes an application-set
  // grpc-previous-rpc-attempts from a first attempt; a client that sets it itself (the
  // broker's hedges) must disable retries on its channel.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  auto stub = Authorization::NewStub(
      grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata("x-custom", "abc");
  ctx.AddMetadata("grpc-previous-rpc-attempts", "1");
  CheckResponse response;
  ASSERT_TRUE(stub->Check(&ctx, Request("true"), &response).ok());
  Metadata md = server_->last_client_metadata();
  EXPECT_THAT(md, Contains(Pair("x-custom", "abc")));
  EXPECT_THAT(md, Contains(Pair("grpc-previous-rpc-attempts", "1")));
}

TEST_F(FakeAuthzTest, DeadlineBeforeAnswerCountsAsCancelled) {
  LatencyModel m;
  m.median = absl::Seconds(5);
  m.sigma = 0;
  StartServer(m);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  CheckResponse response;
  EXPECT_EQ(Check(Request("true"), &response, &ctx).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(Eventually([&] { return server_->Stats().checks_cancelled == 1; }));
  FakeAuthzStats stats = server_->Stats();
  EXPECT_EQ(stats.checks_received, 1u);
  EXPECT_EQ(stats.answered_total(), 0u);
}

TEST_F(FakeAuthzTest, ClientCancelCountsAsCancelled) {
  LatencyModel m;
  m.median = absl::Seconds(5);
  m.sigma = 0;
  StartServer(m);
  grpc::ClientContext ctx;
  std::thread canceller([&] {
    // Cancel once the server has the call, so it is the server that observes it.
    Eventually([&] { return server_->Stats().checks_received == 1; });
    ctx.TryCancel();
  });
  CheckResponse response;
  EXPECT_EQ(Check(Request("true"), &response, &ctx).error_code(), grpc::StatusCode::CANCELLED);
  canceller.join();
  EXPECT_TRUE(Eventually([&] { return server_->Stats().checks_cancelled == 1; }));
}

// Deadlines close to the latency make the answer timer and OnCancel race; every call
// the handler saw must be counted exactly once, as answered or as cancelled, and nothing
// may crash. (Calls whose deadline expires before they reach the handler are never
// received, so only "received <= sent" holds for the total.)
TEST_F(FakeAuthzTest, AnswerAndCancelRaceCountsEachCallOnce) {
  LatencyModel m;
  m.median = absl::Milliseconds(2);
  m.sigma = 0.5;
  StartServer(m);
  CheckResponse warm;
  ASSERT_TRUE(Check(Request("true"), &warm).ok());  // connect outside the deadlines
  server_->Stats(/*reset=*/true);
  constexpr int kCalls = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls / 4; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(2));
        CheckResponse response;
        stub_->Check(&ctx, Request("true"), &response);
      }
    });
  }
  for (auto& t : threads) t.join();
  FakeAuthzStats s;
  EXPECT_TRUE(Eventually([&] {
    s = server_->Stats();
    return s.answered_total() + s.checks_cancelled == s.checks_received;
  })) << "received "
      << s.checks_received << " answered " << s.answered_total() << " cancelled "
      << s.checks_cancelled;
  EXPECT_GT(s.checks_received, 0u);
  EXPECT_LE(s.checks_received, static_cast<uint64_t>(kCalls));
}

TEST_F(FakeAuthzTest, SetLatencyModelAppliesToLaterCalls) {
  StartServer(Fast());
  LatencyModel m = Fast();
  m.unavailable_probability = 1;
  ASSERT_TRUE(server_->SetLatencyModel(m).ok());
  CheckResponse response;
  EXPECT_EQ(Check(Request("true"), &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(server_->latency_model().unavailable_probability, 1);
}

TEST_F(FakeAuthzTest, RejectsInvalidModels) {
  StartServer(Fast());
  LatencyModel m = Fast();
  m.sigma = -1;
  absl::Status s = server_->SetLatencyModel(m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("sigma"), absl::string_view::npos) << s;
  m = Fast();
  m.stall_probability = 1.5;
  EXPECT_NE(server_->SetLatencyModel(m).message().find("stall_probability"),
            absl::string_view::npos);
  m = Fast();
  m.trailing_metadata = {{"Bad Key", "v"}};
  EXPECT_NE(server_->SetLatencyModel(m).message().find("trailing_metadata"),
            absl::string_view::npos);
}

TEST_F(FakeAuthzTest, ControlApiReadsCountersAndChangesTheModel) {
  StartServer(Fast());
  CheckResponse response;
  ASSERT_TRUE(Check(Request("true"), &response).ok());
  ASSERT_TRUE(Check(Request("no"), &response).ok());

  FakeAuthzControlClient control(server_->address());
  auto stats = control.GetStats(/*reset=*/true);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->checks_received(), 2u);
  EXPECT_EQ(stats->answered().at("OK"), 2u);
  EXPECT_EQ(stats->allowed(), 1u);
  EXPECT_EQ(stats->denied(), 1u);
  EXPECT_EQ(stats->latency().median_us(), 100);
  EXPECT_EQ(StatsToJson(*stats).find('\n'), std::string::npos);

  auto after_reset = control.GetStats();
  ASSERT_TRUE(after_reset.ok());
  EXPECT_EQ(after_reset->checks_received(), 0u);

  LatencyModel m = Fast();
  m.fixed_status = grpc::StatusCode::UNAVAILABLE;
  auto previous = control.SetLatency(m);
  ASSERT_TRUE(previous.ok()) << previous.status();
  EXPECT_FALSE(previous->fixed_status.has_value());
  EXPECT_EQ(Check(Request("true"), &response).error_code(), grpc::StatusCode::UNAVAILABLE);

  m.sigma = 99;
  EXPECT_EQ(control.SetLatency(m).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LatencyModelProtoTest, RoundTrips) {
  LatencyModel m;
  m.median = absl::Microseconds(1500);
  m.sigma = 0.7;
  m.stall_probability = 0.01;
  m.stall = absl::Milliseconds(80);
  m.unavailable_probability = 0.02;
  m.fixed_status = grpc::StatusCode::ABORTED;
  m.fixed_status_message = "m";
  m.trailing_metadata = {{"a", "1"}, {"b", "2"}};
  auto back = LatencyModelFromProto(LatencyModelToProto(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->median, m.median);
  EXPECT_EQ(back->sigma, m.sigma);
  EXPECT_EQ(back->stall_probability, m.stall_probability);
  EXPECT_EQ(back->stall, m.stall);
  EXPECT_EQ(back->unavailable_probability, m.unavailable_probability);
  EXPECT_EQ(back->fixed_status, m.fixed_status);
  EXPECT_EQ(back->fixed_status_message, "m");
  EXPECT_EQ(back->trailing_metadata, m.trailing_metadata);
}

TEST(FakeAuthzServerTest, ShutdownWithCallsInFlightCancelsThem) {
  FakeAuthzOptions options;
  options.latency.median = absl::Seconds(30);
  options.latency.sigma = 0;
  auto server = FakeAuthzServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = Authorization::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  grpc::Status status;
  std::thread client([&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    CheckResponse response;
    status = stub->Check(&ctx, Request("true"), &response);
  });
  ASSERT_TRUE(Eventually([&] { return (*server)->Stats().checks_received == 1; }));
  (*server)->Shutdown(absl::Milliseconds(100));
  client.join();
  EXPECT_FALSE(status.ok());
  (*server)->Shutdown();  // idempotent
}

TEST(FakeAuthzServerTest, StartRejectsBadOptions) {
  FakeAuthzOptions options;
  options.allow_header = "X-Allow";
  EXPECT_EQ(FakeAuthzServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = FakeAuthzOptions();
  options.listen = "nonsense";
  EXPECT_EQ(FakeAuthzServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = FakeAuthzOptions();
  options.timer_threads = 0;
  EXPECT_EQ(FakeAuthzServer::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FakeAuthzServerTest, StartFailsOnABusyPort) {
  auto first = FakeAuthzServer::Start(FakeAuthzOptions());
  ASSERT_TRUE(first.ok()) << first.status();
  FakeAuthzOptions options;
  options.listen = (*first)->address();
  auto second = FakeAuthzServer::Start(options);
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace edgekit::fakeauthz
