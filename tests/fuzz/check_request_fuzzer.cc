// libFuzzer target: arbitrary bytes as a received Check call's message, through the broker's
// direct-response stage (broker/direct_responses.h: parse into a CheckRequest, the
// CheckRequestView with x-forwarded-for and num_trusted_proxies 2, first-match rules with
// header, path, regex, headers_equal, client_ip and hosts tests). Built once from a fixed
// rule config. Besides crashes, sanitizer reports and hangs, a finding is: a decision that
// disagrees with protobuf on whether the bytes are a CheckRequest, or an answer that is
// not a CheckResponse.
//
// Seeds: with EDGEKIT_FUZZ_WRITE_SEEDS=DIR set, the binary writes a few valid serialized
// CheckRequests (matching each rule, and matching none) into DIR and exits
// (tests/fuzz/run.sh does this before fuzzing; nothing binary is kept in the repository).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "broker/direct_responses.h"
#include "broker/metrics.h"
#include "broker/settings.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "rules/rule_set.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

constexpr char kRules[] = R"(
hosts: [api.example.com, "*.internal.example.com"]
num_trusted_proxies: 2
rules:
  - name: blocked-clients
    when: {client_ip: {cidrs: [203.0.113.0/24, 198.51.100.7, "2001:db8:bad::/48"]}}
    respond: {status: 403, body: "blocked\n", headers: {content-type: text/plain}}
  - name: require-foo-and-bar
    when:
      not:
        all:
          - header: {name: x-foo, exact: "1"}
          - header: {name: x-bar, prefix: "1"}
    respond: {status: 400, body: "This is direct response!"}
  - name: admin
    when:
      all:
        - path: {prefix: /admin}
        - not: {header: {name: authorization, regex: "Bearer [A-Za-z0-9._-]+"}}
    respond: {status: 401, headers: {www-authenticate: Bearer}}
  - name: tenant-mismatch
    when: {headers_equal: [x-tenant, x-token-tenant, x-route-tenant]}
    respond: {status: 409}
  - name: health
    when: {any: [{path: {exact: /healthz}}, {path: {regex: "/v[0-9]+/ping"}}, {method: OPTIONS}]}
    respond: {status: 200, body: ok}
)";

edgekit::broker::DirectResponses* BuildStage() {
  edgekit::broker::v1::DirectResponses config;
  const absl::Status parsed = edgekit::YamlTextToProto(kRules, &config, "check_request_fuzzer");
  absl::StatusOr<std::shared_ptr<const edgekit::rules::RuleSet>> rules =
      parsed.ok()
          ? edgekit::rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses")
          : absl::StatusOr<std::shared_ptr<const edgekit::rules::RuleSet>>(parsed);
  if (!rules.ok()) {
    std::fprintf(stderr, "check_request_fuzzer: bad rules: %s\n",
                 std::string(rules.status().message()).c_str());
    std::abort();
  }
  edgekit::broker::DirectResponseSettings settings;
  settings.rules = *rules;
  settings.num_trusted_proxies = config.num_trusted_proxies();
  static edgekit::broker::BrokerMetrics* const metrics = new edgekit::broker::BrokerMetrics();
  return new edgekit::broker::DirectResponses(settings, *metrics);
}

const edgekit::broker::DirectResponses& Stage() {
  static const edgekit::broker::DirectResponses* const kStage = BuildStage();
  return *kStage;
}

CheckRequest Request(const std::string& method, const std::string& path, const std::string& host,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& peer, bool raw) {
  CheckRequest request;
  auto* attributes = request.mutable_attributes();
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_address(peer);
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_port_value(40000);
  auto* http = attributes->mutable_request()->mutable_http();
  http->set_id("1234567890");
  http->set_method(method);
  http->set_path(path);
  http->set_host(host);
  http->set_scheme("https");
  http->set_protocol("HTTP/2");
  for (const auto& [name, value] : headers) {
    if (raw) {
      auto* h = http->mutable_header_map()->add_headers();
      h->set_key(name);
      h->set_raw_value(value);
    } else {
      (*http->mutable_headers())[name] = value;
    }
  }
  (*attributes->mutable_context_extensions())["virtual_host"] = "api";
  return request;
}

