// Direct-response rules in the edgekit-broker binary, end to end over real gRPC with a
// fake auth service that counts its calls: generated rule sets and requests answered as a
// first-match evaluation written here (independently of rules/) says, with no upstream
// call for an answered request; reloads when the --config file changes (a ConfigMap's
// symlink swap included), bad rules refused at startup and at reload with the old rules
// kept, a reload under load that drops no call and never mixes two rule sets, and
// `edgekit explain` agreeing with the broker on rendered configs (dry-run rules included).
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands/explain_command.h"
#include "cli/explain/explainer.h"
#include "cli/render/pipeline.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "tests/integration/running_broker.h"
#include "tests/integration/test_util.h"
#include "tests/testing/route_request.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::testing {
namespace {

using ::envoy::service::auth::v3::CheckRequest;
using ::testing::HasSubstr;
using Condition = ::edgekit::rules::v1::Condition;

// ---- The request model and the reference evaluator (first match over the protos) ----

struct Request {
  std::string host = "shop.example.com";
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // distinct names
  std::string peer = "192.0.2.1";                            // TCP peer
  std::string xff;                                           // as Envoy forwards it
};

std::optional<std::string> Header(const Request& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

// 16 bytes; IPv4 as ::ffff:a.b.c.d.
std::optional<std::array<unsigned char, 16>> Bytes(const std::string& text) {
  std::array<unsigned char, 16> b{};
  if (inet_pton(AF_INET, text.c_str(), b.data() + 12) == 1) {
    b[10] = b[11] = 0xff;
    return b;
  }
  if (inet_pton(AF_INET6, text.c_str(), b.data()) == 1) return b;
  return std::nullopt;
}

bool InCidr(const std::string& address, const std::string& cidr) {
  const size_t slash = cidr.find('/');
  const std::string net = cidr.substr(0, slash);
  auto a = Bytes(address), n = Bytes(net);
  if (!a || !n) return false;
  int bits = net.find(':') == std::string::npos ? 32 : 128;
  if (slash != std::string::npos) bits = std::stoi(cidr.substr(slash + 1));
  if (net.find(':') == std::string::npos) bits += 96;
  for (int i = 0; i < bits; ++i) {
    const int mask = 0x80 >> (i % 8);
    if (((*a)[i / 8] & mask) != ((*n)[i / 8] & mask)) return false;
  }
  return true;
}

// With one trusted proxy the client is the second entry from the right of the
// x-forwarded-for Envoy forwards (it appended the peer); else the peer.
std::string ClientOf(const Request& r) {
  std::vector<std::string> entries;
  for (size_t start = 0; !r.xff.empty();) {
    size_t comma = r.xff.find(',', start);
    std::string e =
        r.xff.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    e.erase(0, e.find_first_not_of(' '));
    entries.push_back(e);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (entries.size() >= 2 && Bytes(entries[entries.size() - 2])) {
    return entries[entries.size() - 2];
  }
  return r.peer;
}

bool StringHolds(const rules::v1::StringCondition& s, const std::string& full, bool is_path) {
  const std::string value = is_path ? full.substr(0, full.find('?')) : full;
  if (s.has_exact()) return value == s.exact();
  if (s.has_prefix()) return absl::StartsWith(full, s.prefix());
  return RE2::FullMatch(value, s.regex());
}

bool Holds(const Condition& c, const Request& r) {
  if (c.has_header()) {
    const auto& h = c.header();
    const std::optional<std::string> v = Header(r, h.name());
    if (h.has_present()) return v.has_value() == h.present();
    if (h.has_absent()) return v.has_value() != h.absent();
    if (!v) return false;
    rules::v1::StringCondition s;
    if (h.has_exact()) s.set_exact(h.exact());
    if (h.has_prefix()) s.set_prefix(h.prefix());
    if (h.has_regex()) s.set_regex(h.regex());
    return StringHolds(s, *v, false);
  }
  if (c.has_path()) return StringHolds(c.path(), r.path, true);
  if (c.has_method()) return r.method == c.method();
  if (c.all_size() > 0) {
    for (const Condition& x : c.all()) {
      if (!Holds(x, r)) return false;
    }
    return true;
  }
  if (c.any_size() > 0) {
    for (const Condition& x : c.any()) {
      if (Holds(x, r)) return true;
    }
    return false;
  }
  if (c.has_not_()) return !Holds(c.not_(), r);
  if (c.headers_equal_size() > 0) {
    const std::optional<std::string> first = Header(r, c.headers_equal(0));
    for (const std::string& name : c.headers_equal()) {
      const std::optional<std::string> v = Header(r, name);
      if (!v || !first || *v != *first) return false;
    }
    return true;
  }
  if (c.has_client_ip()) {
    const std::string client = ClientOf(r);
    for (const std::string& cidr : c.client_ip().cidrs()) {
      if (InCidr(client, cidr)) return true;
    }
    return false;
  }
  return false;
}

int FirstMatch(const edgekit::broker::v1::DirectResponses& d, const Request& r) {
  for (int i = 0; i < d.rules_size(); ++i) {
    if (!d.rules(i).has_when() || Holds(d.rules(i).when(), r)) return i;
  }
  return -1;
}

// First match with dry run: rules in dry run (their own flag, or the whole section's)
// that hold before the answering rule go to `dry` (in order) and do not answer.
int FirstAnswer(const edgekit::broker::v1::DirectResponses& d, const Request& r,
                std::vector<int>* dry) {
  for (int i = 0; i < d.rules_size(); ++i) {
    if (d.rules(i).has_when() && !Holds(d.rules(i).when(), r)) continue;
    if (!d.dry_run() && !d.rules(i).dry_run()) return i;
    dry->push_back(i);
  }
  return -1;
}

// ---- Generators ----

const std::vector<std::string> kHeaderNames = {"x-a", "x-b", "x-tenant"};
const std::vector<std::string> kValues = {"1", "2", "10", "acme"};
const std::vector<std::string> kPaths = {"/",        "/a",     "/a/b",       "/a?x=1",
                                         "/b/c?y=2", "/admin", "/admin/keys"};
const std::vector<std::string> kAddresses = {"203.0.113.7", "203.0.113.200",  "198.51.100.9",
                                             "10.1.2.3",    "2001:db8::5",    "2001:db8:1::9",
                                             "fd00::1",     "::ffff:10.9.9.9"};
const std::vector<std::string> kCidrs = {"203.0.113.0/25", "198.51.100.9", "10.0.0.0/8",
                                         "2001:db8::/48",  "fd00::/8",     "203.0.113.128/26"};

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& items) {
  return items[std::uniform_int_distribution<size_t>(0, items.size() - 1)(rng)];
}

Condition RandomCondition(std::mt19937& rng, int depth) {
  Condition c;
  const int kind = std::uniform_int_distribution<int>(0, depth >= 2 ? 4 : 7)(rng);
  switch (kind) {
    case 0: {
      auto* h = c.mutable_header();
      h->set_name(Pick(rng, kHeaderNames));
      switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
        case 0:
          h->set_exact(Pick(rng, kValues));
          break;
        case 1:
          h->set_prefix(Pick(rng, kValues).substr(0, 1));
          break;
        case 2:
          h->set_regex("[0-9]+");
          break;
        case 3:
          h->set_present(true);
          break;
        default:
          h->set_absent(true);
      }
      break;
    }
    case 1: {
      auto* p = c.mutable_path();
      switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
        case 0:
          p->set_exact(Pick(rng, kPaths).substr(0, 2));
          break;
        case 1:
          p->set_prefix("/a");
          break;
        default:
          p->set_regex("/admin(/.*)?");
      }
      break;
    }
    case 2:
      c.set_method(std::uniform_int_distribution<int>(0, 1)(rng) ? "GET" : "POST");
      break;
    case 3:
      c.add_headers_equal("x-a");
      c.add_headers_equal("x-b");
      break;
    case 4: {
      const int n = std::uniform_int_distribution<int>(1, 3)(rng);
      for (int i = 0; i < n; ++i) c.mutable_client_ip()->add_cidrs(Pick(rng, kCidrs));
      break;
    }
    case 5:
      *c.mutable_not_() = RandomCondition(rng, depth + 1);
      break;
    default: {
      const int n = std::uniform_int_distribution<int>(2, 3)(rng);
      auto* list = kind == 6 ? c.mutable_all() : c.mutable_any();
      for (int i = 0; i < n; ++i) *list->Add() = RandomCondition(rng, depth + 1);
    }
  }
  return c;
}

