// Tests for broker/config (BrokerConfig -> validated BrokerSettings, file + overrides) and
// broker/grpc_codes (the code-name table the config and the metrics share).
#include "broker/config.h"

#include <unistd.h>

#include <cstdio>
#include <ostream>
#include <string>

#include "common/grpc_codes.h"
#include "common/yaml_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_file.h"

namespace edgekit::broker {
namespace {

using ::edgekit::broker::v1::BrokerConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Parses `yaml` (which must be schema-valid) into a config with a target added unless the
// text sets upstream itself, then validates.
absl::StatusOr<BrokerSettings> Validate(const std::string& yaml) {
  BrokerConfig config;
  const absl::Status parsed = YamlTextToProto(yaml, &config, "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed;
  if (!config.upstream().has_target()) config.mutable_upstream()->set_target("authz:8080");
  return ValidateBrokerConfig(config);
}

// A file under the test temp dir, removed at the end of the test.
using ::edgekit::testing::TempFile;

TEST(ValidateBrokerConfigTest, DefaultsMatchSettingsAndProtoComments) {
  BrokerConfig config;
  config.mutable_upstream()->set_target("authz:8080");
  const absl::StatusOr<BrokerSettings> settings = ValidateBrokerConfig(config);
  ASSERT_TRUE(settings.ok()) << settings.status();
  // The values the .proto comments document, spelled out so a changed default in
  // settings.h fails here too.
  EXPECT_EQ(settings->listen, "127.0.0.1:9191");
  EXPECT_EQ(settings->metrics_listen, "0.0.0.0:9464");
  EXPECT_EQ(settings->upstream.target, "authz:8080");
  EXPECT_EQ(settings->upstream.ca_file, "");
  EXPECT_EQ(settings->upstream.cert_file, "");
  EXPECT_EQ(settings->upstream.key_file, "");
  EXPECT_EQ(settings->upstream.tls_server_name, "");
  EXPECT_EQ(settings->upstream.default_deadline, absl::Seconds(1));
  EXPECT_EQ(settings->upstream.resolve_interval, absl::Seconds(30));
  EXPECT_EQ(settings->hedging.max_attempts, 2);
  EXPECT_DOUBLE_EQ(settings->hedging.quantile, 0.95);
  EXPECT_EQ(settings->hedging.delay_min, absl::Milliseconds(1));
  EXPECT_EQ(settings->hedging.delay_max, absl::Seconds(1));
  EXPECT_EQ(settings->hedging.initial_delay, absl::Milliseconds(10));
  EXPECT_EQ(settings->hedging.min_samples, 100u);
  EXPECT_EQ(settings->hedging.window, absl::Seconds(30));
  EXPECT_DOUBLE_EQ(settings->hedging.budget, 0.1);
  EXPECT_THAT(settings->hedging.non_fatal_codes, ElementsAre(GrpcCode::kUnavailable));
  EXPECT_DOUBLE_EQ(settings->hedging.throttle_max_tokens, 10);
  EXPECT_DOUBLE_EQ(settings->hedging.throttle_token_ratio, 0.1);
  EXPECT_EQ(settings->max_inflight, 10000u);
  EXPECT_EQ(settings->max_message_bytes, 4194304u);
  EXPECT_THAT(settings->forward_methods, ElementsAre(kCheckMethod));
  EXPECT_EQ(settings->drain_timeout, absl::Seconds(10));
  EXPECT_EQ(settings->worker_threads, 2);
}

TEST(ValidateBrokerConfigTest, ConvertsEveryField) {
  const absl::StatusOr<BrokerSettings> settings = Validate(R"(
listen: "[::1]:0"
metrics_listen: localhost:9000
upstream:
  target: ipv4:10.0.0.1:8080,10.0.0.2:8080
  ca_file: /etc/ca.pem
  cert_file: /etc/cert.pem
  key_file: /etc/key.pem
  tls_server_name: authz.internal
  default_deadline: 250ms
  resolve_interval: 2m
hedging:
  max_attempts: 5
  quantile: 0.99
  delay_min: 500us
  delay_max: 1.5s
  initial_delay: 20ms
  min_samples: 1
  window: 10s
  budget: 0
  non_fatal_codes: [RESOURCE_EXHAUSTED, UNAVAILABLE, UNAVAILABLE]
  throttling: {max_tokens: 1000, token_ratio: 1}
limits: {max_inflight: 1, max_message_bytes: 1024}
forward_methods:
  - /grpc.health.v1.Health/Check
  - /envoy.service.auth.v3.Authorization/Check
  - /grpc.health.v1.Health/Check
  - /a.b.c.Svc/Do_It2
drain_timeout: 1h
worker_threads: 64
)");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->listen, "[::1]:0");
  EXPECT_EQ(settings->metrics_listen, "localhost:9000");
  EXPECT_EQ(settings->upstream.target, "ipv4:10.0.0.1:8080,10.0.0.2:8080");
  EXPECT_EQ(settings->upstream.ca_file, "/etc/ca.pem");
  EXPECT_EQ(settings->upstream.cert_file, "/etc/cert.pem");
  EXPECT_EQ(settings->upstream.key_file, "/etc/key.pem");
  EXPECT_EQ(settings->upstream.tls_server_name, "authz.internal");
  EXPECT_EQ(settings->upstream.default_deadline, absl::Milliseconds(250));
  EXPECT_EQ(settings->upstream.resolve_interval, absl::Minutes(2));
  EXPECT_EQ(settings->hedging.max_attempts, 5);
  EXPECT_DOUBLE_EQ(settings->hedging.quantile, 0.99);
  EXPECT_EQ(settings->hedging.delay_min, absl::Microseconds(500));
  EXPECT_EQ(settings->hedging.delay_max, absl::Milliseconds(1500));
  EXPECT_EQ(settings->hedging.initial_delay, absl::Milliseconds(20));
  EXPECT_EQ(settings->hedging.min_samples, 1u);
  EXPECT_EQ(settings->hedging.window, absl::Seconds(10));
  EXPECT_DOUBLE_EQ(settings->hedging.budget, 0);
  EXPECT_THAT(settings->hedging.non_fatal_codes,
              ElementsAre(GrpcCode::kResourceExhausted, GrpcCode::kUnavailable));
  EXPECT_DOUBLE_EQ(settings->hedging.throttle_max_tokens, 1000);
  EXPECT_DOUBLE_EQ(settings->hedging.throttle_token_ratio, 1);
  EXPECT_EQ(settings->max_inflight, 1u);
  EXPECT_EQ(settings->max_message_bytes, 1024u);
  // Check first and once; the rest in the given order, duplicates dropped.
  EXPECT_THAT(settings->forward_methods,
              ElementsAre(kCheckMethod, "/grpc.health.v1.Health/Check", "/a.b.c.Svc/Do_It2"));
  EXPECT_EQ(settings->drain_timeout, absl::Hours(1));
  EXPECT_EQ(settings->worker_threads, 64);
}

TEST(ValidateBrokerConfigTest, BoundaryValuesAreAccepted) {
  for (const char* yaml : {
           "hedging: {max_attempts: 1}",
           "hedging: {budget: 1}",
           "hedging: {quantile: 0.000001}",
           "hedging: {throttling: {max_tokens: 0.5, token_ratio: 0.001}}",
           "hedging: {delay_min: 5ms, delay_max: 5ms}",
           "limits: {max_message_bytes: 1073741824}",
           "listen: 0.0.0.0:65535",
           "worker_threads: 0",
           "upstream: {target: 'x:1', ca_file: /ca.pem}",
       }) {
    const absl::StatusOr<BrokerSettings> settings = Validate(yaml);
    EXPECT_TRUE(settings.ok()) << yaml << ": " << settings.status();
  }
}

struct BadCase {
  const char* yaml;
  const char* message;  // the whole expected message
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.yaml; }

class BadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, IsInvalidArgumentNamingKeyPathAndValue) {
  const absl::StatusOr<BrokerSettings> settings = Validate(GetParam().yaml);
  ASSERT_FALSE(settings.ok()) << GetParam().yaml;
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(settings.status()), GetParam().message) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(
    EveryCheck, BadConfigTest,
    ::testing::Values(
        // listen / metrics_listen
        BadCase{"listen: '9191'", "listen: expected host:port, got \"9191\""},
        BadCase{"listen: ''", "listen: expected host:port, got \"\""},
        BadCase{"listen: 127.0.0.1:70000", "listen: port must be in [0, 65535], got 70000"},
        BadCase{"listen: 127.0.0.1:http",
                "listen: expected host:port with a numeric port, got \"127.0.0.1:http\""},
        BadCase{"listen: '127.0.0.1:'",
                "listen: expected host:port with a numeric port, got \"127.0.0.1:\""},
        BadCase{"listen: ':9191'",
                "listen: expected host:port with a non-empty host, got \":9191\""},
        BadCase{"listen: '::1:9191'",
                "listen: expected host:port with an IPv6 host in brackets (e.g. "
                "\"[::1]:9191\"), got \"::1:9191\""},
        BadCase{"listen: '[::1]9191'", "listen: expected host:port, got \"[::1]9191\""},
        BadCase{"metrics_listen: localhost:123456",
                "metrics_listen: expected host:port with a numeric port, got "
                "\"localhost:123456\""},
        BadCase{"metrics_listen: localhost:65536",
                "metrics_listen: port must be in [0, 65535], got 65536"},
        // upstream
        BadCase{"upstream: {target: ''}",
                "upstream.target: required: the auth service's gRPC target, e.g. "
                "\"authz:8080\" (or set direct_responses.rules_only for a broker that only "
                "answers its rules)"},
        // The target's syntax, as startup needs it: a target without a port used to pass
        // here (and --check-config, and render) and stop the broker at startup.
        BadCase{"upstream: {target: authz.auth.svc.cluster.local}",
                "upstream.target: expected HOST:PORT, dns:///HOST:PORT, ipv4:ADDR:PORT[,...] "
                "or unix:PATH, got \"authz.auth.svc.cluster.local\""},
        BadCase{"upstream: {target: 'dns:///authz.auth.svc.cluster.local'}",
                "upstream.target: expected HOST:PORT, dns:///HOST:PORT, ipv4:ADDR:PORT[,...] "
                "or unix:PATH, got \"dns:///authz.auth.svc.cluster.local\""},
        BadCase{"upstream: {target: 'authz:99999'}",
                "upstream.target: expected HOST:PORT, dns:///HOST:PORT, ipv4:ADDR:PORT[,...] "
                "or unix:PATH, got \"authz:99999\""},
        BadCase{"upstream: {target: 'authz:0'}",
                "upstream.target: expected HOST:PORT, dns:///HOST:PORT, ipv4:ADDR:PORT[,...] "
                "or unix:PATH, got \"authz:0\""},
        BadCase{"upstream: {target: 'ipv4:10.0.0.1'}",
                "upstream.target: expected ADDRESS:PORT items, got \"ipv4:10.0.0.1\""},
        BadCase{"upstream: {target: 'x:1', ca_file: ca, cert_file: c}",
                "upstream.key_file: required when upstream.cert_file is set"},
        BadCase{"upstream: {target: 'x:1', ca_file: ca, key_file: k}",
                "upstream.cert_file: required when upstream.key_file is set"},
        BadCase{"upstream: {target: 'x:1', cert_file: c, key_file: k}",
                "upstream.ca_file: required when upstream.cert_file and upstream.key_file "
                "are set (client certificates need TLS)"},
        BadCase{"upstream: {target: 'x:1', default_deadline: '5'}",
                "upstream.default_deadline: expected a duration such as \"250ms\", \"1.5s\" "
                "or \"2m\", got \"5\""},
        BadCase{"upstream: {target: 'x:1', default_deadline: 0s}",
                "upstream.default_deadline: must be > 0, got \"0s\""},
        BadCase{"upstream: {target: 'x:1', resolve_interval: -1s}",
                "upstream.resolve_interval: must be > 0, got \"-1s\""},
        BadCase{"upstream: {target: 'x:1', resolve_interval: inf}",
                "upstream.resolve_interval: must be finite, got \"inf\""},
        // hedging
        BadCase{"hedging: {max_attempts: 9}", "hedging.max_attempts: must be in [1, 5], got 9"},
        BadCase{"hedging: {max_attempts: 0}", "hedging.max_attempts: must be in [1, 5], got 0"},
        BadCase{"hedging: {quantile: 1}", "hedging.quantile: must be in (0, 1), got 1"},
        BadCase{"hedging: {quantile: 0}", "hedging.quantile: must be in (0, 1), got 0"},
        BadCase{"hedging: {quantile: .nan}", "hedging.quantile: must be in (0, 1), got nan"},
        BadCase{"hedging: {delay_min: 1 ms}",
                "hedging.delay_min: expected a duration such as \"250ms\", \"1.5s\" or "
                "\"2m\", got \"1 ms\""},
        BadCase{"hedging: {delay_max: 0ms}", "hedging.delay_max: must be > 0, got \"0ms\""},
        BadCase{"hedging: {initial_delay: soon}",
                "hedging.initial_delay: expected a duration such as \"250ms\", \"1.5s\" or "
                "\"2m\", got \"soon\""},
        BadCase{"hedging: {window: 0}", "hedging.window: must be > 0, got \"0\""},
        BadCase{"hedging: {delay_min: 2s}",
                "hedging.delay_min: must be <= hedging.delay_max (1s), got 2s"},
        BadCase{"hedging: {delay_min: 20ms, delay_max: 10ms}",
                "hedging.delay_min: must be <= hedging.delay_max (10ms), got 20ms"},
        BadCase{"hedging: {delay_max: 100us}",
                "hedging.delay_max: must be >= hedging.delay_min (1ms), got 100us"},
        BadCase{"hedging: {min_samples: 0}", "hedging.min_samples: must be >= 1, got 0"},
        BadCase{"hedging: {budget: 1.5}", "hedging.budget: must be in [0, 1], got 1.5"},
        BadCase{"hedging: {budget: -0.1}", "hedging.budget: must be in [0, 1], got -0.1"},
        BadCase{"hedging: {non_fatal_codes: [UNAVAILABLE, UNAVAIL]}",
                "hedging.non_fatal_codes[1]: unknown gRPC status code \"UNAVAIL\" (known: OK, "
                "CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, "
                "ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, "
                "ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, "
                "UNAUTHENTICATED)"},
        BadCase{"hedging: {non_fatal_codes: [unavailable]}",
                "hedging.non_fatal_codes[0]: unknown gRPC status code \"unavailable\" (known: "
                "OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, "
                "ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, "
                "ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, "
                "UNAUTHENTICATED)"},
        BadCase{"hedging: {non_fatal_codes: [OK]}",
                "hedging.non_fatal_codes[0]: OK cannot be non-fatal: an OK answer always ends "
                "the call"},
        BadCase{"hedging: {throttling: {max_tokens: 0}}",
                "hedging.throttling.max_tokens: must be in (0, 1000], got 0"},
        BadCase{"hedging: {throttling: {max_tokens: 1001}}",
                "hedging.throttling.max_tokens: must be in (0, 1000], got 1001"},
        BadCase{"hedging: {throttling: {token_ratio: 0}}",
                "hedging.throttling.token_ratio: must be in (0, 1], got 0"},
        BadCase{"hedging: {throttling: {token_ratio: 1.01}}",
                "hedging.throttling.token_ratio: must be in (0, 1], got 1.01"},
        // limits
        BadCase{"limits: {max_inflight: 0}", "limits.max_inflight: must be >= 1, got 0"},
        BadCase{"limits: {max_message_bytes: 1023}",
                "limits.max_message_bytes: must be in [1024, 1073741824], got 1023"},
        BadCase{"limits: {max_message_bytes: 1073741825}",
                "limits.max_message_bytes: must be in [1024, 1073741824], got 1073741825"},
        // forward_methods
        BadCase{"forward_methods: [/a.B/C, Check]",
                "forward_methods[1]: expected a full method name such as "
                "\"/package.Service/Method\", got \"Check\""},
        BadCase{"forward_methods: [/Service/Method]",
                "forward_methods[0]: expected a full method name such as "
                "\"/package.Service/Method\", got \"/Service/Method\""},
        BadCase{"forward_methods: [/a.B/C/D]",
                "forward_methods[0]: expected a full method name such as "
                "\"/package.Service/Method\", got \"/a.B/C/D\""},
        BadCase{"forward_methods: [/a..B/C]",
                "forward_methods[0]: expected a full method name such as "
                "\"/package.Service/Method\", got \"/a..B/C\""},
        BadCase{"forward_methods: ['/a.B/']",
                "forward_methods[0]: expected a full method name such as "
                "\"/package.Service/Method\", got \"/a.B/\""},
        BadCase{"forward_methods: ['/a.B/C d']",
                "forward_methods[0]: expected a full method name such as "
                "\"/package.Service/Method\", got \"/a.B/C d\""},
        // top level
        BadCase{"drain_timeout: 10",
                "drain_timeout: expected a duration such as \"250ms\", "
                "\"1.5s\" or \"2m\", got \"10\""},
        BadCase{"drain_timeout: 0s", "drain_timeout: must be > 0, got \"0s\""},
        BadCase{"shutdown_delay: -1s", "shutdown_delay: must be >= 0, got \"-1s\""},
        BadCase{"shutdown_delay: soon",
                "shutdown_delay: expected a finite duration such as \"5s\", got \"soon\""},
        BadCase{"worker_threads: 65",
                "worker_threads: must be in [0, 64] (0 = number of CPUs), got 65"},
        BadCase{"config_watch_interval: 10ms",
                "config_watch_interval: must be 0 or at least 100ms, got \"10ms\""},
        BadCase{"config_watch_interval: -1s",
                "config_watch_interval: expected a duration >= 0 such as \"2s\" (\"0s\": only "
                "SIGHUP reloads), got \"-1s\""},
        // direct_responses: each kind of bad rule names its key path
        BadCase{"direct_responses: {rules: [{name: a, when: {client_ip: {cidrs: [10.0.0.0/8, "
                "300.1.1.1]}}, respond: {status: 403}}]}",
                "direct_responses.rules[0].when.client_ip.cidrs[1]: \"300.1.1.1\" is not an "
                "IPv4 or IPv6 address or network (\"203.0.113.0/24\", \"2001:db8::/32\", "
                "\"198.51.100.7\")"},
        BadCase{"direct_responses: {rules: [{name: a, when: {client_ip: {cidrs: "
                "['2001:db8::/129']}}, respond: {status: 403}}]}",
                "direct_responses.rules[0].when.client_ip.cidrs[0]: \"2001:db8::/129\" has a "
                "bad prefix length: must be 0..128"},
        BadCase{"direct_responses: {rules: [{name: a, when: {client_ip: {cidrs: [10.1.0.0/8]}}, "
                "respond: {status: 403}}]}",
                "direct_responses.rules[0].when.client_ip.cidrs[0]: \"10.1.0.0/8\" has bits set "
                "after the /8 prefix (did you mean \"10.0.0.0/8\"?)"},
        BadCase{"direct_responses: {rules: [{name: a, when: {any: [{method: GET}, {header: "
                "{name: x-a, regex: '(a'}}]}, respond: {status: 400}}]}",
                "direct_responses.rules[0].when.any[1].header.regex: \"(a\" is not a valid RE2 "
                "regular expression: missing ): (a"},
        BadCase{"direct_responses: {rules: [{name: a, respond: {status: 400}, when: {method: "
                "GET}}, {name: a, respond: {status: 401}}]}",
                "direct_responses.rules[1].name: \"a\" is used twice (also "
                "direct_responses.rules[0])"},
        BadCase{"direct_responses: {rules: [{name: a, respond: {status: 100}}]}",
                "direct_responses.rules[0].respond.status: must be in [200, 599], got 100 (Envoy "
                "sends whatever number the broker gives: 0 would become 403, 1xx or > 599 a "
                "broken response)"},
        BadCase{"direct_responses: {rules: [{name: a, respond: {status: 403, headers: "
                "{content-length: '3'}}}]}",
                "direct_responses.rules[0].respond.headers[\"content-length\"]: "
                "\"content-length\" cannot be set: Envoy recomputes, overwrites or removes it "
                "in the response it sends"},
        BadCase{"direct_responses: {rules: [{name: a, respond: {status: 204, body: x}}]}",
                "direct_responses.rules[0].respond.body: a 204 response carries no body; "
                "remove it"},
        BadCase{"direct_responses: {rules: [{name: a, when: {header: {name: X-A, present: "
                "true}}, respond: {status: 403}}]}",
                "direct_responses.rules[0].when.header.name: \"X-A\" must be lowercase (Istio "
                "matches lowercase names): \"x-a\""},
        BadCase{"direct_responses: {rules: [{name: a, when: {method: GET, path: {exact: /}}, "
                "respond: {status: 403}}]}",
                "direct_responses.rules[0].when: set exactly one of header, path, method, all, "
                "any, not, headers_equal, client_ip (use `all` to combine tests)"},
        BadCase{"direct_responses: {rules: [{name: a, respond: {status: 403}}, {name: b, "
                "respond: {status: 403}}]}",
                "direct_responses.rules[1]: can never answer: direct_responses.rules[0] has no "
                "`when` and answers every request"},
        BadCase{"direct_responses: {hosts: ['api.*'], rules: [{name: a, respond: {status: 403}}]}",
                "direct_responses.hosts[0]: \"api.*\" is not a lowercase DNS name, \"*.\" + a "
                "DNS name, or \"*\""},
        BadCase{"direct_responses: {num_trusted_proxies: 65}",
                "direct_responses.num_trusted_proxies: must be in [0, 64], got 65"},
        BadCase{"direct_responses: {rules_only: true}",
                "upstream.target: must be unset with direct_responses.rules_only (no auth "
                "service is called: requests no rule answers are allowed)"},
        // cache
        BadCase{"cache: {ttl: 30s}",
                "cache.key_headers: required to turn the cache on (the headers the auth "
                "service's decision depends on, e.g. [authorization])"},
        BadCase{"cache: {key_host: true}",
                "cache.key_headers: required to turn the cache on (the headers the auth "
                "service's decision depends on, e.g. [authorization])"},
        BadCase{"cache: {key_headers: [authorization]}",
                "cache.ttl: required with cache.key_headers (how long an allow is served from "
                "the cache, e.g. \"30s\")"},
        BadCase{"cache: {key_headers: [Authorization], ttl: 30s}",
                "cache.key_headers[0]: \"Authorization\" must be lowercase: \"authorization\""},
        BadCase{"cache: {key_headers: [authorization, 'x y'], ttl: 30s}",
                "cache.key_headers[1]: \"x y\" is not a valid HTTP header name"},
        BadCase{"cache: {key_headers: [':path'], ttl: 30s}",
                "cache.key_headers[0]: pseudo-headers are keyed with key_method, key_host and "
                "key_path, got \":path\""},
        BadCase{"cache: {key_headers: [cookie, cookie], ttl: 30s}",
                "cache.key_headers[1]: duplicate \"cookie\""},
        BadCase{"cache: {key_headers: [cookie], ttl: 0s}", "cache.ttl: must be > 0, got \"0s\""},
        BadCase{"cache: {key_headers: [cookie], ttl: 25h}",
                "cache.ttl: must be at most 24h, got 25h"},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, deny_ttl: -1s}",
                "cache.deny_ttl: expected a finite duration >= 0 such as \"30s\" (\"0s\": off), "
                "got \"-1s\""},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, stale_ttl: soon}",
                "cache.stale_ttl: expected a finite duration >= 0 such as \"30s\" (\"0s\": "
                "off), got \"soon\""},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, key_path: {prefix_segments: 0}}",
                "cache.key_path.prefix_segments: must be in [1, 64], got 0"},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, key_path: {exact: false}}",
                "cache.key_path.exact: must be true (leave key_path out for none)"},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, key_path: {}}",
                "cache.key_path: set exact: true or prefix_segments: N"},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, max_entries: 15}",
                "cache.max_entries: must be in [16, 10000000], got 15"},
        BadCase{"cache: {key_headers: [cookie], ttl: 1s, max_bytes: 1000}",
                "cache.max_bytes: must be in [65536, 17179869184], got 1000"}));

