// h2-forwarder as a process in front of the fake auth service (in-process, on loopback),
// called through gRPC clients: answers arrive byte for byte as the upstream wrote them,
// error statuses and their trailers pass through, metadata goes both ways, a caller's
// cancel resets the upstream call, an unreachable upstream answers UNAVAILABLE and a
// restarted one is connected to again, and concurrent calls on several connections each
// get their own answer. Loads are tiny: these check correctness, not speed.
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/bench/loadgen.h"
#include "tests/integration/test_util.h"
#include "tests/testing/grpc_test_helpers.h"

namespace edgekit::bench {
namespace {

using ::edgekit::testing::CheckClient;
using ::edgekit::testing::CheckOptions;
using ::edgekit::testing::ChildProcess;
using ::edgekit::testing::Eventually;
using envoy::service::auth::v3::Authorization;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;
using fakeauthz::FakeAuthzOptions;
using fakeauthz::FakeAuthzServer;
using fakeauthz::LatencyModel;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kForwarder[] = EDGEKIT_H2_FORWARDER_BINARY;
constexpr char kUserHeader[] = "x-user";  // the fake names each decision after it

LatencyModel Fixed(absl::Duration d) {
  LatencyModel m;
  m.median = d;
  m.sigma = 0;
  return m;
}

// The address from the ready line ("h2-forwarder listening on HOST:PORT"), "" if none.
std::string ReadyAddress(ChildProcess& process) {
  const std::string marker = "listening on ";
  if (!process.WaitForOutput(marker, std::chrono::seconds(10))) return "";
  const std::string out = process.Output();
  const size_t start = out.find(marker) + marker.size();
  return out.substr(start, out.find('\n', start) - start);
}

CheckRequest Request(const std::string& user, bool allow = true) {
  CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_path("/api/orders");
  (*http->mutable_headers())["x-allow"] = allow ? "true" : "false";
  (*http->mutable_headers())[kUserHeader] = user;
  return request;
}

// The value of the x-identity header the fake put in an allow or a deny.
std::string IdentityIn(const CheckResponse& response) {
  const auto& headers = response.has_ok_response() ? response.ok_response().headers()
                                                   : response.denied_response().headers();
  for (const auto& h : headers) {
    if (h.header().key() == fakeauthz::kIdentityHeader) return h.header().value();
  }
  return "<absent>";
}

class H2ForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartFake("127.0.0.1:0");
    StartForwarder(fake_->address());
  }

  void StartFake(const std::string& listen) {
    FakeAuthzOptions options;
    options.listen = listen;
    options.latency = Fixed(absl::Microseconds(100));
    options.identity_header = kUserHeader;
    auto fake = FakeAuthzServer::Start(options);
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = *std::move(fake);
  }

  void StartForwarder(const std::string& upstream) {
    forwarder_ = std::make_unique<ChildProcess>(
        kForwarder, std::vector<std::string>{"--listen", "127.0.0.1:0", "--upstream", upstream});
    address_ = ReadyAddress(*forwarder_);
    ASSERT_FALSE(address_.empty()) << forwarder_->Output();
    client_ = std::make_unique<CheckClient>(address_);
  }

  std::unique_ptr<FakeAuthzServer> fake_;
  std::unique_ptr<ChildProcess> forwarder_;
  std::string address_;
  std::unique_ptr<CheckClient> client_;
};

TEST_F(H2ForwarderTest, AnswersAreTheUpstreamsBytes) {
  CheckClient direct(fake_->address());
  for (bool allow : {true, false}) {
    auto via = client_->CheckRaw(Request("alice", allow));
    ASSERT_TRUE(via.status.ok()) << via.status.error_message();
    auto expected = direct.CheckRaw(Request("alice", allow));
    ASSERT_TRUE(expected.status.ok());
    EXPECT_EQ(via.response.SerializeAsString(), expected.response.SerializeAsString());
    EXPECT_EQ(via.response.status().code(), allow ? 0 : 7);
    EXPECT_EQ(IdentityIn(via.response), fakeauthz::IdentityOf("alice"));
  }
  EXPECT_EQ(fake_->Stats().checks_received, 4u);
}

TEST_F(H2ForwarderTest, LargeMessagesCrossFlowControlWindowsBothWays) {
  // 300 KB each way: several DATA frames and WINDOW_UPDATEs on both hops.
  const std::string user(300 * 1024, 'u');
  auto via = client_->CheckRaw(Request(user));
  ASSERT_TRUE(via.status.ok()) << via.status.error_message();
  EXPECT_EQ(IdentityIn(via.response), fakeauthz::IdentityOf(user));
}

TEST_F(H2ForwarderTest, ErrorStatusMessageAndTrailersPassThrough) {
  LatencyModel m = Fixed(absl::Microseconds(100));
  m.fixed_status = grpc::StatusCode::RESOURCE_EXHAUSTED;
  m.fixed_status_message = "over quota: 100% used, caf\xc3\xa9";  // percent-encoded on the wire
  m.trailing_metadata = {{"grpc-retry-pushback-ms", "50"}, {"x-reason", "quota"}};
  ASSERT_TRUE(fake_->SetLatencyModel(m).ok());
  auto result = client_->CheckRaw(Request("bob"));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(result.status.error_message(), m.fixed_status_message);
  EXPECT_THAT(result.trailing_metadata, Contains(Pair("grpc-retry-pushback-ms", "50")));
  EXPECT_THAT(result.trailing_metadata, Contains(Pair("x-reason", "quota")));
}