edgekit::broker::v1::DirectResponses RandomRules(std::mt19937& rng, int count) {
  edgekit::broker::v1::DirectResponses d;
  d.set_num_trusted_proxies(1);
  for (int i = 0; i < count; ++i) {
    auto* rule = d.add_rules();
    rule->set_name(absl::StrCat("rule-", i));
    // Mostly conjunctions, so that a fair share of requests passes every rule.
    if (std::uniform_int_distribution<int>(0, 9)(rng) < 8) {
      for (int j = 0; j < 3; ++j) *rule->mutable_when()->add_all() = RandomCondition(rng, 1);
    } else {
      *rule->mutable_when() = RandomCondition(rng, 0);
    }
    rule->mutable_respond()->set_status(400 + i);
    rule->mutable_respond()->set_body(absl::StrCat("answered by rule-", i));
    (*rule->mutable_respond()->mutable_headers())["x-rule"] = absl::StrCat(i);
  }
  return d;
}

Request RandomRequest(std::mt19937& rng) {
  Request r;
  r.method = std::uniform_int_distribution<int>(0, 1)(rng) ? "GET" : "POST";
  r.path = Pick(rng, kPaths);
  for (const std::string& name : kHeaderNames) {
    if (std::uniform_int_distribution<int>(0, 2)(rng) > 0) {
      r.headers.emplace_back(name, Pick(rng, kValues));
    }
  }
  r.peer = Pick(rng, kAddresses);
  switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
    case 0:  // a client behind the trusted load balancer (the peer)
      r.xff = absl::StrCat(Pick(rng, kAddresses), ", ", r.peer);
      break;
    case 1:  // a spoofed entry in front of it: still the second from the right counts
      r.xff = absl::StrCat("6.6.6.6,", Pick(rng, kAddresses), ",", r.peer);
      break;
    default:  // no proxy in front: the peer itself
      r.xff = r.peer;
  }
  return r;
}

// The same request as explain takes it. RandomRequest gives x-forwarded-for as Envoy
// forwards it; the gateway received it without the peer Envoy appended last.
cli::explain::HttpRequest ExplainRequestOf(const Request& r) {
  cli::explain::HttpRequest request;
  request.method = r.method;
  request.host = r.host;
  request.path = r.path;
  request.headers = r.headers;
  request.client_ip = r.peer;
  const size_t last = r.xff.rfind(',');
  if (last != std::string::npos) request.xff = r.xff.substr(0, last);
  return request;
}

CheckRequest ToCheckRequest(const Request& r) {
  CheckRequest request;
  auto* attributes = request.mutable_attributes();
  attributes->mutable_source()->mutable_address()->mutable_socket_address()->set_address(r.peer);
  auto* http = attributes->mutable_request()->mutable_http();
  http->set_method(r.method);
  http->set_path(r.path);
  http->set_host(r.host);
  auto& headers = *http->mutable_headers();
  headers[":authority"] = r.host;
  headers[":path"] = r.path;
  headers[":method"] = r.method;
  headers["x-allow"] = "true";  // the fake auth service allows: its answers have code 0
  if (!r.xff.empty()) headers["x-forwarded-for"] = r.xff;
  for (const auto& [k, v] : r.headers) headers[k] = v;
  return request;
}

std::string ConfigYaml(const edgekit::broker::v1::DirectResponses& rules,
                       const std::string& extra = "config_watch_interval: 100ms\n") {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(rules, &json, options).ok());
  return absl::StrCat(extra, "direct_responses: ", json, "\n");  // JSON is YAML
}

// Replaces `path` atomically (a new inode, as a ConfigMap update or an editor's save).
void ReplaceFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

