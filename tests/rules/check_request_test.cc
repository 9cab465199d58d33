// Tests for broker/check_request (a CheckRequest as the rules see it, and the client address
// from x-forwarded-for) and broker/direct_responses (the decision for one received call).
#include "broker/check_request.h"

#include <arpa/inet.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "broker/direct_responses.h"
#include "broker/metrics.h"
#include "broker/settings.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "rules/ip_set.h"
#include "rules/rule_set.h"

namespace edgekit::broker {
namespace {

using ::envoy::service::auth::v3::CheckRequest;
using ::envoy::service::auth::v3::CheckResponse;

// An address as text ("::ffff:a.b.c.d" for IPv4), "none" for nullopt: readable failures.
std::string Text(const std::optional<rules::IpAddress>& a) {
  if (!a) return "none";
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(a->hi >> (56 - 8 * i));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(a->lo >> (56 - 8 * i));
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, bytes, text, sizeof(text)) == nullptr) return "?";
  return text;
}

std::string Client(absl::string_view peer, std::optional<absl::string_view> xff, uint32_t n) {
  return Text(rules::ClientAddress(peer, xff, n));
}

constexpr absl::string_view kXff = "198.51.100.1, 198.51.100.2, 198.51.100.3";

TEST(ClientAddressTest, NoTrustedProxiesIsTheTcpPeer) {
  EXPECT_EQ(Client("10.0.0.9", kXff, 0), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", std::nullopt, 0), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("2001:db8::9", kXff, 0), "2001:db8::9");
}

TEST(ClientAddressTest, NthEntryFromTheRightAfterEnvoysOwn) {
  // Envoy appended the TCP peer (the last entry); N trusted proxies skip N more.
  EXPECT_EQ(Client("10.0.0.9", kXff, 1), "::ffff:198.51.100.2");
  EXPECT_EQ(Client("10.0.0.9", kXff, 2), "::ffff:198.51.100.1");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.1,198.51.100.2,198.51.100.3", 1), "::ffff:198.51.100.2");
  EXPECT_EQ(Client("10.0.0.9", "  198.51.100.1 ,\t198.51.100.2\t, 198.51.100.3 ", 2),
            "::ffff:198.51.100.1");
}

TEST(ClientAddressTest, ShortListFallsBackToTheTcpPeer) {
  EXPECT_EQ(Client("10.0.0.9", kXff, 3), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", kXff, 100), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.3", 1), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "", 1), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", std::nullopt, 2), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.2, 198.51.100.3", 1), "::ffff:198.51.100.2");
  // Empty entries count as entries, as a split on ',' counts them.
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.2,", 1), "::ffff:198.51.100.2");
  EXPECT_EQ(Client("10.0.0.9", ",198.51.100.3", 1), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.1,,", 2), "::ffff:198.51.100.1");
  EXPECT_EQ(Client("10.0.0.9", ",,", 3), "::ffff:10.0.0.9");
}

TEST(ClientAddressTest, EntryThatIsNotAnAddressFallsBackToTheTcpPeer) {
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.1, unknown, 198.51.100.3", 1), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.1, , 198.51.100.3", 1), "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.1, 198.51.100.2:4711, 198.51.100.3", 1),
            "::ffff:10.0.0.9");
  EXPECT_EQ(Client("10.0.0.9", "198.51.100.1, [2001:db8::1], 198.51.100.3", 1), "::ffff:10.0.0.9");
  // Only the chosen entry counts: garbage elsewhere is fine.
  EXPECT_EQ(Client("10.0.0.9", "garbage, 198.51.100.2, 198.51.100.3", 1), "::ffff:198.51.100.2");
}

TEST(ClientAddressTest, Ipv6Entries) {
  EXPECT_EQ(Client("2001:db8::ff", "2001:db8::1, 2001:db8::2, 2001:db8::ff", 1), "2001:db8::2");
  EXPECT_EQ(Client("2001:db8::ff", "2001:db8::1, 2001:db8::2, 2001:db8::ff", 2), "2001:db8::1");
  EXPECT_EQ(Client("10.0.0.9", "::ffff:198.51.100.7, 10.0.0.9", 1), "::ffff:198.51.100.7");
  EXPECT_EQ(Client("10.0.0.9", "2001:db8::1, 10.0.0.9", 1), "2001:db8::1");
}

