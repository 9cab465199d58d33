// The check pipeline and its stages without a server: CheckCalls built by hand, run
// through CheckPipeline with the broker's stages (rules with dry run, the decision cache
// with its flights) or with stages of the test's own, as a new stage would be added.
#include "broker/check_pipeline.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/stages/decision_cache_stage.h"
#include "broker/stages/direct_response_stage.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "gtest/gtest.h"

namespace edgekit::broker {
namespace {

using ::envoy::service::auth::v3::CheckRequest;
using ::envoy::service::auth::v3::CheckResponse;

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer Request(const std::string& path, const std::string& token = "") {
  CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_path(path);
  http->set_host("api.example.com");
  if (!token.empty()) (*http->mutable_headers())["authorization"] = token;
  return Bytes(request.SerializeAsString());
}

std::shared_ptr<const rules::RuleSet> Rules(const std::string& yaml) {
  edgekit::broker::v1::DirectResponses config;
  EXPECT_TRUE(YamlTextToProto(yaml, &config, "test.yaml").ok());
  auto set = rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses");
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

// A waiter that only remembers what its flight brought.
struct RecordingWaiter final : FlightWaiter {
  void OnFlightDone(std::shared_ptr<const cache::Entry> brought) override {
    landed = true;
    entry = std::move(brought);
  }
  bool landed = false;
  std::shared_ptr<const cache::Entry> entry;
};

class CheckPipelineTest : public ::testing::Test {
 protected:
  CheckPipelineTest() {
    DirectResponseSettings rules;
    rules.rules = Rules(R"(
rules:
  - name: legacy
    dry_run: true
    when: {path: {prefix: /legacy}}
    respond: {status: 426}
  - name: admin
    when: {path: {prefix: /legacy/admin}}
    respond: {status: 403}
)");
    CacheSettings cache;
    cache.key.headers = {"authorization"};
    cache.ttl = absl::Seconds(10);
    CallConfig config;
    config.direct_responses = std::make_shared<const DirectResponses>(rules, metrics_);
    config.cache = std::make_shared<DecisionCache>(cache, cache::Secret{}, metrics_);
    config_ = std::make_shared<const CallConfig>(std::move(config));
  }

  std::unique_ptr<CheckCall> Call(const grpc::ByteBuffer* request, FlightWaiter* waiter) {
    auto call = std::make_unique<CheckCall>(kCheckMethod, request, config_, &metrics_,
                                            now_ + std::chrono::seconds(1));
    call->set_now(now_);
    call->waiter = waiter;
    return call;
  }

  CheckPipeline BrokerStages() {
    std::vector<std::unique_ptr<CheckStage>> stages;
    stages.push_back(std::make_unique<DirectResponseStage>());
    stages.push_back(std::make_unique<DecisionCacheStage>());
    return CheckPipeline(std::move(stages));
  }

  BrokerMetrics metrics_;
  std::shared_ptr<const CallConfig> config_;
  MonoTime now_{std::chrono::hours(1)};
};

// A stage of the test's own: records that it ran, and answers when told to.
class MarkerStage final : public CheckStage {
 public:
  MarkerStage(std::vector<std::string>* log, std::string name, bool answer)
      : log_(log), name_(std::move(name)), answer_(answer) {}
  StageVerdict OnRequest(CheckCall& call) override {
    log_->push_back(name_);
    if (!answer_) return StageVerdict::kContinue;
    call.Refuse(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, name_));
    return StageVerdict::kAnswer;
  }
  void OnUpstreamResult(CheckCall&, const UpstreamResult&) override {
    log_->push_back(name_ + " settles");
  }

 private:
  std::vector<std::string>* const log_;
  const std::string name_;
  const bool answer_;
};

TEST_F(CheckPipelineTest, StagesRunInOrderUntilOneAnswersAndSettleInReverse) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<CheckStage>> stages;
  stages.push_back(std::make_unique<MarkerStage>(&log, "a", false));
  stages.push_back(std::make_unique<MarkerStage>(&log, "b", false));
  stages.push_back(std::make_unique<MarkerStage>(&log, "limit", true));
  stages.push_back(std::make_unique<MarkerStage>(&log, "never", false));
  const CheckPipeline pipeline(std::move(stages));
  const grpc::ByteBuffer request = Request("/");
  auto call = Call(&request, nullptr);
  const CheckPipeline::Step step = pipeline.Run(*call);
  EXPECT_EQ(step.verdict, StageVerdict::kAnswer);
  EXPECT_EQ(step.stage, 2u);
  EXPECT_EQ(call->answer().status.error_message(), "limit");
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "limit"}));

  log.clear();
  pipeline.Settle(*call, UpstreamResult{});
  EXPECT_EQ(log,
            (std::vector<std::string>{"never settles", "limit settles", "b settles", "a settles"}));
}