// Valid requests: one per rule, one no rule answers, the same in header_map form.
std::vector<std::string> SeedRequests() {
  const std::string xff = "X-Forwarded-For";
  std::vector<CheckRequest> requests;
  for (bool raw : {false, true}) {
    const std::string fwd = raw ? xff : "x-forwarded-for";
    requests.push_back(Request("GET", "/", "api.example.com",
                               {{fwd, "203.0.113.9, 10.0.0.2, 10.0.0.1"}}, "10.0.0.1", raw));
    requests.push_back(Request("GET", "/v1/items?page=2", "api.example.com:443", {{"x-foo", "1"}},
                               "192.0.2.1", raw));
    requests.push_back(Request("POST", "/admin/users", "a.internal.example.com",
                               {{"x-foo", "1"}, {"x-bar", "10"}, {"authorization", "Basic x"}},
                               "2001:db8::1", raw));
    requests.push_back(Request("PUT", "/v1/x", "api.example.com",
                               {{"x-foo", "1"},
                                {"x-bar", "1"},
                                {"x-tenant", "t1"},
                                {"x-token-tenant", "t1"},
                                {"x-route-tenant", "t1"}},
                               "192.0.2.1", raw));
    requests.push_back(Request("OPTIONS", "/v2/ping?x", "API.EXAMPLE.COM",
                               {{"x-foo", "1"}, {"x-bar", "1"}}, "192.0.2.1", raw));
    requests.push_back(Request("GET", "/v1/items", "api.example.com",
                               {{"x-foo", "1"},
                                {"x-bar", "1"},
                                {"x-foo", "2"},
                                {fwd, "2001:db8:bad::1, 2001:db8::2, 2001:db8::3"}},
                               "2001:db8::3", raw));
    requests.push_back(Request("GET", "/", "other.example.org", {}, "198.51.100.7", raw));
  }
  std::vector<std::string> out;
  for (const CheckRequest& r : requests) out.push_back(r.SerializeAsString());
  return out;
}

void WriteSeeds(const char* dir) {
  const std::vector<std::string> seeds = SeedRequests();
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string path = absl::StrCat(dir, "/check-request-", i, ".pb");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(seeds[i].data(), 1, seeds[i].size(), f) != seeds[i].size() ||
        std::fclose(f) != 0) {
      std::fprintf(stderr, "check_request_fuzzer: cannot write %s\n", path.c_str());
      std::exit(1);
    }
  }
  std::fprintf(stderr, "check_request_fuzzer: wrote %zu seeds to %s\n", seeds.size(), dir);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("EDGEKIT_FUZZ_WRITE_SEEDS"); dir != nullptr && *dir) {
    WriteSeeds(dir);
    std::exit(0);
  }
  Stage();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);
  // Every third input arrives in two slices (gRPC hands over a message in several when it
  // spans frames), so both of Decide's paths run.
  std::vector<grpc::Slice> slices;
  if (size % 3 == 0 && size >= 2) {
    slices.emplace_back(bytes, size / 2);
    slices.emplace_back(bytes + size / 2, size - size / 2);
  } else {
    slices.emplace_back(bytes, size);
  }
  const grpc::ByteBuffer buffer(slices.data(), slices.size());
  using Kind = edgekit::broker::DirectResponses::Decision::Kind;
  const edgekit::broker::DirectResponses::Decision decision = Stage().Decide(buffer);

  CheckRequest reference;
  const bool parses = reference.ParseFromArray(data, static_cast<int>(size));
  if ((decision.kind == Kind::kMalformed) == parses) {
    std::fprintf(stderr, "Decide: kind %d but protobuf %s the bytes\n",
                 static_cast<int>(decision.kind), parses ? "parses" : "refuses");
    std::abort();
  }
  if ((decision.kind == Kind::kAnswer) != (decision.response != nullptr)) {
    std::fprintf(stderr, "Decide: kind %d with response %p\n", static_cast<int>(decision.kind),
                 static_cast<const void*>(decision.response));
    std::abort();
  }
  if (decision.response != nullptr) {
    std::vector<grpc::Slice> out;
    CheckResponse response;
    std::string joined;
    if (decision.response->Dump(&out).ok()) {
      for (const grpc::Slice& s : out)
        joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    if (!response.ParseFromString(joined) || response.status().code() != 7 ||
        !response.has_denied_response()) {
      std::fprintf(stderr, "Decide: the answer is not a denial CheckResponse\n");
      std::abort();
    }
  }
  return 0;
}