TEST(ClientAddressTest, NoAddressAtAll) {
  EXPECT_EQ(Client("", std::nullopt, 0), "none");
  EXPECT_EQ(Client("unix:/run/envoy.sock", "x, y", 1), "none");
  EXPECT_EQ(Client("", "198.51.100.1, 10.0.0.9", 1), "::ffff:198.51.100.1");
}

// A CheckRequest as Envoy sends it, with `headers` (not header_map).
CheckRequest MakeRequest() {
  CheckRequest request;
  auto* attributes = request.mutable_attributes();
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_address(
      "192.0.2.7");
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_port_value(51000);
  auto* http = attributes->mutable_request()->mutable_http();
  http->set_method("POST");
  http->set_path("/v1/items?page=2");
  http->set_host("api.example.com:8443");
  (*http->mutable_headers())[":method"] = "POST";
  (*http->mutable_headers())["x-foo"] = "1";
  (*http->mutable_headers())["x-empty"] = "";
  (*http->mutable_headers())["x-forwarded-for"] = "203.0.113.5, 192.0.2.7";
  return request;
}

TEST(CheckRequestViewTest, HeadersMap) {
  const CheckRequest request = MakeRequest();
  const CheckRequestView view(request, 0);
  EXPECT_EQ(view.method(), "POST");
  EXPECT_EQ(view.path(), "/v1/items?page=2");
  EXPECT_EQ(view.host(), "api.example.com:8443");
  EXPECT_EQ(view.header("x-foo"), std::optional<absl::string_view>("1"));
  EXPECT_EQ(view.header("x-empty"), std::optional<absl::string_view>(""));
  EXPECT_EQ(view.header("x-missing"), std::nullopt);
  EXPECT_EQ(view.header("x-fo"), std::nullopt);
  EXPECT_EQ(Text(view.client_ip()), "::ffff:192.0.2.7");
}

TEST(CheckRequestViewTest, ClientIpFromForwardedFor) {
  const CheckRequest request = MakeRequest();
  EXPECT_EQ(Text(CheckRequestView(request, 1).client_ip()), "::ffff:203.0.113.5");
  EXPECT_EQ(Text(CheckRequestView(request, 2).client_ip()), "::ffff:192.0.2.7");
}

TEST(CheckRequestViewTest, SourceAddressV6AndMissing) {
  CheckRequest request = MakeRequest();
  request.mutable_attributes()
      ->mutable_source()
      ->mutable_address()
      ->mutable_socket_address()
      ->set_address("2001:db8::42");
  EXPECT_EQ(Text(CheckRequestView(request, 0).client_ip()), "2001:db8::42");
  request.mutable_attributes()->clear_source();
  EXPECT_EQ(Text(CheckRequestView(request, 0).client_ip()), "none");
  EXPECT_EQ(Text(CheckRequestView(request, 1).client_ip()), "::ffff:203.0.113.5");
  const CheckRequest empty;
  const CheckRequestView view(empty, 1);
  EXPECT_EQ(view.method(), "");
  EXPECT_EQ(view.path(), "");
  EXPECT_EQ(view.header("x-foo"), std::nullopt);
  EXPECT_EQ(Text(view.client_ip()), "none");
}

void AddRaw(CheckRequest* request, const std::string& key, const std::string& value,
            const std::string& raw_value) {
  auto* h = request->mutable_attributes()
                ->mutable_request()
                ->mutable_http()
                ->mutable_header_map()
                ->add_headers();
  h->set_key(key);
  h->set_value(value);
  h->set_raw_value(raw_value);
}

TEST(CheckRequestViewTest, HeaderMapWithRawValues) {
  CheckRequest request = MakeRequest();
  request.mutable_attributes()->mutable_request()->mutable_http()->clear_headers();
  AddRaw(&request, "X-Foo", "", "a");
  AddRaw(&request, "x-foo", "", "b");
  AddRaw(&request, "X-FOO", "", "c");
  AddRaw(&request, "x-plain", "v", "");      // value only
  AddRaw(&request, "x-both", "old", "new");  // raw_value wins
  AddRaw(&request, "X-Forwarded-For", "", "203.0.113.8");
  AddRaw(&request, "x-forwarded-for", "", "192.0.2.7");
  const CheckRequestView view(request, 1);
  EXPECT_EQ(view.header("x-foo"), std::optional<absl::string_view>("a,b,c"));
  EXPECT_EQ(view.header("x-plain"), std::optional<absl::string_view>("v"));
  EXPECT_EQ(view.header("x-both"), std::optional<absl::string_view>("new"));
  EXPECT_EQ(view.header("x-forwarded-for"),
            std::optional<absl::string_view>("203.0.113.8,192.0.2.7"));
  EXPECT_EQ(view.header("x-missing"), std::nullopt);
  EXPECT_EQ(Text(view.client_ip()), "::ffff:203.0.113.8");
}