TEST_F(CheckPipelineTest, ADryRunRuleLetsTheCallGoOnAndALaterRuleAnswer) {
  const CheckPipeline pipeline = BrokerStages();
  const grpc::ByteBuffer legacy = Request("/legacy/page");
  auto call = Call(&legacy, nullptr);
  EXPECT_EQ(pipeline.Run(*call).verdict, StageVerdict::kContinue);  // on to the upstream
  EXPECT_FALSE(call->answered());
  EXPECT_EQ(metrics_.DirectResponses("legacy", true).Value(), 1);

  const grpc::ByteBuffer admin = Request("/legacy/admin");
  auto answered = Call(&admin, nullptr);
  const CheckPipeline::Step step = pipeline.Run(*answered);
  EXPECT_EQ(step.verdict, StageVerdict::kAnswer);
  EXPECT_EQ(step.stage, 0u);
  ASSERT_EQ(answered->answer().kind, LocalAnswer::Kind::kMessage);
  EXPECT_EQ(metrics_.DirectResponses("legacy", true).Value(), 2);
  EXPECT_EQ(metrics_.DirectResponses("admin", false).Value(), 1);
}

TEST_F(CheckPipelineTest, AFlightLandsOnItsWaitersAndTheStoredAnswerIsAHit) {
  const CheckPipeline pipeline = BrokerStages();
  const grpc::ByteBuffer request = Request("/v1/items", "Bearer a");
  RecordingWaiter leader_waiter, follower_waiter;
  auto leader = Call(&request, &leader_waiter);
  auto follower = Call(&request, &follower_waiter);
  EXPECT_EQ(pipeline.Run(*leader).verdict, StageVerdict::kContinue);  // leads the flight
  EXPECT_TRUE(leader->cache.leader);
  const CheckPipeline::Step waits = pipeline.Run(*follower);
  EXPECT_EQ(waits.verdict, StageVerdict::kWait);
  EXPECT_EQ(waits.stage, 1u);

  CheckResponse allow;
  allow.mutable_status()->set_code(0);
  const grpc::ByteBuffer response = Bytes(allow.SerializeAsString());
  UpstreamResult result;
  result.response = &response;
  pipeline.Settle(*leader, result);
  EXPECT_FALSE(leader->answered());  // the upstream's answer goes out as it is
  ASSERT_TRUE(follower_waiter.landed);
  ASSERT_NE(follower_waiter.entry, nullptr);
  EXPECT_FALSE(pipeline.Abandon(*follower, waits.stage));  // too late: the answer is coming

  follower->cache.landed = follower_waiter.entry;
  const CheckPipeline::Step resumed = pipeline.Resume(*follower, waits.stage);
  EXPECT_EQ(resumed.verdict, StageVerdict::kAnswer);
  EXPECT_EQ(follower->answer().kind, LocalAnswer::Kind::kReplay);
  EXPECT_EQ(follower->answer().entry->response, allow.SerializeAsString());

  auto later = Call(&request, nullptr);
  EXPECT_EQ(pipeline.Run(*later).verdict, StageVerdict::kAnswer);
  EXPECT_EQ(metrics_.cache_hits->Value(), 1);
  EXPECT_EQ(metrics_.cache_coalesced->Value(), 1);
  EXPECT_EQ(metrics_.cache_misses->Value(), 1);
}

TEST_F(CheckPipelineTest, AWaiterThatLeavesBeforeTheLandingIsNotCalled) {
  const CheckPipeline pipeline = BrokerStages();
  const grpc::ByteBuffer request = Request("/v1/items", "Bearer b");
  RecordingWaiter leader_waiter, follower_waiter;
  auto leader = Call(&request, &leader_waiter);
  auto follower = Call(&request, &follower_waiter);
  pipeline.Run(*leader);
  const CheckPipeline::Step waits = pipeline.Run(*follower);
  ASSERT_EQ(waits.verdict, StageVerdict::kWait);
  EXPECT_TRUE(pipeline.Abandon(*follower, waits.stage));
  UpstreamResult failed;
  failed.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  pipeline.Settle(*leader, failed);
  EXPECT_FALSE(follower_waiter.landed);
}

TEST_F(CheckPipelineTest, AMalformedRequestIsRefusedByTheFirstStageThatReadsIt) {
  const CheckPipeline pipeline = BrokerStages();
  const grpc::ByteBuffer garbage = Bytes("\xff\xff\xff");
  auto call = Call(&garbage, nullptr);
  const CheckPipeline::Step step = pipeline.Run(*call);
  EXPECT_EQ(step.verdict, StageVerdict::kAnswer);
  EXPECT_EQ(step.stage, 0u);
  EXPECT_EQ(call->answer().status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(metrics_.malformed_requests->Value(), 1);
}

}  // namespace
}  // namespace edgekit::broker
