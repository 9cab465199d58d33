// Unit tests for the load generator's pure parts: exact percentiles, option validation
// and the request it sends.
#include "tests/bench/loadgen.h"

#include <cmath>
#include <vector>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "gtest/gtest.h"

namespace edgekit::bench {
namespace {

TEST(SummarizeTest, NearestRankPercentiles) {
  // 1..1000 us, shuffled order: Summarize must sort.
  std::vector<int64_t> ns;
  for (int i = 1000; i >= 1; --i) ns.push_back(i * 1000);
  LatencySummary s = Summarize(&ns);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(s.p50_us, 500);
  EXPECT_DOUBLE_EQ(s.p90_us, 900);
  EXPECT_DOUBLE_EQ(s.p99_us, 990);
  EXPECT_DOUBLE_EQ(s.p999_us, 999);
  EXPECT_DOUBLE_EQ(s.max_us, 1000);
  EXPECT_DOUBLE_EQ(s.mean_us, 500.5);
}

TEST(SummarizeTest, SmallSamplesUseTheLargestForHighQuantiles) {
  std::vector<int64_t> ns = {3000, 1000, 2000};
  LatencySummary s = Summarize(&ns);
  EXPECT_DOUBLE_EQ(s.p50_us, 2);
  EXPECT_DOUBLE_EQ(s.p99_us, 3);
  EXPECT_DOUBLE_EQ(s.p999_us, 3);
  EXPECT_DOUBLE_EQ(s.max_us, 3);
}

TEST(SummarizeTest, EmptyIsAllZero) {
  std::vector<int64_t> ns;
  LatencySummary s = Summarize(&ns);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p50_us, 0);
  EXPECT_EQ(s.max_us, 0);
}

LoadgenOptions Valid() {
  LoadgenOptions o;
  o.target = "127.0.0.1:1";
  o.concurrency = 4;
  return o;
}

TEST(ValidateLoadgenOptionsTest, AcceptsClosedAndOpenLoop) {
  EXPECT_TRUE(ValidateLoadgenOptions(Valid()).ok());
  LoadgenOptions o = Valid();
  o.concurrency = 0;
  o.rate = 1000;
  EXPECT_TRUE(ValidateLoadgenOptions(o).ok());
}

TEST(ValidateLoadgenOptionsTest, RejectsWithFieldNames) {
  auto message = [](LoadgenOptions o) { return std::string(ValidateLoadgenOptions(o).message()); };
  LoadgenOptions both = Valid();
  both.rate = 10;
  EXPECT_NE(message(both).find("rate, concurrency"), std::string::npos);
  LoadgenOptions neither = Valid();
  neither.concurrency = 0;
  EXPECT_NE(message(neither).find("rate, concurrency"), std::string::npos);
  LoadgenOptions no_target = Valid();
  no_target.target = "";
  EXPECT_NE(message(no_target).find("target"), std::string::npos);
  LoadgenOptions zero_duration = Valid();
  zero_duration.duration = absl::ZeroDuration();
  EXPECT_NE(message(zero_duration).find("duration"), std::string::npos);
  LoadgenOptions bad_connections = Valid();
  bad_connections.connections = 0;
  EXPECT_NE(message(bad_connections).find("connections"), std::string::npos);
  LoadgenOptions bad_key = Valid();
  bad_key.metadata = {{"X-Upper", "v"}};
  EXPECT_NE(message(bad_key).find("metadata"), std::string::npos);
  LoadgenOptions bad_method = Valid();
  bad_method.method = "Check";
  EXPECT_NE(message(bad_method).find("method"), std::string::npos);
  LoadgenOptions bad_tokens = Valid();
  bad_tokens.tokens = -1;
  EXPECT_NE(message(bad_tokens).find("tokens"), std::string::npos);
  LoadgenOptions bad_s = Valid();
  bad_s.zipf_s = 0;
  EXPECT_NE(message(bad_s).find("zipf_s"), std::string::npos);
}

TEST(CheckRequestBytesTest, IsARealisticDeterministicCheckRequest) {
  envoy::service::auth::v3::CheckRequest request;
  ASSERT_TRUE(request.ParseFromString(CheckRequestBytes(true)));
  const auto& headers = request.attributes().request().http().headers();
  EXPECT_GE(headers.size(), 10);
  EXPECT_EQ(headers.at("x-allow"), "true");
  EXPECT_EQ(request.attributes().request().http().method(), "GET");

  ASSERT_TRUE(request.ParseFromString(CheckRequestBytes(false)));
  EXPECT_EQ(request.attributes().request().http().headers().at("x-allow"), "false");

  EXPECT_EQ(CheckRequestBytes(true), CheckRequestBytes(true));
}

TEST(ZipfTokensTest, FrequenciesFollowTheDistribution) {
  constexpr int kTokens = 10000;
  constexpr double kS = 1.1;
  const ZipfTokens zipf(kTokens, kS);
  std::vector<int> counts(kTokens);
  constexpr int kDraws = 1000000;
  for (uint64_t i = 0; i < kDraws; ++i) {
    const int k = zipf.Pick(i);
    ASSERT_GE(k, 0);
    ASSERT_LT(k, kTokens);
    ++counts[k];
  }
  double total = 0;
  for (int k = 0; k < kTokens; ++k) total += 1.0 / std::pow(k + 1, kS);
  // The head within 2% of 1/(k+1)^s / H(n, s); a fixed seed, so this cannot flake.
  for (int k : {0, 1, 9}) {
    const double expected = kDraws / std::pow(k + 1, kS) / total;
    EXPECT_NEAR(counts[k], expected, expected * 0.02) << "token " << k;
  }
  EXPECT_EQ(zipf.Pick(12345), zipf.Pick(12345));  // deterministic in the draw number
  EXPECT_EQ(ZipfTokens(1, kS).Pick(7), 0);
}

TEST(StatusCodeNameTest, CanonicalNames) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

TEST(ResultToJsonTest, OneLineWithErrorsByName) {
  LoadgenOptions o = Valid();
  LoadgenResult r;
  r.sent = 10;
  r.ok = 8;
  r.errors[grpc::StatusCode::UNAVAILABLE] = 2;
  r.latency.p50_us = 123.4;
  std::string json = ResultToJson(o, r);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_NE(json.find("\"errors\":{\"UNAVAILABLE\":2}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p50_us\":123.4"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mode\":\"closed\""), std::string::npos) << json;
}

}  // namespace
}  // namespace edgekit::bench