// edgekit_broker_direct_responses_total summed over the series of `rule` whose labels
// include `mode` ("" = every mode: mode="enforce" for answers, mode="dry_run" for dry-run
// matches), whatever the order of the labels.
double DirectResponseCount(const std::string& metrics, const std::string& rule,
                           const std::string& mode = "") {
  const std::string head = "edgekit_broker_direct_responses_total{";
  double sum = 0;
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, head)) continue;
    const size_t close = line.find("} ", head.size());
    if (close == std::string::npos) continue;
    const std::vector<std::string> labels =
        absl::StrSplit(line.substr(head.size(), close - head.size()), ',');
    auto has = [&](const std::string& label) {
      return std::find(labels.begin(), labels.end(), label) != labels.end();
    };
    if (!has(absl::StrCat("rule=\"", rule, "\""))) continue;
    if (!mode.empty() && !has(absl::StrCat("mode=\"", mode, "\""))) continue;
    sum += std::strtod(line.c_str() + close + 2, nullptr);
  }
  return sum;
}

double DirectResponses(RunningBroker& broker, const std::string& rule) {
  return DirectResponseCount(broker.Metrics(), rule);
}

// ---- Tests ----

TEST(BrokerDirectResponses, GeneratedRulesAnswerAsFirstMatchWithNoUpstreamCall) {
  auto upstream = StartUpstream(absl::Microseconds(100));
  std::mt19937 rng(20261202);
  const std::string path = WriteTempFile("rules.yaml", ConfigYaml(RandomRules(rng, 12)));
  // No hedging here: the upstream's call count must be exactly one per forwarded request.
  RunningBroker broker(upstream->address(), {"--config", path, "--max-attempts", "1"});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  int answered_total = 0, forwarded_total = 0;
  // Answers per rule name over all rounds: the rule names stay ("rule-0".."rule-11"), so
  // edgekit_broker_direct_responses_total{rule} keeps counting across reloads.
  std::vector<int> answered_by_rule(12, 0);
  for (int round = 0; round < 5; ++round) {
    const edgekit::broker::v1::DirectResponses rules = RandomRules(rng, 12);
    if (round > 0) {  // every round after the first is a reload by file change
      const double before = broker.Reloads("success");
      ReplaceFile(path, ConfigYaml(rules));
      ASSERT_TRUE(
          WaitFor([&] { return broker.Reloads("success") > before; }, std::chrono::seconds(10)))
          << broker.process->Output();
    } else {
      ReplaceFile(path, ConfigYaml(rules));
      ASSERT_TRUE(
          WaitFor([&] { return broker.Reloads("success") >= 1; }, std::chrono::seconds(10)));
    }
    upstream->Stats(/*reset=*/true);
    int forwarded = 0;
    std::vector<int> per_rule(rules.rules_size(), 0);
    for (int i = 0; i < 400; ++i) {
      const Request r = RandomRequest(rng);
      const int want = FirstMatch(rules, r);
      const RawCheckResult got = client.CheckRaw(ToCheckRequest(r));
      ASSERT_TRUE(got.status.ok()) << got.status.error_message();
      const std::string where = absl::StrCat("round ", round, " request ", i, " path ", r.path,
                                             " xff ", r.xff, " peer ", r.peer);
      if (want < 0) {
        ++forwarded;
        EXPECT_EQ(got.response.status().code(), 0) << where << ": expected the upstream's allow";
        EXPECT_FALSE(got.response.has_denied_response()) << where;
        continue;
      }
      ++per_rule[want];
      EXPECT_NE(got.response.status().code(), 0) << where;
      const auto& denied = got.response.denied_response();
      EXPECT_EQ(denied.status().code(), 400 + want) << where;
      EXPECT_EQ(denied.body(), absl::StrCat("answered by rule-", want)) << where;
      ASSERT_EQ(denied.headers_size(), 1) << where;
      EXPECT_EQ(denied.headers(0).header().key(), "x-rule");
      EXPECT_EQ(denied.headers(0).header().value(), absl::StrCat(want));
    }
    // Exactly the requests no rule answered reached the auth service.
    EXPECT_EQ(upstream->Stats().checks_received, static_cast<uint64_t>(forwarded))
        << "round " << round;
    answered_total += 400 - forwarded;
    forwarded_total += forwarded;
    // The broker counted each answer under the rule that gave it.
    for (int r = 0; r < rules.rules_size(); ++r) {
      answered_by_rule[r] += per_rule[r];
      EXPECT_EQ(DirectResponses(broker, absl::StrCat("rule-", r)), answered_by_rule[r])
          << "round " << round << " rule-" << r;
    }
  }
  // The generator must exercise both outcomes, or the test proves little.
  EXPECT_GT(answered_total, 200);
  EXPECT_GT(forwarded_total, 200);
}

