// libFuzzer target: the broker config's `direct_responses` section as YAML text ->
// edgekit.broker.v1.DirectResponses -> rules::RuleSet::Compile, as the broker does on
// every (re)load; when the rules compile, Match runs over a few fixed requests. Besides
// crashes, sanitizer reports and hangs, a finding is: an error status with an empty
// message, a compile error that does not start with the section's key path, or a Match
// result outside [-1, size).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "rules/ip_set.h"
#include "rules/rule_set.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/testing/fake_request.h"

namespace {

using edgekit::testing::FakeRequest;

const std::vector<FakeRequest>& Requests() {
  static const std::vector<FakeRequest>* const kRequests = new std::vector<FakeRequest>{
      {"GET", "/", "api.example.com", {}, nullptr},
      {"POST",
       "/v1/items?page=2",
       "api.example.com:8443",
       {{"x-foo", "1"}, {"x-bar", "1"}, {"authorization", "Bearer abc"}, {"x-empty", ""}},
       "203.0.113.5"},
      {"DELETE",
       "/admin/users/7",
       "A.B.Example.COM",
       {{"x-a", "same"}, {"x-b", "same"}, {"user-agent", "curl/8.5.0"}},
       "::ffff:10.1.2.3"},
      {"", "", "", {}, "::"},
      {"PUT",
       "/healthz?probe=1",
       "[2001:db8::1]:443",
       {{"x-forwarded-for", "198.51.100.1, 10.0.0.1"}, {"content-type", "application/json"}},
       "2001:db8::1"},
      {"GET", "*", "example.com.", {{"x-foo", std::string(300, 'a')}}, "255.255.255.255"},
  };
  return *kRequests;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  Requests();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  edgekit::broker::v1::DirectResponses config;
  const absl::Status parsed = edgekit::YamlTextToProto(text, &config, "broker.yaml");
  edgekit::fuzz::CheckErrorHasMessage(parsed, "YamlTextToProto(DirectResponses)");
  if (!parsed.ok()) return 0;

  const absl::StatusOr<std::shared_ptr<const edgekit::rules::RuleSet>> set =
      edgekit::rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses");
  edgekit::fuzz::CheckErrorHasMessage(set.status(), "RuleSet::Compile");
  if (!set.ok()) {
    if (!absl::StartsWith(set.status().message(), "direct_responses")) {
      std::fprintf(stderr, "RuleSet::Compile: error without the key path: %s\n",
                   std::string(set.status().message()).c_str());
      std::abort();
    }
    return 0;
  }
  const edgekit::rules::RuleSet& rules = **set;
  for (const FakeRequest& request : Requests()) {
    const int match = rules.Match(request);
    if (match < -1 || match >= static_cast<int>(rules.size())) {
      std::fprintf(stderr, "RuleSet::Match returned %d for %zu rules\n", match, rules.size());
      std::abort();
    }
  }
  return 0;
}