TEST(ValidateBrokerConfigTest, CacheIsOffByDefaultAndConvertsEveryField) {
  absl::StatusOr<BrokerSettings> settings = Validate("{}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_FALSE(settings->cache.enabled());

  settings = Validate("cache: {key_headers: [authorization], ttl: 30s}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_TRUE(settings->cache.enabled());
  EXPECT_THAT(settings->cache.key.headers, ElementsAre("authorization"));
  EXPECT_EQ(settings->cache.ttl, absl::Seconds(30));
  // The documented defaults.
  EXPECT_EQ(settings->cache.deny_ttl, absl::ZeroDuration());
  EXPECT_EQ(settings->cache.stale_ttl, absl::ZeroDuration());
  EXPECT_EQ(settings->cache.max_entries, 100000u);
  EXPECT_EQ(settings->cache.max_bytes, 33554432u);
  EXPECT_TRUE(settings->cache.coalesce);
  EXPECT_FALSE(settings->cache.key.method || settings->cache.key.host ||
               settings->cache.key.source_address);
  EXPECT_EQ(settings->cache.key.path, cache::KeySpec::Path::kNone);

  settings = Validate(
      "cache: {key_headers: [authorization, cookie], key_method: true, key_host: true, "
      "key_path: {prefix_segments: 2}, key_source_address: true, ttl: 1m, deny_ttl: 5s, "
      "stale_ttl: 10m, max_entries: 16, max_bytes: 65536, coalesce: false}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_THAT(settings->cache.key.headers, ElementsAre("authorization", "cookie"));
  EXPECT_TRUE(settings->cache.key.method && settings->cache.key.host &&
              settings->cache.key.source_address);
  EXPECT_EQ(settings->cache.key.path, cache::KeySpec::Path::kPrefix);
  EXPECT_EQ(settings->cache.key.path_segments, 2u);
  EXPECT_EQ(settings->cache.ttl, absl::Minutes(1));
  EXPECT_EQ(settings->cache.deny_ttl, absl::Seconds(5));
  EXPECT_EQ(settings->cache.stale_ttl, absl::Minutes(10));
  EXPECT_EQ(settings->cache.max_entries, 16u);
  EXPECT_EQ(settings->cache.max_bytes, 65536u);
  EXPECT_FALSE(settings->cache.coalesce);

  settings = Validate("cache: {key_headers: [cookie], ttl: 24h, key_path: {exact: true}}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->cache.key.path, cache::KeySpec::Path::kExact);

  // A rules-only broker has no upstream answers to cache.
  BrokerConfig rules_only;
  ASSERT_TRUE(YamlTextToProto("direct_responses: {rules_only: true}\ncache: {key_headers: "
                              "[cookie], ttl: 1s}\n",
                              &rules_only, "test.yaml")
                  .ok());
  const absl::StatusOr<BrokerSettings> refused = ValidateBrokerConfig(rules_only);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(Message(refused.status()),
            "cache: must be unset with direct_responses.rules_only (there is no upstream whose "
            "answers could be cached)");
}

TEST(ValidateBrokerConfigTest, DirectResponsesCompileAndRulesOnlyNeedsNoUpstream) {
  absl::StatusOr<BrokerSettings> settings = Validate(
      "direct_responses: {num_trusted_proxies: 2, rules: [{name: block, when: "
      "{client_ip: {cidrs: [203.0.113.0/24, '2001:db8::/32', 198.51.100.7]}}, "
      "respond: {status: 403}}, {name: rest, respond: {status: 400}}]}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  ASSERT_NE(settings->direct_responses.rules, nullptr);
  EXPECT_EQ(settings->direct_responses.rules->size(), 2u);
  EXPECT_EQ(settings->direct_responses.rules->cidr_count(), 3u);
  EXPECT_EQ(settings->direct_responses.num_trusted_proxies, 2u);
  EXPECT_FALSE(settings->direct_responses.rules_only);
  EXPECT_EQ(settings->config_watch_interval, absl::Seconds(2));

  // No rules: the opaque path (no rule set at all).
  settings = Validate("direct_responses: {rules: []}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->direct_responses.rules, nullptr);

  BrokerConfig rules_only;
  ASSERT_TRUE(YamlTextToProto("direct_responses: {rules_only: true, rules: [{name: a, respond: "
                              "{status: 403}}]}\nconfig_watch_interval: 0s\n",
                              &rules_only, "test.yaml")
                  .ok());
  settings = ValidateBrokerConfig(rules_only);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_TRUE(settings->direct_responses.rules_only);
  // No upstream: nothing but Check can be answered.
  BrokerConfig with_method = rules_only;
  with_method.add_forward_methods("/pkg.Svc/Method");
  const absl::StatusOr<BrokerSettings> refused = ValidateBrokerConfig(with_method);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(Message(refused.status()),
            "forward_methods: must be empty with direct_responses.rules_only (there is no "
            "upstream to forward other methods to)");
  EXPECT_TRUE(settings->upstream.target.empty());
  EXPECT_EQ(settings->config_watch_interval, absl::ZeroDuration());
}

TEST(LoadBrokerSettingsTest, NoFileUsesOverridesAndDefaults) {
  BrokerConfig overrides;
  overrides.mutable_upstream()->set_target("authz:1");
  overrides.mutable_hedging()->set_max_attempts(3);
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings("", overrides);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->upstream.target, "authz:1");
  EXPECT_EQ(settings->hedging.max_attempts, 3);
  EXPECT_EQ(settings->listen, "127.0.0.1:9191");
}

TEST(LoadBrokerSettingsTest, NoFileAndNoTargetIsAnError) {
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings("", BrokerConfig());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(settings.status()), StartsWith("upstream.target: required"));
}

TEST(LoadBrokerSettingsTest, ReadsTheFile) {
  TempFile file("good.yaml", R"(# broker config
upstream:
  target: dns:///authz.auth.svc.cluster.local:8080
hedging:
  max_attempts: 3
  quantile: 0.9
)");
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), BrokerConfig());
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->upstream.target, "dns:///authz.auth.svc.cluster.local:8080");
  EXPECT_EQ(settings->hedging.max_attempts, 3);
  EXPECT_DOUBLE_EQ(settings->hedging.quantile, 0.9);
}

TEST(LoadBrokerSettingsTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = ::testing::TempDir() + "config_test_no_such_file.yaml";
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(path, BrokerConfig());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(settings.status()), StartsWith("cannot open " + path + ": "));
}