// The whole path a request takes on the gateway, from an edge.yaml rendered by the CLI:
// the broker (ext_authz runs first) with the broker.yaml `edgekit render` wrote, then,
// for requests it lets through, the VirtualService routes render wrote (evaluated by
// the product's evaluator, cli/explain/istio_routes.h). The result must equal first-match
// evaluation of the rules for the gateway's hosts, and a request for another host must pass the
// broker untouched (the rules are scoped to gateway.hosts).
TEST(BrokerDirectResponses, RenderedEdgeYamlThroughBrokerThenRoutesEqualsFirstMatch) {
  auto upstream = StartUpstream(absl::Microseconds(100));
  std::mt19937 rng(777);
  edgekit::edge::v1::EdgeConfig edge;
  edge.mutable_gateway()->add_hosts("shop.example.com");
  edge.mutable_gateway()->add_hosts("*.api.example.com");
  edge.mutable_gateway()->set_num_trusted_proxies(1);
  const edgekit::broker::v1::DirectResponses rules = RandomRules(rng, 10);
  auto* direct = edge.mutable_direct_responses();
  direct->set_engine(edgekit::edge::v1::DirectResponses::BROKER);
  *direct->mutable_rules() = rules.rules();
  edge.mutable_ext_authz()->set_upstream_target("authz.auth.svc.cluster.local:8080");
  edge.mutable_routes()->mutable_default_destination()->set_host("shop.default.svc.cluster.local");
  edge.mutable_routes()->mutable_default_destination()->set_port(8080);
  cli::ApplyEdgeDefaults(&edge);
  cli::RenderContext context;
  context.source = "edge.yaml";
  absl::StatusOr<std::vector<cli::RenderedFile>> files = cli::RenderEdgeConfig(edge, context);
  ASSERT_TRUE(files.ok()) << files.status();
  std::string broker_yaml, routes_yaml;
  for (const cli::RenderedFile& f : *files) {
    for (const std::string& doc : f.documents) {
      if (f.name == "broker.yaml") broker_yaml += doc;
      if (f.name == "routes.yaml") routes_yaml += doc;
    }
  }
  ASSERT_FALSE(broker_yaml.empty());
  ASSERT_FALSE(routes_yaml.empty());
  const YAML::Node vs = YAML::Load(routes_yaml);
  // The upstream flag points the rendered config at the fake auth service; no hedging,
  // so the upstream's call count is one per forwarded request.
  RunningBroker broker(
      upstream->address(),
      {"--config", WriteTempFile("rendered-broker.yaml", broker_yaml), "--max-attempts", "1"});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  const std::vector<std::string> hosts = {"shop.example.com", "a.api.example.com",
                                          "a.b.api.example.com:8443", "api.example.com",
                                          "other.example.org"};
  auto served = [&](const std::string& host) {  // the VirtualService's hosts, as Envoy
    const std::string name = host.substr(0, host.find(':'));
    for (const auto& h : vs["spec"]["hosts"]) {
      const std::string pattern = h.as<std::string>();
      if (pattern == name) return true;
      if (absl::StartsWith(pattern, "*.") && absl::EndsWith(name, pattern.substr(1))) return true;
    }
    return false;
  };
  int answered = 0, routed = 0, other_hosts = 0, forwarded = 0;
  upstream->Stats(/*reset=*/true);
  for (int i = 0; i < 600; ++i) {
    Request r = RandomRequest(rng);
    r.host = Pick(rng, hosts);
    const bool in_scope = served(r.host);
    const int want_rule = in_scope ? FirstMatch(rules, r) : -1;
    const RawCheckResult got = client.CheckRaw(ToCheckRequest(r));
    ASSERT_TRUE(got.status.ok()) << got.status.error_message();
    std::string outcome;
    if (got.response.status().code() != 0) {
      outcome = absl::StrCat("rule-", got.response.denied_response().status().code() - 400);
    } else {
      ++forwarded;
      edgekit::testing::RouteRequest route_request;
      route_request.path = r.path;
      route_request.method = r.method;
      for (const auto& [k, v] : r.headers) route_request.headers[k] = v;
      outcome = served(r.host) ? edgekit::testing::RouteTaken(vs, route_request) : "";
    }
    const std::string want = want_rule >= 0 ? absl::StrCat("rule-", want_rule)
                             : in_scope     ? "default"
                                            : "";
    ASSERT_EQ(outcome, want) << "request " << i << " host " << r.host << " path " << r.path
                             << " xff " << r.xff;
    answered += want_rule >= 0;
    routed += want == "default";
    other_hosts += !in_scope;
  }
  EXPECT_EQ(upstream->Stats().checks_received, static_cast<uint64_t>(forwarded));
  EXPECT_GT(answered, 100);
  EXPECT_GT(routed, 100);
  EXPECT_GT(other_hosts, 50);
}

TEST(BrokerDirectResponses, RuleCountersAndGaugesFollowTheRulesInForce) {
  auto upstream = StartUpstream();
  const std::string path = WriteTempFile(
      "counted.yaml",
      "direct_responses:\n  rules:\n"
      "    - {name: block-net, when: {client_ip: {cidrs: [203.0.113.0/24, '2001:db8::/32']}},\n"
      "       respond: {status: 403, body: blocked}}\n"
      "    - {name: need-tenant, when: {header: {name: x-tenant, absent: true}},\n"
      "       respond: {status: 400}}\n");
  RunningBroker broker(upstream->address(), {"--config", path, "--max-attempts", "1"});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  Request blocked;
  blocked.peer = "203.0.113.9";
  blocked.headers = {{"x-tenant", "acme"}};
  Request no_tenant;
  Request fine;
  fine.headers = {{"x-tenant", "acme"}};
  for (int i = 0; i < 3; ++i) client.CheckRaw(ToCheckRequest(blocked));
  client.CheckRaw(ToCheckRequest(no_tenant));
  EXPECT_EQ(client.CheckRaw(ToCheckRequest(fine)).response.status().code(), 0);
  EXPECT_EQ(DirectResponses(broker, "block-net"), 3);
  EXPECT_EQ(DirectResponses(broker, "need-tenant"), 1);
  const std::string metrics = broker.Metrics();
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_direct_response_rules"), 2);
  EXPECT_EQ(MetricValue(metrics, "edgekit_broker_direct_response_cidrs"), 2);
  EXPECT_EQ(upstream->Stats().checks_received, 1u);
}

TEST(BrokerDirectResponses, RulesOnlyBrokerAllowsWhatNoRuleAnswers) {
  const std::string path = WriteTempFile(
      "rules-only.yaml",
      "direct_responses:\n  rules_only: true\n  rules:\n"
      "    - {name: no-admin, when: {path: {prefix: /admin}}, respond: {status: 404}}\n");
  RunningBroker broker("", {"--config", path});
  ASSERT_TRUE(WaitFor([&] { return HttpGet(broker.metrics_port, "/readyz").status == 200; },
                      std::chrono::seconds(10)));
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  Request admin;
  admin.path = "/admin/keys";
  Request other;
  other.path = "/shop";
  const RawCheckResult denied = client.CheckRaw(ToCheckRequest(admin));
  ASSERT_TRUE(denied.status.ok());
  EXPECT_EQ(denied.response.denied_response().status().code(), 404);
  const RawCheckResult allowed = client.CheckRaw(ToCheckRequest(other));
  ASSERT_TRUE(allowed.status.ok());
  EXPECT_EQ(allowed.response.status().code(), 0);
  EXPECT_TRUE(allowed.response.has_ok_response());
}