TEST(CheckRequestViewTest, HeadersMapWinsOverHeaderMap) {
  CheckRequest request = MakeRequest();
  AddRaw(&request, "x-foo", "", "from-map");
  AddRaw(&request, "x-only-in-map", "", "1");
  const CheckRequestView view(request, 0);
  EXPECT_EQ(view.header("x-foo"), std::optional<absl::string_view>("1"));
  EXPECT_EQ(view.header("x-only-in-map"), std::nullopt);
}

// --- DirectResponses::Decide ---

std::shared_ptr<const rules::RuleSet> Rules(const std::string& yaml) {
  v1::DirectResponses config;
  const absl::Status parsed = YamlTextToProto(yaml, &config, "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed;
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> set =
      rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses");
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

constexpr char kRules[] = R"(
hosts: [api.example.com]
rules:
  - name: blocked
    when: {client_ip: {cidrs: [203.0.113.0/24]}}
    respond:
      status: 403
      body: "blocked\n"
      headers: {x-reason: blocklist, content-type: text/plain}
  - name: teapot
    when: {all: [{method: POST}, {path: {exact: /v1/tea}}]}
    respond: {status: 418}
)";

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

CheckResponse ParseResponse(const grpc::ByteBuffer* buffer) {
  CheckResponse response;
  EXPECT_NE(buffer, nullptr);
  if (buffer == nullptr) return response;
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer->Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  EXPECT_TRUE(response.ParseFromString(bytes));
  return response;
}

using Kind = DirectResponses::Decision::Kind;

TEST(DirectResponsesTest, MatchingRuleAnswersWithItsDenial) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  settings.num_trusted_proxies = 1;
  const DirectResponses stage(settings, metrics);
  EXPECT_TRUE(stage.active());
  EXPECT_EQ(stage.rule_count(), 2u);
  EXPECT_EQ(stage.cidr_count(), 1u);

  CheckRequest request = MakeRequest();  // x-forwarded-for: 203.0.113.5, 192.0.2.7
  request.mutable_attributes()->mutable_request()->mutable_http()->set_host("api.example.com");
  const DirectResponses::Decision decision = stage.Decide(Buffer(request.SerializeAsString()));
  ASSERT_EQ(decision.kind, Kind::kAnswer);
  const CheckResponse response = ParseResponse(decision.response);
  EXPECT_EQ(response.status().code(), 7);
  EXPECT_EQ(response.status().message(), "edgekit-broker: direct response rule blocked");
  ASSERT_TRUE(response.has_denied_response());
  const auto& denied = response.denied_response();
  EXPECT_EQ(static_cast<int>(denied.status().code()), 403);
  EXPECT_EQ(denied.body(), "blocked\n");
  ASSERT_EQ(denied.headers_size(), 2);
  EXPECT_EQ(denied.headers(0).header().key(), "content-type");
  EXPECT_EQ(denied.headers(0).header().value(), "text/plain");
  EXPECT_EQ(denied.headers(1).header().key(), "x-reason");
  EXPECT_EQ(denied.headers(1).header().value(), "blocklist");

  EXPECT_EQ(metrics.DirectResponses("blocked", false).Value(), 1);
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 0);
}

TEST(DirectResponsesTest, StatusOutsideTheEnvoyEnumSurvives) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  const DirectResponses stage(settings, metrics);
  CheckRequest request = MakeRequest();
  request.mutable_attributes()->mutable_request()->mutable_http()->set_path("/v1/tea?x=1");
  const std::string bytes = request.SerializeAsString();
  for (int i = 0; i < 3; ++i) {
    const DirectResponses::Decision decision = stage.Decide(Buffer(bytes));
    ASSERT_EQ(decision.kind, Kind::kAnswer);
    const CheckResponse response = ParseResponse(decision.response);
    EXPECT_EQ(response.status().code(), 7);
    EXPECT_EQ(static_cast<int>(response.denied_response().status().code()), 418);
    EXPECT_EQ(response.denied_response().body(), "");
    EXPECT_EQ(response.denied_response().headers_size(), 0);
  }
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 3);
  EXPECT_EQ(metrics.DirectResponses("blocked", false).Value(), 0);
}