TEST(LoadBrokerSettingsTest, YamlSyntaxErrorNamesPathAndLine) {
  TempFile file("syntax.yaml", "upstream:\n  target: a:1\nhedging: {max_attempts: 2\n");
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), BrokerConfig());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(settings.status()), StartsWith(file.path() + ":4:1: invalid YAML: "));
}

TEST(LoadBrokerSettingsTest, SchemaErrorNamesPathLineColumnAndKey) {
  TempFile file("typo.yaml", "upstream:\n  target: a:1\nhedging:\n  max_atempts: 2\n");
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), BrokerConfig());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(settings.status()),
              StartsWith(file.path() + ":4:3: hedging.max_atempts: unknown key (known keys: "));
}

TEST(LoadBrokerSettingsTest, ValidationErrorsFromTheFileNameTheKeyPath) {
  TempFile file("range.yaml", "upstream: {target: a:1}\nhedging: {max_attempts: 9}\n");
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), BrokerConfig());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(settings.status()), "hedging.max_attempts: must be in [1, 5], got 9");
}

TEST(LoadBrokerSettingsTest, OverridesWinFieldByFieldAndKeepTheRestOfTheFile) {
  TempFile file("base.yaml", R"(
listen: 127.0.0.1:1000
upstream:
  target: file-target:1
  default_deadline: 2s
hedging:
  max_attempts: 3
  quantile: 0.9
  throttling: {max_tokens: 50, token_ratio: 0.5}
worker_threads: 2
)");
  BrokerConfig overrides;
  overrides.mutable_upstream()->set_target("flag-target:2");
  overrides.mutable_hedging()->set_max_attempts(4);
  overrides.mutable_hedging()->mutable_throttling()->set_token_ratio(0.25);
  overrides.set_worker_threads(0);  // an explicit zero still overrides
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), overrides);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->listen, "127.0.0.1:1000");
  EXPECT_EQ(settings->upstream.target, "flag-target:2");
  EXPECT_EQ(settings->upstream.default_deadline, absl::Seconds(2));
  EXPECT_EQ(settings->hedging.max_attempts, 4);
  EXPECT_DOUBLE_EQ(settings->hedging.quantile, 0.9);
  EXPECT_DOUBLE_EQ(settings->hedging.throttle_max_tokens, 50);
  EXPECT_DOUBLE_EQ(settings->hedging.throttle_token_ratio, 0.25);
  EXPECT_EQ(settings->worker_threads, 0);
}