TEST(BrokerDirectResponses, MalformedCheckRequestIsRefusedNotForwarded) {
  auto upstream = StartUpstream();
  const std::string path = WriteTempFile(
      "malformed.yaml",
      "direct_responses: {rules: [{name: a, when: {method: DELETE}, respond: {status: 405}}]}\n");
  RunningBroker broker(upstream->address(), {"--config", path});
  // A request field 1 of wire type 2 with a length running past the end.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", broker.port),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  const std::string garbage = "\x0a\xff\x01\x02";
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::CompletionQueue cq;
  grpc::ByteBuffer response;
  grpc::Status status;
  auto call =
      stub.PrepareUnaryCall(&context, "/envoy.service.auth.v3.Authorization/Check", request, &cq);
  call->StartCall();
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(upstream->Stats().checks_received, 0u);
  EXPECT_EQ(MetricValue(broker.Metrics(), "edgekit_broker_malformed_requests_total"), 1);
}

// Each kind of bad rule config: refused at startup (exit 2) and at reload (old rules kept,
// failure counted), always naming the key path.
struct BadRules {
  const char* rules_yaml;  // the direct_responses value
  const char* key_path;    // in the message
};

TEST(BrokerDirectResponses, BadRulesAreRefusedAtStartupAndAtReloadKeepingTheOldRules) {
  const BadRules cases[] = {
      {"{rules: [{name: a, when: {client_ip: {cidrs: [10.0.0.0/33]}}, respond: {status: 403}}]}",
       "direct_responses.rules[0].when.client_ip.cidrs[0]"},
      {"{rules: [{name: a, when: {header: {name: x-a, regex: '*'}}, respond: {status: 403}}]}",
       "direct_responses.rules[0].when.header.regex"},
      {"{rules: [{name: a, when: {header: {name: x-a, exactly: '1'}}, respond: {status: 403}}]}",
       "direct_responses.rules[0].when.header.exactly: unknown key"},
      {"{rules: [{name: a, when: {method: GET}, respond: {status: 403}}, {name: a, respond: "
       "{status: 403}}]}",
       "direct_responses.rules[1].name"},
      {"{rules: [{name: a, respond: {status: 99}}]}", "direct_responses.rules[0].respond.status"},
      {"{rules: [{name: a, respond: {status: 403, headers: {server: x}}}]}",
       "direct_responses.rules[0].respond.headers[\"server\"]"},
  };
  auto upstream = StartUpstream();
  const std::string good =
      "config_watch_interval: 100ms\n"
      "direct_responses: {rules: [{name: good, when: {path: {exact: /old}}, respond: {status: "
      "418}}]}\n";
  const std::string path = WriteTempFile("reloaded.yaml", good);
  RunningBroker broker(upstream->address(), {"--config", path});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  Request old_path;
  old_path.path = "/old";
  for (const BadRules& c : cases) {
    const std::string bad =
        absl::StrCat("config_watch_interval: 100ms\ndirect_responses: ", c.rules_yaml, "\n");
    // At startup: exit 2, the key path on stderr.
    const std::string bad_path = WriteTempFile("bad-rules.yaml", bad);
    ChildProcess refused(EDGEKIT_BROKER_BINARY,
                         {"--config", bad_path, "--upstream", "127.0.0.1:1"});
    EXPECT_EQ(refused.Wait(std::chrono::seconds(10)), std::optional<int>(2)) << c.rules_yaml;
    EXPECT_THAT(refused.Output(), HasSubstr(c.key_path));
    // At reload: failure counted and logged, the rules in force still answer.
    const double failures = broker.Reloads("failure");
    ReplaceFile(path, bad);
    ASSERT_TRUE(
        WaitFor([&] { return broker.Reloads("failure") > failures; }, std::chrono::seconds(10)))
        << c.rules_yaml << "\n"
        << broker.process->Output();
    EXPECT_THAT(broker.process->Output(), HasSubstr(c.key_path));
    EXPECT_EQ(client.CheckRaw(ToCheckRequest(old_path)).response.denied_response().status().code(),
              418)
        << c.rules_yaml;
  }
  // A good file again is taken.
  const double successes = broker.Reloads("success");
  ReplaceFile(path, absl::StrCat(good, "# edited\n"));
  EXPECT_TRUE(
      WaitFor([&] { return broker.Reloads("success") > successes; }, std::chrono::seconds(10)));
}

// A Kubernetes ConfigMap volume: the file is a symlink into "..data", itself a symlink to
// a timestamped directory; an update writes a new directory and swaps "..data".
TEST(BrokerDirectResponses, ConfigMapSymlinkSwapIsReloadedWithoutASignal) {
  namespace fs = std::filesystem;
  auto upstream = StartUpstream();
  const fs::path root = fs::path(::testing::TempDir()) / "configmap";
  fs::remove_all(root);
  fs::create_directories(root / "..v1");
  fs::create_directories(root / "..v2");
  std::ofstream(root / "..v1" / "broker.yaml")
      << "config_watch_interval: 100ms\ndirect_responses: {rules: [{name: v1, respond: {status: "
         "401}}]}\n";
  std::ofstream(root / "..v2" / "broker.yaml")
      << "config_watch_interval: 100ms\ndirect_responses: {rules: [{name: v2, respond: {status: "
         "402}}]}\n";
  fs::create_directory_symlink("..v1", root / "..data");
  fs::create_symlink("..data/broker.yaml", root / "broker.yaml");
  RunningBroker broker(upstream->address(), {"--config", (root / "broker.yaml").string()});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  EXPECT_EQ(client.CheckRaw(ToCheckRequest({})).response.denied_response().status().code(), 401);
  // The atomic swap kubelet does: a new symlink renamed over "..data".
  fs::create_directory_symlink("..v2", root / "..data_tmp");
  fs::rename(root / "..data_tmp", root / "..data");
  EXPECT_TRUE(WaitFor(
      [&] {
        return client.CheckRaw(ToCheckRequest({})).response.denied_response().status().code() ==
               402;
      },
      std::chrono::seconds(10)))
      << broker.process->Output();
  EXPECT_THAT(broker.process->Output(), HasSubstr("config file changed"));
}