TEST_F(H2ForwarderTest, MetadataGoesBothWays) {
  CheckOptions options;
  options.metadata = {{"x-custom", "abc"}, {"x-echo", "e1"}};
  auto result = client_->Check(options);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_TRUE(result.allowed);
  EXPECT_THAT(fake_->last_client_metadata(), Contains(Pair("x-custom", "abc")));
  EXPECT_THAT(result.initial_metadata, Contains(Pair("x-echo-initial", "e1")));
  EXPECT_THAT(result.trailing_metadata, Contains(Pair("x-echo-trailing", "e1")));
}

TEST_F(H2ForwarderTest, TheCallersDeadlineEndsTheUpstreamCall) {
  ASSERT_TRUE(fake_->SetLatencyModel(Fixed(absl::Seconds(5))).ok());
  CheckOptions options;
  options.deadline = std::chrono::milliseconds(150);
  EXPECT_EQ(client_->Check(options).status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(Eventually([&] { return fake_->Stats().checks_cancelled == 1; }));
}

TEST_F(H2ForwarderTest, ACallersCancelResetsTheUpstreamStream) {
  ASSERT_TRUE(fake_->SetLatencyModel(Fixed(absl::Seconds(5))).ok());
  auto stub =
      Authorization::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::thread canceller([&] {
    Eventually([&] { return fake_->Stats().checks_received == 1; });
    ctx.TryCancel();
  });
  CheckResponse response;
  EXPECT_EQ(stub->Check(&ctx, Request("carol"), &response).error_code(),
            grpc::StatusCode::CANCELLED);
  canceller.join();
  // Long before the fake's 5 s answer or the 30 s deadline: only the reset tells it.
  EXPECT_TRUE(Eventually([&] { return fake_->Stats().checks_cancelled == 1; }));
}

TEST_F(H2ForwarderTest, ConcurrentCallsEachGetTheirOwnAnswer) {
  // Latencies spread over ~20 us .. 5 ms, so answers come back out of order.
  LatencyModel m = Fixed(absl::Microseconds(300));
  m.sigma = 1.0;
  ASSERT_TRUE(fake_->SetLatencyModel(m).ok());
  constexpr int kThreads = 8;
  constexpr int kCalls = 50;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CheckClient client(address_);
      for (int c = 0; c < kCalls; ++c) {
        const std::string user = "t" + std::to_string(t) + "-c" + std::to_string(c);
        auto result = client.CheckRaw(Request(user, c % 3 != 0));
        if (!result.status.ok() || IdentityIn(result.response) != fakeauthz::IdentityOf(user) ||
            result.response.status().code() != (c % 3 != 0 ? 0 : 7)) {
          ++wrong[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  EXPECT_EQ(fake_->Stats().checks_received, static_cast<uint64_t>(kThreads * kCalls));
}

TEST_F(H2ForwarderTest, TheLoadGeneratorRunsThroughIt) {
  LoadgenOptions o;
  o.target = address_;
  o.rate = 400;
  o.duration = absl::Milliseconds(500);
  o.warmup = absl::Milliseconds(100);
  o.connections = 3;
  auto result = RunLoad(o);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->sent, 200u);
  EXPECT_EQ(result->ok, 200u);
  EXPECT_EQ(result->preflight_check_code, 0);
  EXPECT_EQ(fake_->Stats().checks_received, 241u);  // 1 preflight + 40 warmup + 200
}

TEST_F(H2ForwarderTest, UnreachableUpstreamIsUnavailableUntilItComesBack) {
  const int port = ::edgekit::testing::FreePort();
  const std::string upstream = "127.0.0.1:" + std::to_string(port);
  fake_.reset();
  StartForwarder(upstream);

  auto refused = client_->CheckRaw(Request("dave"));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.status.error_message(),
            "h2-forwarder: connect " + upstream + ": Connection refused");

  StartFake(upstream);
  auto served = client_->CheckRaw(Request("dave"));
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  EXPECT_EQ(IdentityIn(served.response), fakeauthz::IdentityOf("dave"));

  // The upstream goes away with the connection open, then comes back on the same port.
  fake_->Shutdown(absl::ZeroDuration());
  fake_.reset();
  EXPECT_EQ(client_->CheckRaw(Request("erin")).status.error_code(), grpc::StatusCode::UNAVAILABLE);
  StartFake(upstream);
  auto again = client_->CheckRaw(Request("erin"));
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(IdentityIn(again.response), fakeauthz::IdentityOf("erin"));
}

TEST_F(H2ForwarderTest, ExitsZeroOnSigterm) {
  ASSERT_TRUE(client_->Check().status.ok());
  forwarder_->Signal(SIGTERM);
  EXPECT_EQ(forwarder_->Wait(std::chrono::seconds(10)), 0);
}

TEST(H2ForwarderFlagsTest, BadFlagsExitTwoAndABusyPortOne) {
  ChildProcess unknown(kForwarder, {"--no-such-flag"});
  EXPECT_EQ(unknown.Wait(std::chrono::seconds(10)), 2);
  ChildProcess no_port(kForwarder, {"--upstream", "localhost"});
  EXPECT_EQ(no_port.Wait(std::chrono::seconds(10)), 2);

  ChildProcess first(kForwarder, {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1"});
  const std::string address = ReadyAddress(first);
  ASSERT_FALSE(address.empty()) << first.Output();
  ChildProcess second(kForwarder, {"--listen", address, "--upstream", "127.0.0.1:1"});
  EXPECT_EQ(second.Wait(std::chrono::seconds(10)), 1);
  EXPECT_THAT(second.Output(), HasSubstr("cannot bind"));
}

}  // namespace
}  // namespace edgekit::bench