TEST(LoadBrokerSettingsTest, RepeatedOverridesReplaceTheFilesList) {
  TempFile file("lists.yaml", R"(
upstream: {target: a:1}
hedging: {non_fatal_codes: [UNAVAILABLE, ABORTED]}
forward_methods: [/a.B/C, /d.E/F]
)");
  {
    BrokerConfig overrides;
    overrides.add_forward_methods("/x.Y/Z");
    overrides.mutable_hedging()->add_non_fatal_codes("DEADLINE_EXCEEDED");
    const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), overrides);
    ASSERT_TRUE(settings.ok()) << settings.status();
    EXPECT_THAT(settings->forward_methods, ElementsAre(kCheckMethod, "/x.Y/Z"));
    EXPECT_THAT(settings->hedging.non_fatal_codes, ElementsAre(GrpcCode::kDeadlineExceeded));
  }
  {
    // Empty lists in the overrides leave the file's lists alone.
    const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), BrokerConfig());
    ASSERT_TRUE(settings.ok()) << settings.status();
    EXPECT_THAT(settings->forward_methods, ElementsAre(kCheckMethod, "/a.B/C", "/d.E/F"));
    EXPECT_THAT(settings->hedging.non_fatal_codes,
                ElementsAre(GrpcCode::kAborted, GrpcCode::kUnavailable));
  }
}

