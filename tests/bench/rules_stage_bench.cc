// The broker's direct-response stage in isolation (Google Benchmark): what one Check call
// pays for it, measured in-process where the end-to-end benchmark (bench.py rules) cannot
// resolve a few microseconds against the noise of two shared cores.
//   BM_NoRules          the stage with nothing configured: the snapshot and one test
//   BM_RulesNoMatch     16 header rules + 100,000 CIDRs, the loadgen's request matching
//                       none (parse, 16 header lookups, one IP-set search)
//   BM_RulesAnswered    the same, answered by the 16th header rule
//   BM_Load100kCidrs    compiling the rules with their 100,000-line cidrs_file
// edgekit-rules-bench DIR: DIR holds rules.yaml and blocklist.txt (bench.py writes them).
#include <cstdio>
#include <string>

#include "benchmark/benchmark.h"
#include "broker/call_config.h"
#include "broker/config.h"
#include "broker/direct_responses.h"
#include "broker/metrics.h"
#include "tests/bench/loadgen.h"

namespace {

using edgekit::broker::BrokerMetrics;
using edgekit::broker::CallConfig;
using edgekit::broker::CallConfigHolder;
using edgekit::broker::DirectResponses;

// What a call reads: the rules through its CallConfig snapshot.
CallConfigHolder Holder(const edgekit::broker::DirectResponseSettings& settings,
                        BrokerMetrics& metrics) {
  CallConfig config;
  config.direct_responses = std::make_shared<const DirectResponses>(settings, metrics);
  return CallConfigHolder(std::move(config));
}

std::string g_config;  // rules.yaml

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

edgekit::broker::DirectResponseSettings LoadRules() {
  edgekit::broker::v1::BrokerConfig overrides;
  overrides.mutable_upstream()->set_target("127.0.0.1:1");  // never called here
  auto settings = edgekit::broker::LoadBrokerSettings(g_config, overrides);
  if (!settings.ok()) {
    std::fprintf(stderr, "%s\n", std::string(settings.status().message()).c_str());
    std::abort();
  }
  return settings->direct_responses;
}

void BM_NoRules(benchmark::State& state) {
  BrokerMetrics metrics;
  const CallConfigHolder config = Holder({}, metrics);
  const grpc::ByteBuffer request = Buffer(edgekit::bench::CheckRequestBytes(true));
  for (auto _ : state) {
    auto current = config.Get()->direct_responses;
    bool forwarded = !current->active() ||
                     current->Decide(request).kind == DirectResponses::Decision::Kind::kForward;
    benchmark::DoNotOptimize(forwarded);
  }
}

void Decide(benchmark::State& state, const std::string& request_bytes,
            DirectResponses::Decision::Kind want) {
  BrokerMetrics metrics;
  const CallConfigHolder config = Holder(LoadRules(), metrics);
  const grpc::ByteBuffer request = Buffer(request_bytes);
  if (config.Get()->direct_responses->Decide(request).kind != want) {
    state.SkipWithError("the request was not decided as the benchmark expects");
    return;
  }
  for (auto _ : state) {
    auto current = config.Get()->direct_responses;
    auto decision = current->Decide(request);
    benchmark::DoNotOptimize(decision);
  }
}

void BM_RulesNoMatch(benchmark::State& state) {
  Decide(state, edgekit::bench::CheckRequestBytes(true), DirectResponses::Decision::Kind::kForward);
}

void BM_RulesAnswered(benchmark::State& state) {
  Decide(state, edgekit::bench::CheckRequestBytes(true, {{"x-block-15", "yes"}}),
         DirectResponses::Decision::Kind::kAnswer);
}

void BM_Load100kCidrs(benchmark::State& state) {
  for (auto _ : state) {
    auto settings = LoadRules();
    benchmark::DoNotOptimize(settings);
  }
}

BENCHMARK(BM_NoRules);
BENCHMARK(BM_RulesNoMatch);
BENCHMARK(BM_RulesAnswered);
BENCHMARK(BM_Load100kCidrs)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: edgekit-rules-bench [benchmark flags] DIR\n");
    return 2;
  }
  g_config = std::string(argv[1]) + "/rules.yaml";
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