TEST(DirectResponsesTest, RequestSplitOverSlices) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  settings.num_trusted_proxies = 1;
  const DirectResponses stage(settings, metrics);
  const std::string bytes = MakeRequest().SerializeAsString();
  std::vector<grpc::Slice> slices;
  for (size_t at = 0; at < bytes.size(); at += 7) slices.emplace_back(bytes.substr(at, 7));
  const grpc::ByteBuffer buffer(slices.data(), slices.size());
  const DirectResponses::Decision decision = stage.Decide(buffer);
  ASSERT_EQ(decision.kind, Kind::kAnswer);
  EXPECT_EQ(static_cast<int>(ParseResponse(decision.response).denied_response().status().code()),
            403);
  EXPECT_EQ(metrics.DirectResponses("blocked", false).Value(), 1);
}

TEST(DirectResponsesTest, NoMatchIsForwarded) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  settings.num_trusted_proxies = 0;  // the client is the TCP peer 192.0.2.7: not blocked
  const DirectResponses stage(settings, metrics);
  const DirectResponses::Decision decision =
      stage.Decide(Buffer(MakeRequest().SerializeAsString()));
  EXPECT_EQ(decision.kind, Kind::kForward);
  EXPECT_EQ(decision.response, nullptr);

  // A host the rules do not apply to is forwarded even from a blocked client.
  settings.num_trusted_proxies = 1;
  const DirectResponses other(settings, metrics);
  CheckRequest request = MakeRequest();
  request.mutable_attributes()->mutable_request()->mutable_http()->set_host("web.example.com");
  EXPECT_EQ(other.Decide(Buffer(request.SerializeAsString())).kind, Kind::kForward);
  // An empty message is a valid CheckRequest that no rule answers.
  EXPECT_EQ(other.Decide(Buffer("")).kind, Kind::kForward);
  EXPECT_EQ(metrics.DirectResponses("blocked", false).Value(), 0);
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 0);
}

// The same rules with `blocked` in dry run (per rule, or the whole section): it is
// counted under mode="dry_run", and matching goes on past it.
std::shared_ptr<const rules::RuleSet> DryRunRules(bool whole_section) {
  v1::DirectResponses config;
  EXPECT_TRUE(YamlTextToProto(kRules, &config, "test.yaml").ok());
  rules::RuleSet::Options options;
  if (whole_section) {
    options.dry_run = true;
  } else {
    config.mutable_rules(0)->set_dry_run(true);
  }
  auto set = rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses", options);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : nullptr;
}

TEST(DirectResponsesTest, DryRunRuleIsCountedAndMatchingGoesOn) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = DryRunRules(/*whole_section=*/false);
  settings.num_trusted_proxies = 1;  // the client is 203.0.113.5: `blocked` matches
  const DirectResponses stage(settings, metrics);

  // Only `blocked` matches: counted in dry run, forwarded.
  EXPECT_EQ(stage.Decide(Buffer(MakeRequest().SerializeAsString())).kind, Kind::kForward);
  EXPECT_EQ(metrics.DirectResponses("blocked", true).Value(), 1);
  EXPECT_EQ(metrics.DirectResponses("blocked", false).Value(), 0);

  // `blocked` (dry run) and then `teapot` (enforced) match: teapot answers, both count.
  CheckRequest tea = MakeRequest();
  tea.mutable_attributes()->mutable_request()->mutable_http()->set_path("/v1/tea");
  const DirectResponses::Decision decision = stage.Decide(Buffer(tea.SerializeAsString()));
  ASSERT_EQ(decision.kind, Kind::kAnswer);
  EXPECT_EQ(static_cast<int>(ParseResponse(decision.response).denied_response().status().code()),
            418);
  EXPECT_EQ(metrics.DirectResponses("blocked", true).Value(), 2);
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 1);
  EXPECT_EQ(metrics.DirectResponses("teapot", true).Value(), 0);
}