// A blocklist kept in a cidrs_file next to the config: editing only the list reloads it.
TEST(BrokerDirectResponses, AChangedCidrsFileIsReloadedAndABadOneKeepsTheOldList) {
  namespace fs = std::filesystem;
  auto upstream = StartUpstream();
  const fs::path dir = fs::path(::testing::TempDir()) / "blocklist";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string list = (dir / "blocklist.txt").string();
  std::ofstream(list) << "# nobody yet\n";
  std::ofstream(dir / "broker.yaml")
      << "config_watch_interval: 100ms\ndirect_responses: {rules: [{name: blocklist, when: "
         "{client_ip: {cidrs_file: blocklist.txt}}, respond: {status: 403}}]}\n";
  RunningBroker broker(upstream->address(), {"--config", (dir / "broker.yaml").string()});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  Request r;
  r.peer = "198.51.100.9";
  r.xff = "";
  auto code = [&] { return client.CheckRaw(ToCheckRequest(r)).response.status().code(); };
  EXPECT_EQ(code(), 0);
  ReplaceFile(list, "198.51.100.0/24 ; abuse\n");
  EXPECT_TRUE(WaitFor([&] { return code() != 0; }, std::chrono::seconds(10)))
      << broker.process->Output();
  const double failures = broker.Reloads("failure");
  ReplaceFile(list, "198.51.100.0/24\nnot-an-address\n");
  ASSERT_TRUE(
      WaitFor([&] { return broker.Reloads("failure") > failures; }, std::chrono::seconds(10)));
  EXPECT_THAT(broker.process->Output(), HasSubstr("blocklist.txt:2: \"not-an-address\""));
  EXPECT_NE(code(), 0) << "the list in force is kept";
  EXPECT_EQ(MetricValue(broker.Metrics(), "edgekit_broker_direct_response_cidrs"), 1);
}