TEST(LoadBrokerSettingsTest, AnEmptyOverrideTurnsOffTlsFromTheFile) {
  TempFile file("tls.yaml", "upstream: {target: a:1, ca_file: /ca.pem}\n");
  BrokerConfig overrides;
  overrides.mutable_upstream()->set_ca_file("");
  const absl::StatusOr<BrokerSettings> settings = LoadBrokerSettings(file.path(), overrides);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->upstream.ca_file, "");
}

TEST(GrpcCodesTest, NamesRoundTripForEveryCode) {
  const char* const names[] = {"OK",
                               "CANCELLED",
                               "UNKNOWN",
                               "INVALID_ARGUMENT",
                               "DEADLINE_EXCEEDED",
                               "NOT_FOUND",
                               "ALREADY_EXISTS",
                               "PERMISSION_DENIED",
                               "RESOURCE_EXHAUSTED",
                               "FAILED_PRECONDITION",
                               "ABORTED",
                               "OUT_OF_RANGE",
                               "UNIMPLEMENTED",
                               "INTERNAL",
                               "UNAVAILABLE",
                               "DATA_LOSS",
                               "UNAUTHENTICATED"};
  for (int code = 0; code <= 16; ++code) {
    SCOPED_TRACE(code);
    EXPECT_EQ(GrpcCodeName(static_cast<GrpcCode>(code)), names[code]);
    EXPECT_EQ(GrpcCodeFromName(names[code]), static_cast<GrpcCode>(code));
  }
  EXPECT_EQ(GrpcCodeFromName("DEADLINE_EXCEEDED"), GrpcCode::kDeadlineExceeded);
  EXPECT_EQ(GrpcCodeFromName("UNAUTHENTICATED"), GrpcCode::kUnauthenticated);
}

TEST(GrpcCodesTest, UnknownNamesAndNumbers) {
  EXPECT_EQ(GrpcCodeFromName(""), std::nullopt);
  EXPECT_EQ(GrpcCodeFromName("unavailable"), std::nullopt);
  EXPECT_EQ(GrpcCodeFromName("UNAVAILABLE "), std::nullopt);
  EXPECT_EQ(GrpcCodeFromName("14"), std::nullopt);
  // Total: any integer an upstream might send maps to a bounded label.
  EXPECT_EQ(GrpcCodeName(static_cast<GrpcCode>(17)), "UNKNOWN");
  EXPECT_EQ(GrpcCodeName(static_cast<GrpcCode>(-1)), "UNKNOWN");
  EXPECT_EQ(GrpcCodeName(static_cast<GrpcCode>(1000)), "UNKNOWN");
}

TEST(GrpcCodesTest, AllNamesListsTheCodesInOrder) {
  EXPECT_EQ(AllGrpcCodeNames(),
            "OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, "
            "ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, "
            "ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, "
            "UNAUTHENTICATED");
}

}  // namespace
}  // namespace edgekit::broker