TEST(DirectResponsesTest, DryRunSectionAnswersNothing) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = DryRunRules(/*whole_section=*/true);
  settings.num_trusted_proxies = 1;
  const DirectResponses stage(settings, metrics);
  CheckRequest tea = MakeRequest();
  tea.mutable_attributes()->mutable_request()->mutable_http()->set_path("/v1/tea");
  EXPECT_EQ(stage.Decide(Buffer(tea.SerializeAsString())).kind, Kind::kForward);
  EXPECT_EQ(metrics.DirectResponses("blocked", true).Value(), 1);
  EXPECT_EQ(metrics.DirectResponses("teapot", true).Value(), 1);
  EXPECT_EQ(metrics.DirectResponses("blocked", false).Value(), 0);
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 0);
  // On a rules-only broker a dry-run match is allowed like any request no rule answers.
  settings.rules_only = true;
  const DirectResponses rules_only(settings, metrics);
  const DirectResponses::Decision decision = rules_only.Decide(Buffer(tea.SerializeAsString()));
  ASSERT_EQ(decision.kind, Kind::kAnswer);
  EXPECT_EQ(ParseResponse(decision.response).status().code(), 0);
}

TEST(DirectResponsesTest, GarbageIsMalformed) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  settings.rules_only = true;  // malformed even when a no-match would be allowed
  const DirectResponses stage(settings, metrics);
  for (const std::string& bytes :
       {std::string("\xff\xff\xff"),
        std::string("\x0a\x05"
                    "ab"),
        std::string("\x0b"), std::string("\x0a\x02\x08"), std::string(1, '\0')}) {
    const DirectResponses::Decision decision = stage.Decide(Buffer(bytes));
    EXPECT_EQ(decision.kind, Kind::kMalformed) << absl::CEscape(bytes);
    EXPECT_EQ(decision.response, nullptr);
  }
  // A truncated valid request.
  const std::string bytes = MakeRequest().SerializeAsString();
  EXPECT_EQ(stage.Decide(Buffer(bytes.substr(0, bytes.size() - 3))).kind, Kind::kMalformed);
}

TEST(DirectResponsesTest, RulesOnlyAllowsWhatNoRuleAnswers) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  settings.rules_only = true;
  const DirectResponses stage(settings, metrics);
  const DirectResponses::Decision decision =
      stage.Decide(Buffer(MakeRequest().SerializeAsString()));
  ASSERT_EQ(decision.kind, Kind::kAnswer);
  const CheckResponse response = ParseResponse(decision.response);
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());
  EXPECT_FALSE(response.has_denied_response());

  // A matching rule still denies.
  CheckRequest tea = MakeRequest();
  tea.mutable_attributes()->mutable_request()->mutable_http()->set_path("/v1/tea");
  const DirectResponses::Decision denied = stage.Decide(Buffer(tea.SerializeAsString()));
  ASSERT_EQ(denied.kind, Kind::kAnswer);
  EXPECT_EQ(ParseResponse(denied.response).status().code(), 7);
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 1);
}

TEST(DirectResponsesTest, NoRules) {
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  const DirectResponses off(settings, metrics);
  EXPECT_FALSE(off.active());
  EXPECT_EQ(off.rule_count(), 0u);
  EXPECT_EQ(off.Decide(Buffer("\xff")).kind, Kind::kForward);

  settings.rules_only = true;
  const DirectResponses allow_all(settings, metrics);
  EXPECT_TRUE(allow_all.active());
  const DirectResponses::Decision decision = allow_all.Decide(Buffer("anything"));
  ASSERT_EQ(decision.kind, Kind::kAnswer);
  const CheckResponse response = ParseResponse(decision.response);
  EXPECT_EQ(response.status().code(), 0);
  EXPECT_TRUE(response.has_ok_response());
}

TEST(DirectResponsesTest, CountersAreSharedAcrossRebuilds) {
  // A reload builds a new DirectResponses over the same metrics: the counter continues.
  BrokerMetrics metrics;
  DirectResponseSettings settings;
  settings.rules = Rules(kRules);
  CheckRequest tea = MakeRequest();
  tea.mutable_attributes()->mutable_request()->mutable_http()->set_path("/v1/tea");
  const std::string bytes = tea.SerializeAsString();
  {
    const DirectResponses first(settings, metrics);
    EXPECT_EQ(first.Decide(Buffer(bytes)).kind, Kind::kAnswer);
  }
  settings.rules = Rules(kRules);
  const DirectResponses second(settings, metrics);
  EXPECT_EQ(second.Decide(Buffer(bytes)).kind, Kind::kAnswer);
  EXPECT_EQ(metrics.DirectResponses("teapot", false).Value(), 2);
}

}  // namespace
}  // namespace edgekit::broker