TEST(BrokerDirectResponses, SighupStillReloadsWithWatchingOff) {
  auto upstream = StartUpstream();
  const std::string path = WriteTempFile(
      "sighup.yaml",
      "config_watch_interval: 0s\ndirect_responses: {rules: [{name: one, respond: {status: "
      "401}}]}\n");
  RunningBroker broker(upstream->address(), {"--config", path});
  CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
  ReplaceFile(path,
              "config_watch_interval: 0s\ndirect_responses: {rules: [{name: two, respond: "
              "{status: 402}}]}\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Not watched: still the old rules.
  EXPECT_EQ(client.CheckRaw(ToCheckRequest({})).response.denied_response().status().code(), 401);
  broker.process->Signal(SIGHUP);
  EXPECT_TRUE(WaitFor(
      [&] {
        return client.CheckRaw(ToCheckRequest({})).response.denied_response().status().code() ==
               402;
      },
      std::chrono::seconds(10)));
}

// Two rule sets whose mixture within one call would give an answer neither gives: A
// answers every request carrying x-k with 401 (else 402), B answers requests without x-k
// with 403 (else 404). Every request carries x-k, so only 401 (A) and 404 (B) are right.
TEST(BrokerDirectResponses, ReloadUnderLoadDropsNoCallAndNeverMixesRuleSets) {
  auto upstream = StartUpstream();
  const std::string a =
      "config_watch_interval: 100ms\ndirect_responses: {rules: ["
      "{name: a-first, when: {header: {name: x-k, present: true}}, respond: {status: 401, body: "
      "A}}, {name: a-rest, respond: {status: 402, body: A}}]}\n";
  const std::string b =
      "config_watch_interval: 100ms\ndirect_responses: {rules: ["
      "{name: b-first, when: {header: {name: x-k, absent: true}}, respond: {status: 403, body: "
      "B}}, {name: b-rest, respond: {status: 404, body: B}}]}\n";
  const std::string path = WriteTempFile("swapped.yaml", a);
  RunningBroker broker(upstream->address(), {"--config", path});
  Request r;
  r.headers = {{"x-k", "1"}};
  const CheckRequest request = ToCheckRequest(r);
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failed{0}, mixed{0}, saw_a{0}, saw_b{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&] {
      CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
      while (!stop.load()) {
        const RawCheckResult got = client.CheckRaw(request);
        ++calls;
        if (!got.status.ok()) {
          ++failed;
          continue;
        }
        const auto& d = got.response.denied_response();
        if (d.status().code() == 401 && d.body() == "A") {
          ++saw_a;
        } else if (d.status().code() == 404 && d.body() == "B") {
          ++saw_b;
        } else {
          ++mixed;
        }
      }
    });
  }
  const double before = broker.Reloads("success");
  for (int swap = 0; swap < 16; ++swap) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ReplaceFile(path, absl::StrCat(swap % 2 == 0 ? b : a, "# swap ", swap, "\n"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop.store(true);
  for (auto& t : load) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(saw_a.load(), 0);
  EXPECT_GT(saw_b.load(), 0);
  EXPECT_GE(broker.Reloads("success") - before, 8) << broker.process->Output();
  EXPECT_EQ(upstream->Stats().checks_received, 0u);  // every call was answered by a rule
  EXPECT_GT(calls.load(), 500);
}

// A generated `edge` with the auth service and the default route every config here has,
// rendered as `edgekit render` renders it: explain's model of the output, and the
// broker.yaml the broker binary is started with.
struct RenderedForBroker {
  cli::explain::GatewayModel model;
  std::string broker_yaml;
};

absl::StatusOr<RenderedForBroker> RenderForBroker(edgekit::edge::v1::EdgeConfig edge) {
  edge.mutable_ext_authz()->set_upstream_target("authz.auth.svc.cluster.local:8080");
  edge.mutable_routes()->mutable_default_destination()->set_host("web.default.svc.cluster.local");
  edge.mutable_routes()->mutable_default_destination()->set_port(8080);
  absl::StatusOr<cli::RenderedEdge> rendered = cli::RenderEdge(edge, "edge.yaml", ".");
  if (!rendered.ok()) return rendered.status();
  absl::StatusOr<cli::explain::GatewayModel> model = cli::GatewayOf(*rendered);
  if (!model.ok()) return model.status();
  RenderedForBroker out{*std::move(model), ""};
  for (const cli::RenderedFile& f : rendered->files) {
    if (f.name == "broker.yaml") out.broker_yaml = f.documents.at(0);
  }
  if (out.broker_yaml.empty()) return absl::InternalError("render wrote no broker.yaml");
  return out;
}

// Agreement: what `edgekit explain` says the broker does with a request equals what the
// broker binary, loaded with the broker.yaml `edgekit render` wrote, answers. Generated
// edge.yaml files (engine broker, 0-2 trusted proxies, rules over headers, paths, methods
// and client addresses) and generated requests as the gateway receives them: explain
// builds its view from the request (x-forwarded-for as received, the TCP peer), the test
// builds the Check call as Envoy would (the peer appended to x-forwarded-for, the peer as
// source address), and the two must agree on every request: the rule, its status, body
// and headers, or no answer (forwarded to the auth service).
// Half the configs render for a Gateway API gateway (gateway.api gateway-api), where
// the broker is the only engine that can answer.
TEST(BrokerDirectResponses, ExplainAgreesWithTheRealBrokerOnGeneratedConfigs) {
  auto upstream = StartUpstream(absl::Microseconds(100));
  std::mt19937 rng(20261206);
  const std::vector<std::string> hosts = {"shop.example.com", "a.api.example.com",
                                          "Shop.Example.com:8443", "other.example.org"};
  int compared = 0, answered = 0, forwarded = 0;
  for (int config_no = 0; config_no < 6; ++config_no) {
    edgekit::edge::v1::EdgeConfig edge;
    edge.mutable_gateway()->add_hosts("shop.example.com");
    edge.mutable_gateway()->add_hosts("*.api.example.com");
    const uint32_t trusted = static_cast<uint32_t>(config_no % 3);
    edge.mutable_gateway()->set_num_trusted_proxies(trusted);
    const edgekit::broker::v1::DirectResponses rules = RandomRules(rng, 4 + config_no * 2);
    auto* direct = edge.mutable_direct_responses();
    direct->set_engine(edgekit::edge::v1::DirectResponses::BROKER);
    if (config_no % 2 == 1) {
      // A Gateway API gateway: no direct response in routes there, so `auto` must pick the
      // broker, and explain walks the HTTPRoutes after it.
      edge.mutable_gateway()->set_api(edgekit::edge::v1::Gateway::GATEWAY_API);
      direct->set_engine(edgekit::edge::v1::DirectResponses::AUTO);
    }
    *direct->mutable_rules() = rules.rules();
    absl::StatusOr<RenderedForBroker> rendered = RenderForBroker(std::move(edge));
    ASSERT_TRUE(rendered.ok()) << rendered.status();
    const cli::explain::GatewayModel* model = &rendered->model;
    const std::string& broker_yaml = rendered->broker_yaml;
    RunningBroker broker(
        upstream->address(),
        {"--config", WriteTempFile(absl::StrCat("agree", config_no, ".yaml"), broker_yaml),
         "--max-attempts", "1"});
    CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
    for (int i = 0; i < 700; ++i) {
      Request r = RandomRequest(rng);
      r.host = Pick(rng, hosts);
      absl::StatusOr<cli::explain::Explanation> e =
          cli::explain::Explain(*model, ExplainRequestOf(r));
      ASSERT_TRUE(e.ok()) << e.status();
      const RawCheckResult got = client.CheckRaw(ToCheckRequest(r));
      ASSERT_TRUE(got.status.ok()) << got.status.error_message();
      const std::string where = absl::StrCat("config ", config_no, " request ", i, " ", r.method,
                                             " ", r.host, r.path, " peer ", r.peer, " xff ", r.xff,
                                             "\n", cli::explain::FormatExplanationText(*e));
      ++compared;
      if (!e->direct.has_value() || e->direct->engine != "broker") {
        ++forwarded;
        EXPECT_EQ(got.response.status().code(), 0) << where;
        EXPECT_FALSE(got.response.has_denied_response()) << where;
        continue;
      }
      ++answered;
      ASSERT_NE(got.response.status().code(), 0) << where;
      const auto& denied = got.response.denied_response();
      EXPECT_EQ(static_cast<uint32_t>(denied.status().code()), e->direct->status) << where;
      EXPECT_EQ(denied.body(), e->direct->body) << where;
      ASSERT_EQ(static_cast<size_t>(denied.headers_size()), e->direct->headers.size()) << where;
      for (int h = 0; h < denied.headers_size(); ++h) {
        EXPECT_EQ(denied.headers(h).header().key(), e->direct->headers[h].first) << where;
        EXPECT_EQ(denied.headers(h).header().value(), e->direct->headers[h].second) << where;
      }
    }
  }
  EXPECT_EQ(compared, 4200);
  EXPECT_GT(answered, 1000);
  EXPECT_GT(forwarded, 1000);
  std::printf("explain and the broker agree on %d requests: %d answered, %d forwarded\n", compared,
              answered, forwarded);
}

// Dry run, three ways: the rules' reference evaluation here, `edgekit explain` on what
// `edgekit render` wrote, and the broker binary loaded with that broker.yaml must agree
// that a dry-run rule which holds answers nothing: the request goes on to the rules after
// it (one may answer) or to the auth service. Generated edge.yaml files put random rules
// in dry run (some configs the whole section, some with a dry-run rule without `when`
// in the middle, which must not hide the rules after it), half with engine auto (which
// must choose the broker). The broker's counters must equal explain's per rule:
// edgekit_broker_direct_responses_total{mode="dry_run"} for each dry-run match, and
// {mode="enforce"} for each answer.
TEST(BrokerDirectResponses, ExplainAndTheBrokerAgreeThatADryRunMatchForwards) {
  auto upstream = StartUpstream(absl::Microseconds(100));
  std::mt19937 rng(20261207);
  const std::vector<std::string> hosts = {"shop.example.com", "a.api.example.com",
                                          "Shop.Example.com:8443", "other.example.org"};
  auto in_scope = [](std::string host) {  // gateway.hosts below
    host = host.substr(0, host.find(':'));
    std::transform(host.begin(), host.end(), host.begin(), ::tolower);
    return host == "shop.example.com" || absl::EndsWith(host, ".api.example.com");
  };
  int compared = 0, dry_then_answered = 0, dry_then_forwarded = 0, answered = 0;
  for (int config_no = 0; config_no < 6; ++config_no) {
    edgekit::broker::v1::DirectResponses rules = RandomRules(rng, 6 + config_no);
    for (auto& rule : *rules.mutable_rules()) {
      rule.set_dry_run(std::uniform_int_distribution<int>(0, 9)(rng) < 4);
    }
    if (config_no % 2 == 1) {  // a dry-run rule for every request, in the middle
      edgekit::rules::v1::Rule everything;
      everything.set_name("everything");
      everything.set_dry_run(true);
      everything.mutable_respond()->set_status(503);
      rules.mutable_rules()->Add(std::move(everything));
      std::rotate(rules.mutable_rules()->begin() + 2, rules.mutable_rules()->end() - 1,
                  rules.mutable_rules()->end());
    }
    const bool whole_section = config_no == 4;
    if (whole_section) rules.set_dry_run(true);
    edgekit::edge::v1::EdgeConfig edge;
    edge.mutable_gateway()->add_hosts("shop.example.com");
    edge.mutable_gateway()->add_hosts("*.api.example.com");
    edge.mutable_gateway()->set_num_trusted_proxies(1);
    auto* direct = edge.mutable_direct_responses();
    direct->set_engine(config_no % 2 == 0 ? edgekit::edge::v1::DirectResponses::AUTO
                                          : edgekit::edge::v1::DirectResponses::BROKER);
    *direct->mutable_rules() = rules.rules();
    if (whole_section) direct->set_dry_run(true);
    absl::StatusOr<RenderedForBroker> rendered = RenderForBroker(std::move(edge));
    ASSERT_TRUE(rendered.ok()) << rendered.status();
    const cli::explain::GatewayModel* model = &rendered->model;
    const std::string& broker_yaml = rendered->broker_yaml;
    // Auto chose the broker, and the dry run is in what it loads.
    const YAML::Node written = YAML::Load(broker_yaml)["direct_responses"];
    ASSERT_TRUE(written) << "config " << config_no << "\n" << broker_yaml;
    ASSERT_EQ(written["rules"].size(), static_cast<size_t>(rules.rules_size()));
    EXPECT_EQ(written["dry_run"] && written["dry_run"].as<bool>(), whole_section);
    for (int i = 0; i < rules.rules_size(); ++i) {
      const YAML::Node flag = written["rules"][i]["dry_run"];
      EXPECT_EQ(flag && flag.as<bool>(), rules.rules(i).dry_run()) << broker_yaml;
    }
    RunningBroker broker(
        upstream->address(),
        {"--config", WriteTempFile(absl::StrCat("dry", config_no, ".yaml"), broker_yaml),
         "--max-attempts", "1"});
    CheckClient client(absl::StrCat("127.0.0.1:", broker.port));
    upstream->Stats(/*reset=*/true);
    std::map<std::string, int> dry_by_rule, enforced_by_rule;
    int forwarded = 0;
    for (int i = 0; i < 500; ++i) {
      Request r = RandomRequest(rng);
      r.host = Pick(rng, hosts);
      absl::StatusOr<cli::explain::Explanation> e =
          cli::explain::Explain(*model, ExplainRequestOf(r));
      ASSERT_TRUE(e.ok()) << e.status();
      std::vector<int> want_dry;
      const int want = in_scope(r.host) ? FirstAnswer(rules, r, &want_dry) : -1;
      const RawCheckResult got = client.CheckRaw(ToCheckRequest(r));
      ASSERT_TRUE(got.status.ok()) << got.status.error_message();
      const std::string where = absl::StrCat("config ", config_no, " request ", i, " ", r.method,
                                             " ", r.host, r.path, " peer ", r.peer, " xff ", r.xff,
                                             "\n", cli::explain::FormatExplanationText(*e));
      ++compared;
      // The dry-run matches: the reference's and explain's, in order.
      std::vector<std::string> want_names, explained;
      for (int d : want_dry) want_names.push_back(rules.rules(d).name());
      for (const auto& d : e->dry_run) explained.push_back(d.rule);
      ASSERT_EQ(explained, want_names) << where;
      for (const std::string& name : explained) ++dry_by_rule[name];
      const bool explain_answers = e->direct.has_value() && e->direct->engine == "broker";
      ASSERT_EQ(explain_answers, want >= 0) << where;
      if (want < 0) {
        ++forwarded;
        dry_then_forwarded += !want_dry.empty();
        EXPECT_EQ(got.response.status().code(), 0) << where << "the broker answered";
        EXPECT_FALSE(got.response.has_denied_response()) << where;
        continue;
      }
      ++answered;
      dry_then_answered += !want_dry.empty();
      ++enforced_by_rule[rules.rules(want).name()];
      EXPECT_EQ(e->direct->rule, rules.rules(want).name()) << where;
      ASSERT_NE(got.response.status().code(), 0) << where << "the broker forwarded";
      const auto& denied = got.response.denied_response();
      EXPECT_EQ(static_cast<uint32_t>(denied.status().code()), e->direct->status) << where;
      EXPECT_EQ(denied.body(), e->direct->body) << where;
    }
    // Exactly the requests nothing answered reached the auth service, and the broker
    // counted each dry-run match and each answer under its rule and mode.
    EXPECT_EQ(upstream->Stats().checks_received, static_cast<uint64_t>(forwarded))
        << "config " << config_no;
    const std::string metrics = broker.Metrics();
    for (const auto& rule : rules.rules()) {
      EXPECT_EQ(DirectResponseCount(metrics, rule.name(), "dry_run"), dry_by_rule[rule.name()])
          << "config " << config_no << " rule " << rule.name() << "\n"
          << metrics;
      EXPECT_EQ(DirectResponseCount(metrics, rule.name(), "enforce"), enforced_by_rule[rule.name()])
          << "config " << config_no << " rule " << rule.name();
    }
    if (whole_section) {
      EXPECT_EQ(forwarded, 500) << "the section is in dry run: nothing is answered";
    }
  }
  EXPECT_EQ(compared, 3000);
  // Both ways a dry run goes on must be exercised, or the test proves little.
  EXPECT_GT(dry_then_answered, 100);
  EXPECT_GT(dry_then_forwarded, 100);
  EXPECT_GT(answered, 300);
  std::printf(
      "dry run: %d requests, %d answered (%d after a dry-run match), %d forwarded after "
      "a dry-run match\n",
      compared, answered, dry_then_answered, dry_then_forwarded);
}

}  // namespace
}  // namespace edgekit::testing
