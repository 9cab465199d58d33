// Tests for rules/rule_set: the semantics of each condition, first-match order, host
// selection, the compiled responses, and the validation messages with their key paths.
// Rules are written as the broker config's `direct_responses` YAML section.
#include "rules/rule_set.h"

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/ip_set.h"
#include "tests/testing/fake_request.h"

namespace edgekit::rules {
namespace {

using ::edgekit::broker::v1::DirectResponses;
using ::edgekit::testing::FakeRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

DirectResponses Parse(const std::string& yaml) {
  DirectResponses config;
  const absl::Status parsed = YamlTextToProto(yaml, &config, "test.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed;
  return config;
}

absl::StatusOr<std::shared_ptr<const RuleSet>> CompileConfig(const DirectResponses& config) {
  return RuleSet::Compile(config.rules(), config.hosts(), "direct_responses");
}

// Compiles `yaml`, which must be valid; null (and a test failure) otherwise.
std::shared_ptr<const RuleSet> MustCompile(const std::string& yaml) {
  absl::StatusOr<std::shared_ptr<const RuleSet>> set = CompileConfig(Parse(yaml));
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *std::move(set) : nullptr;
}

std::string ErrorOf(const DirectResponses& config) {
  absl::StatusOr<std::shared_ptr<const RuleSet>> set = CompileConfig(config);
  if (set.ok()) return "(compiled)";
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(set.status().message());
}
std::string CompileError(const std::string& yaml) { return ErrorOf(Parse(yaml)); }

// One rule with condition `when` (a YAML flow mapping) and a 403 answer.
std::string OneRule(absl::string_view when) {
  return absl::StrCat("rules:\n  - name: r\n    when: ", when, "\n    respond: {status: 403}\n");
}

// Whether the single rule `when` holds for `request`.
bool Holds(absl::string_view when, const FakeRequest& request) {
  std::shared_ptr<const RuleSet> set = MustCompile(OneRule(when));
  if (set == nullptr) return false;
  const int match = set->Match(request);
  EXPECT_TRUE(match == 0 || match == -1) << match;
  return match == 0;
}

TEST(RuleSetTest, HeaderExact) {
  const std::string when = "{header: {name: x-foo, exact: \"1\"}}";
  EXPECT_TRUE(Holds(when, FakeRequest().Header("x-foo", "1")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-foo", "11")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-foo", "")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-bar", "1")));
  EXPECT_FALSE(Holds(when, FakeRequest()));
}

TEST(RuleSetTest, HeaderExactEmptyValue) {
  const std::string when = "{header: {name: x-foo, exact: \"\"}}";
  EXPECT_TRUE(Holds(when, FakeRequest().Header("x-foo", "")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-foo", "a")));
  EXPECT_FALSE(Holds(when, FakeRequest()));
}

TEST(RuleSetTest, HeaderPrefix) {
  const std::string when = "{header: {name: authorization, prefix: \"Bearer \"}}";
  EXPECT_TRUE(Holds(when, FakeRequest().Header("authorization", "Bearer abc")));
  EXPECT_TRUE(Holds(when, FakeRequest().Header("authorization", "Bearer ")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("authorization", "Bearer")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("authorization", "bearer abc")));
  EXPECT_FALSE(Holds(when, FakeRequest()));
}

TEST(RuleSetTest, HeaderRegexMatchesTheWholeValue) {
  const std::string when = "{header: {name: user-agent, regex: \"curl/[0-9.]+\"}}";
  EXPECT_TRUE(Holds(when, FakeRequest().Header("user-agent", "curl/8.5.0")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("user-agent", "curl/8.5.0 extra")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("user-agent", "xcurl/8")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("user-agent", "curl/")));
  EXPECT_FALSE(Holds(when, FakeRequest()));
  // RE2 syntax (no backreferences needed): alternation and classes.
  const std::string alt = "{header: {name: x-env, regex: \"(dev|stag(e|ing))-\\\\d+\"}}";
  EXPECT_TRUE(Holds(alt, FakeRequest().Header("x-env", "staging-12")));
  EXPECT_TRUE(Holds(alt, FakeRequest().Header("x-env", "dev-1")));
  EXPECT_FALSE(Holds(alt, FakeRequest().Header("x-env", "prod-1")));
}

TEST(RuleSetTest, HeaderPresentAndAbsent) {
  for (absl::string_view when :
       {"{header: {name: x-debug, present: true}}", "{header: {name: x-debug, absent: false}}"}) {
    EXPECT_TRUE(Holds(when, FakeRequest().Header("x-debug", ""))) << when;
    EXPECT_TRUE(Holds(when, FakeRequest().Header("x-debug", "1"))) << when;
    EXPECT_FALSE(Holds(when, FakeRequest())) << when;
  }
  for (absl::string_view when :
       {"{header: {name: x-debug, absent: true}}", "{header: {name: x-debug, present: false}}"}) {
    EXPECT_FALSE(Holds(when, FakeRequest().Header("x-debug", ""))) << when;
    EXPECT_TRUE(Holds(when, FakeRequest().Header("x-other", "1"))) << when;
    EXPECT_TRUE(Holds(when, FakeRequest())) << when;
  }
}

TEST(RuleSetTest, PathExactIgnoresTheQueryString) {
  const std::string when = "{path: {exact: /healthz}}";
  EXPECT_TRUE(Holds(when, FakeRequest().Path("/healthz")));
  EXPECT_TRUE(Holds(when, FakeRequest().Path("/healthz?probe=1")));
  EXPECT_TRUE(Holds(when, FakeRequest().Path("/healthz?")));
  EXPECT_FALSE(Holds(when, FakeRequest().Path("/healthz/")));
  EXPECT_FALSE(Holds(when, FakeRequest().Path("/healthzz")));
  EXPECT_FALSE(Holds(when, FakeRequest().Path("/health")));
}

TEST(RuleSetTest, PathRegexIgnoresTheQueryString) {
  const std::string when = "{path: {regex: \"/api/v[0-9]+/items\"}}";
  EXPECT_TRUE(Holds(when, FakeRequest().Path("/api/v2/items")));
  EXPECT_TRUE(Holds(when, FakeRequest().Path("/api/v2/items?limit=5")));
  EXPECT_FALSE(Holds(when, FakeRequest().Path("/api/v2/items/7")));
  EXPECT_FALSE(Holds(when, FakeRequest().Path("/x/api/v2/items")));
  // The regex cannot see the query string at all.
  EXPECT_FALSE(Holds("{path: {regex: \".*limit.*\"}}", FakeRequest().Path("/a?limit=5")));
}

TEST(RuleSetTest, PathPrefixSeesTheWholePath) {
  EXPECT_TRUE(Holds("{path: {prefix: /admin}}", FakeRequest().Path("/admin")));
  EXPECT_TRUE(Holds("{path: {prefix: /admin}}", FakeRequest().Path("/administrator")));
  EXPECT_TRUE(Holds("{path: {prefix: /admin}}", FakeRequest().Path("/admin/x?y=1")));
  EXPECT_FALSE(Holds("{path: {prefix: /admin}}", FakeRequest().Path("/Admin")));
  EXPECT_FALSE(Holds("{path: {prefix: /admin}}", FakeRequest().Path("/api/admin")));
  // Unlike exact and regex, a prefix reaches into the query string.
  const std::string query = "{path: {prefix: \"/search?q=\"}}";
  EXPECT_TRUE(Holds(query, FakeRequest().Path("/search?q=edge")));
  EXPECT_FALSE(Holds(query, FakeRequest().Path("/search")));
}

TEST(RuleSetTest, MethodIsCaseSensitive) {
  EXPECT_TRUE(Holds("{method: DELETE}", FakeRequest().Method("DELETE")));
  EXPECT_FALSE(Holds("{method: DELETE}", FakeRequest().Method("delete")));
  EXPECT_FALSE(Holds("{method: DELETE}", FakeRequest().Method("GET")));
}

TEST(RuleSetTest, AllAnyNotNest) {
  // The seed's rule: everything but requests with both x-foo: 1 and x-bar: 1.
  const std::string seed =
      "{not: {all: [{header: {name: x-foo, exact: \"1\"}}, {header: {name: x-bar, exact: "
      "\"1\"}}]}}";
  EXPECT_FALSE(Holds(seed, FakeRequest().Header("x-foo", "1").Header("x-bar", "1")));
  EXPECT_TRUE(Holds(seed, FakeRequest().Header("x-foo", "1")));
  EXPECT_TRUE(Holds(seed, FakeRequest().Header("x-bar", "1")));
  EXPECT_TRUE(Holds(seed, FakeRequest().Header("x-foo", "1").Header("x-bar", "2")));
  EXPECT_TRUE(Holds(seed, FakeRequest()));

  // any of (POST to /upload, any method to /admin unless x-admin is present)
  const std::string nested =
      "{any: [{all: [{method: POST}, {path: {prefix: /upload}}]}, {all: [{path: {prefix: "
      "/admin}}, {not: {header: {name: x-admin, present: true}}}]}]}";
  EXPECT_TRUE(Holds(nested, FakeRequest().Method("POST").Path("/upload/a")));
  EXPECT_FALSE(Holds(nested, FakeRequest().Method("PUT").Path("/upload/a")));
  EXPECT_TRUE(Holds(nested, FakeRequest().Path("/admin")));
  EXPECT_FALSE(Holds(nested, FakeRequest().Path("/admin").Header("x-admin", "")));
  EXPECT_FALSE(Holds(nested, FakeRequest().Path("/other")));

  EXPECT_TRUE(Holds("{not: {not: {method: GET}}}", FakeRequest().Method("GET")));
  EXPECT_FALSE(Holds("{not: {not: {method: GET}}}", FakeRequest().Method("PUT")));
  EXPECT_TRUE(Holds("{all: [{method: GET}]}", FakeRequest()));
  EXPECT_FALSE(Holds("{any: [{method: PUT}, {method: POST}]}", FakeRequest()));
}

TEST(RuleSetTest, HeadersEqual) {
  const std::string when = "{headers_equal: [x-a, x-b, x-c]}";
  EXPECT_TRUE(Holds(when, FakeRequest().Header("x-a", "v").Header("x-b", "v").Header("x-c", "v")));
  EXPECT_TRUE(Holds(when, FakeRequest().Header("x-a", "").Header("x-b", "").Header("x-c", "")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-a", "v").Header("x-b", "v").Header("x-c", "w")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-a", "w").Header("x-b", "v").Header("x-c", "v")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-a", "v").Header("x-b", "v")));
  EXPECT_FALSE(Holds(when, FakeRequest().Header("x-b", "v").Header("x-c", "v")));
  EXPECT_FALSE(Holds(when, FakeRequest()));  // all absent: not "equal"
  const std::string two = "{headers_equal: [x-a, x-b]}";
  EXPECT_FALSE(Holds(two, FakeRequest().Header("x-a", "")));
  EXPECT_FALSE(Holds(two, FakeRequest().Header("x-b", "")));
}

TEST(RuleSetTest, ClientIp) {
  const std::string when = "{client_ip: {cidrs: [203.0.113.0/24, \"2001:db8::/32\"]}}";
  EXPECT_TRUE(Holds(when, FakeRequest().ClientIp("203.0.113.9")));
  EXPECT_TRUE(Holds(when, FakeRequest().ClientIp("::ffff:203.0.113.9")));
  EXPECT_TRUE(Holds(when, FakeRequest().ClientIp("2001:db8::7")));
  EXPECT_FALSE(Holds(when, FakeRequest().ClientIp("203.0.114.0")));
  EXPECT_FALSE(Holds(when, FakeRequest().ClientIp("2001:db9::")));
  EXPECT_FALSE(Holds(when, FakeRequest()));  // unknown client address
  EXPECT_TRUE(Holds("{not: {client_ip: {cidrs: [10.0.0.0/8]}}}", FakeRequest()));
}

TEST(RuleSetTest, CidrCountSumsEveryClientIpTest) {
  std::shared_ptr<const RuleSet> set = MustCompile(R"(
rules:
  - name: a
    when: {client_ip: {cidrs: [10.0.0.0/8, 10.1.0.0/16]}}
    respond: {status: 403}
  - name: b
    when: {any: [{client_ip: {cidrs: ["::1"]}}, {not: {client_ip: {cidrs: [192.0.2.1]}}}]}
    respond: {status: 403}
)");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->cidr_count(), 4u);
  EXPECT_EQ(set->size(), 2u);
}

TEST(RuleSetTest, FirstMatchWins) {
  std::shared_ptr<const RuleSet> set = MustCompile(R"(
rules:
  - name: blocked
    when: {client_ip: {cidrs: [198.51.100.0/24]}}
    respond: {status: 403, body: blocked}
  - name: health
    when: {path: {exact: /healthz}}
    respond: {status: 200, body: ok}
  - name: admin
    when: {path: {prefix: /}}
    respond: {status: 404}
)");
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->size(), 3u);
  EXPECT_EQ(set->rules()[0].name, "blocked");
  EXPECT_EQ(set->rules()[2].name, "admin");
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz").ClientIp("198.51.100.1")), 0);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz").ClientIp("198.51.101.1")), 1);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz")), 1);
  EXPECT_EQ(set->Match(FakeRequest().Path("/x")), 2);
  EXPECT_EQ(set->Match(FakeRequest().Path("x")), -1);  // no rule holds
  // Matching resumes after a rule (how a dry-run rule is passed over).
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz").ClientIp("198.51.100.1"), 1), 1);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz").ClientIp("198.51.100.1"), 2), 2);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz"), 3), -1);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz"), 99), -1);
}

TEST(RuleSetTest, DryRunKeepsTheFlagAndACatchAllInDryRunHidesNothing) {
  std::shared_ptr<const RuleSet> set = MustCompile(R"(
rules:
  - name: everything
    dry_run: true
    respond: {status: 403}
  - name: health
    when: {path: {exact: /healthz}}
    respond: {status: 200}
)");
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(set->rules()[0].dry_run);
  EXPECT_FALSE(set->rules()[1].dry_run);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz")), 0);
  EXPECT_EQ(set->Match(FakeRequest().Path("/healthz"), 1), 1);

  // The whole section in dry run: every rule is, whatever its own setting.
  RuleSet::Options options;
  options.dry_run = true;
  const DirectResponses config = Parse(
      "rules: [{name: a, respond: {status: 403}}, {name: b, when: {method: GET}, respond: "
      "{status: 403}}]");
  auto all = RuleSet::Compile(config.rules(), config.hosts(), "direct_responses", options);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_TRUE((*all)->rules()[0].dry_run);
  EXPECT_TRUE((*all)->rules()[1].dry_run);
}

TEST(RuleSetTest, RuleWithoutWhenMatchesEverything) {
  std::shared_ptr<const RuleSet> set = MustCompile(R"(
rules:
  - name: first
    when: {method: POST}
    respond: {status: 405}
  - name: rest
    respond: {status: 503}
)");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->Match(FakeRequest().Method("POST")), 0);
  EXPECT_EQ(set->Match(FakeRequest()), 1);
  EXPECT_EQ(set->Match(FakeRequest().Method("").Path("").Host("")), 1);
}

TEST(RuleSetTest, NoRulesMatchNothing) {
  std::shared_ptr<const RuleSet> set = MustCompile("hosts: [api.example.com]\n");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->size(), 0u);
  EXPECT_EQ(set->Match(FakeRequest()), -1);
}

// Whether a catch-all rule for `hosts` (a YAML flow sequence) answers a request for `host`.
bool HostSelected(absl::string_view hosts, const std::string& host) {
  std::shared_ptr<const RuleSet> set = MustCompile(
      absl::StrCat("hosts: ", hosts, "\nrules:\n  - name: all\n    respond: {status: 403}\n"));
  if (set == nullptr) return false;
  return set->Match(FakeRequest().Host(host)) == 0;
}

TEST(RuleSetHostsTest, ExactHost) {
  const absl::string_view hosts = "[api.example.com, www.example.org]";
  EXPECT_TRUE(HostSelected(hosts, "api.example.com"));
  EXPECT_TRUE(HostSelected(hosts, "www.example.org"));
  EXPECT_FALSE(HostSelected(hosts, "example.com"));
  EXPECT_FALSE(HostSelected(hosts, "a.api.example.com"));
  EXPECT_FALSE(HostSelected(hosts, "api.example.co"));
  EXPECT_FALSE(HostSelected(hosts, ""));
}

TEST(RuleSetHostsTest, PortIsStripped) {
  const absl::string_view hosts = "[api.example.com]";
  EXPECT_TRUE(HostSelected(hosts, "api.example.com:8443"));
  EXPECT_TRUE(HostSelected(hosts, "api.example.com:80"));
  EXPECT_FALSE(HostSelected(hosts, "api.example.org:8443"));
}

TEST(RuleSetHostsTest, HostIsCaseInsensitive) {
  const absl::string_view hosts = "[api.example.com, \"*.example.org\"]";
  EXPECT_TRUE(HostSelected(hosts, "API.Example.COM"));
  EXPECT_TRUE(HostSelected(hosts, "API.EXAMPLE.COM:8443"));
  EXPECT_TRUE(HostSelected(hosts, "WWW.Example.Org"));
  EXPECT_FALSE(HostSelected(hosts, "Example.Org"));
}

TEST(RuleSetHostsTest, WildcardTakesSubdomainsAtAnyDepthButNotTheDomain) {
  const absl::string_view hosts = "[\"*.example.com\"]";
  EXPECT_TRUE(HostSelected(hosts, "a.example.com"));
  EXPECT_TRUE(HostSelected(hosts, "a.b.example.com"));
  EXPECT_TRUE(HostSelected(hosts, "a.b.example.com:443"));
  EXPECT_FALSE(HostSelected(hosts, "example.com"));
  EXPECT_FALSE(HostSelected(hosts, "example.com:443"));
  EXPECT_FALSE(HostSelected(hosts, ".example.com"));
  EXPECT_FALSE(HostSelected(hosts, "aexample.com"));
  EXPECT_FALSE(HostSelected(hosts, "a.example.com.evil.net"));
  EXPECT_FALSE(HostSelected(hosts, "a.example.org"));
}

TEST(RuleSetHostsTest, BracketedIpv6Authority) {
  EXPECT_FALSE(HostSelected("[api.example.com]", "[2001:db8::1]:443"));
  EXPECT_FALSE(HostSelected("[api.example.com]", "[2001:db8::1]"));
  EXPECT_FALSE(HostSelected("[\"*.example.com\"]", "[2001:db8::1]:443"));
  EXPECT_TRUE(HostSelected("[]", "[2001:db8::1]:443"));
}

TEST(RuleSetHostsTest, NoHostsOrStarIsEveryHost) {
  for (absl::string_view hosts : {"[]", "[\"*\"]", "[api.example.com, \"*\"]"}) {
    EXPECT_TRUE(HostSelected(hosts, "api.example.com")) << hosts;
    EXPECT_TRUE(HostSelected(hosts, "other.example.net:8080")) << hosts;
    EXPECT_TRUE(HostSelected(hosts, "[2001:db8::1]:443")) << hosts;
    EXPECT_TRUE(HostSelected(hosts, "")) << hosts;
  }
}

TEST(RuleSetHostsTest, HostsGateEveryRule) {
  std::shared_ptr<const RuleSet> set = MustCompile(R"(
hosts: [api.example.com]
rules:
  - name: a
    when: {method: GET}
    respond: {status: 403}
)");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->Match(FakeRequest().Host("api.example.com")), 0);
  EXPECT_EQ(set->Match(FakeRequest().Host("web.example.com")), -1);
}

TEST(RuleSetTest, CompiledResponse) {
  std::shared_ptr<const RuleSet> set = MustCompile(R"(
rules:
  - name: teapot
    when: {path: {exact: /tea}}
    respond:
      status: 418
      body: "short and stout\n"
      headers: {x-zeta: "z", content-type: text/plain, retry-after: "120", a-first: ""}
  - name: empty
    respond: {status: 204}
)");
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->size(), 2u);
  const RuleResponse& r = set->rules()[0].respond;
  EXPECT_EQ(set->rules()[0].name, "teapot");
  EXPECT_EQ(r.status, 418u);
  EXPECT_EQ(r.body, "short and stout\n");
  EXPECT_THAT(r.headers, ElementsAre(Pair("a-first", ""), Pair("content-type", "text/plain"),
                                     Pair("retry-after", "120"), Pair("x-zeta", "z")));
  const RuleResponse& empty = set->rules()[1].respond;
  EXPECT_EQ(empty.status, 204u);
  EXPECT_EQ(empty.body, "");
  EXPECT_TRUE(empty.headers.empty());
}

TEST(RuleSetTest, StatusBoundaries) {
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 200}}]"), "(compiled)");
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 599}}]"), "(compiled)");
  for (int status : {0, 100, 199, 600, 1000}) {
    EXPECT_EQ(CompileError(absl::StrCat("rules: [{name: a, respond: {status: ", status, "}}]")),
              absl::StrCat("direct_responses.rules[0].respond.status: must be in [200, 599], got ",
                           status,
                           " (Envoy sends whatever number the broker gives: 0 would become 403, "
                           "1xx or > 599 a broken response)"));
  }
}

// --- Validation messages ---

// A condition nested `levels` deep (the header test at the innermost level).
std::string Nested(int nots) {
  std::string when = "{header: {name: x, present: true}}";
  for (int i = 0; i < nots; ++i) when = absl::StrCat("{not: ", when, "}");
  return when;
}

TEST(RuleSetErrorTest, NestingDeeperThan32Levels) {
  // `when` is level 1; each `not` adds one.
  EXPECT_EQ(CompileError(OneRule(Nested(31))), "(compiled)");
  std::string path = "direct_responses.rules[0].when";
  for (int i = 0; i < 32; ++i) path += ".not";
  EXPECT_EQ(CompileError(OneRule(Nested(32))),
            absl::StrCat(path, ": conditions nest more than 32 levels deep"));
  // Through all / any too.
  std::string list = "{header: {name: x, present: true}}";
  for (int i = 0; i < 40; ++i) list = absl::StrCat("{", i % 2 ? "all" : "any", ": [", list, "]}");
  EXPECT_THAT(CompileError(OneRule(list)), HasSubstr(": conditions nest more than 32 levels deep"));
  EXPECT_THAT(CompileError(OneRule(list)),
              ::testing::StartsWith("direct_responses.rules[0].when.all[0].any[0].all[0]"));
}

TEST(RuleSetErrorTest, NestingLimitHoldsForAHugeDocument) {
  // Far beyond the limit: refused, not a stack overflow.
  DirectResponses config = Parse(OneRule("{method: GET}"));
  v1::Condition* c = config.mutable_rules(0)->mutable_when();
  c->Clear();
  for (int i = 0; i < 2000; ++i) c = c->mutable_not_();
  c->set_method("GET");
  EXPECT_THAT(ErrorOf(config), HasSubstr("conditions nest more than 32 levels deep"));
}

TEST(RuleSetErrorTest, EmptyCondition) {
  EXPECT_EQ(CompileError(OneRule("{}")),
            "direct_responses.rules[0].when: an empty condition: set one of header, path, "
            "method, all, any, not, headers_equal, client_ip (omit `when` to match every "
            "request)");
  EXPECT_EQ(CompileError(OneRule("{all: [{method: GET}, {}]}")),
            "direct_responses.rules[0].when.all[1]: an empty condition: set one of header, path, "
            "method, all, any, not, headers_equal, client_ip (omit `when` to match every "
            "request)");
  EXPECT_EQ(CompileError(OneRule("{not: {}}")),
            "direct_responses.rules[0].when.not: an empty condition: set one of header, path, "
            "method, all, any, not, headers_equal, client_ip (omit `when` to match every "
            "request)");
}

TEST(RuleSetErrorTest, TwoTestsInOneCondition) {
  EXPECT_EQ(CompileError(OneRule("{method: GET, path: {exact: /}}")),
            "direct_responses.rules[0].when: set exactly one of header, path, method, all, any, "
            "not, headers_equal, client_ip (use `all` to combine tests)");
}

TEST(RuleSetErrorTest, HeaderTests) {
  EXPECT_EQ(CompileError(OneRule("{header: {name: x-a, exact: a, prefix: b}}")),
            "direct_responses.rules[0].when.header: set exactly one of exact, prefix, regex, "
            "present, absent");
  EXPECT_EQ(CompileError(OneRule("{header: {name: x-a}}")),
            "direct_responses.rules[0].when.header: set exactly one of exact, prefix, regex, "
            "present, absent");
  EXPECT_EQ(CompileError(OneRule("{header: {name: x-a, prefix: \"\"}}")),
            "direct_responses.rules[0].when.header.prefix: must not be empty (use present: true)");
  EXPECT_EQ(CompileError(OneRule("{header: {name: X-A, present: true}}")),
            "direct_responses.rules[0].when.header.name: \"X-A\" must be lowercase (Istio "
            "matches lowercase names): \"x-a\"");
  EXPECT_EQ(CompileError(OneRule("{header: {present: true}}")),
            "direct_responses.rules[0].when.header.name: required: a header name such as "
            "\"x-foo\"");
  EXPECT_EQ(CompileError(OneRule("{header: {name: x-a, exact: \"a\\nb\"}}")),
            "direct_responses.rules[0].when.header.exact: a header value cannot contain CR, LF or "
            "NUL");
  EXPECT_THAT(CompileError(OneRule("{header: {name: x-a, regex: \"(\"}}")),
              ::testing::StartsWith("direct_responses.rules[0].when.header.regex: \"(\" is not a "
                                    "valid RE2 regular expression: "));
}

TEST(RuleSetErrorTest, HeadersEqualWithOneName) {
  EXPECT_EQ(CompileError(OneRule("{headers_equal: [x-a]}")),
            "direct_responses.rules[0].when.headers_equal: name at least two headers to compare");
  EXPECT_EQ(CompileError(OneRule("{headers_equal: [x-a, \":path\"]}")),
            "direct_responses.rules[0].when.headers_equal[1]: \":path\": pseudo-headers cannot be "
            "tested here; use `path` or `method`");
}

TEST(RuleSetErrorTest, PathTests) {
  EXPECT_EQ(CompileError(OneRule("{path: {prefix: \"\"}}")),
            "direct_responses.rules[0].when.path.prefix: \"\" never matches: a request path "
            "starts with \"/\"");
  EXPECT_EQ(CompileError(OneRule("{path: {exact: api/v1}}")),
            "direct_responses.rules[0].when.path.exact: \"api/v1\" never matches: a request path "
            "starts with \"/\"");
  EXPECT_EQ(CompileError(OneRule("{path: {prefix: api}}")),
            "direct_responses.rules[0].when.path.prefix: \"api\" never matches: a request path "
            "starts with \"/\"");
  EXPECT_EQ(CompileError(OneRule("{path: {}}")),
            "direct_responses.rules[0].when.path: set exactly one of exact, prefix, regex");
  EXPECT_EQ(CompileError(OneRule("{path: {exact: /a, regex: /b}}")),
            "direct_responses.rules[0].when.path: set exactly one of exact, prefix, regex");
}

TEST(RuleSetErrorTest, BadMethodToken) {
  EXPECT_EQ(CompileError(OneRule("{method: \"GET POST\"}")),
            "direct_responses.rules[0].when.method: \"GET POST\" is not an HTTP method such as "
            "\"GET\"");
  EXPECT_EQ(CompileError(OneRule("{method: \"\"}")),
            "direct_responses.rules[0].when.method: \"\" is not an HTTP method such as \"GET\"");
}

// client_ip.cidrs_file: read only when asked (the broker), from the base directory;
// comments and blank lines skipped; an error names the key, the file and the line.
TEST(RuleSetTest, CidrsFileIsReadFromTheBaseDirectoryWhenAsked) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/block.txt") << "# feed, 2026-12-02\n203.0.113.0/24 ; SBL1\n\n"
                                    << "  2001:db8::/32  \n198.51.100.7 # one host\n";
  const DirectResponses config =
      Parse(OneRule("{client_ip: {cidrs: [192.0.2.1], cidrs_file: block.txt}}"));
  RuleSet::Options options;
  options.read_files = true;
  options.base_dir = dir;
  absl::StatusOr<std::shared_ptr<const RuleSet>> set =
      RuleSet::Compile(config.rules(), config.hosts(), "direct_responses", options);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->cidr_count(), 4u);
  EXPECT_EQ((*set)->files(), std::vector<std::string>{dir + "/block.txt"});
  for (const char* in : {"203.0.113.9", "2001:db8::1", "198.51.100.7", "192.0.2.1"}) {
    FakeRequest r;
    r.ClientIp(in);
    EXPECT_EQ((*set)->Match(r), 0) << in;
  }
  FakeRequest out;
  out.ClientIp("198.51.100.8");
  EXPECT_EQ((*set)->Match(out), -1);

  // Not asked to read (the CLI): only the inline entries count, no file is touched.
  absl::StatusOr<std::shared_ptr<const RuleSet>> unread = CompileConfig(config);
  ASSERT_TRUE(unread.ok()) << unread.status();
  EXPECT_EQ((*unread)->cidr_count(), 1u);
  EXPECT_TRUE((*unread)->files().empty());

  std::ofstream(dir + "/bad.txt") << "10.0.0.0/8\n# fine so far\n10.1.0.0/8\n";
  const DirectResponses bad = Parse(OneRule("{client_ip: {cidrs_file: bad.txt}}"));
  set = RuleSet::Compile(bad.rules(), bad.hosts(), "direct_responses", options);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "direct_responses.rules[0].when.client_ip.cidrs_file: " + dir +
                "/bad.txt:3: \"10.1.0.0/8\" has bits set after the /8 prefix (did you mean "
                "\"10.0.0.0/8\"?)");
  const DirectResponses missing = Parse(OneRule("{client_ip: {cidrs_file: nowhere.txt}}"));
  set = RuleSet::Compile(missing.rules(), missing.hosts(), "direct_responses", options);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.status().message()),
              ::testing::StartsWith("direct_responses.rules[0].when.client_ip.cidrs_file: "));
  EXPECT_THAT(std::string(set.status().message()), ::testing::HasSubstr("nowhere.txt"));
}

TEST(RuleSetErrorTest, ClientIpErrorsNameTheEntry) {
  EXPECT_EQ(CompileError(OneRule("{client_ip: {cidrs: []}}")),
            "direct_responses.rules[0].when.client_ip.cidrs: list at least one network "
            "(\"203.0.113.0/24\") or address, or a cidrs_file");
  EXPECT_EQ(CompileError(OneRule("{all: [{method: GET}, {client_ip: {cidrs: [10.0.0.0/8, "
                                 "10.1.0.0/8]}}]}")),
            "direct_responses.rules[0].when.all[1].client_ip.cidrs[1]: \"10.1.0.0/8\" has bits "
            "set after the /8 prefix (did you mean \"10.0.0.0/8\"?)");
}

TEST(RuleSetErrorTest, MissingRespondOrStatus) {
  EXPECT_EQ(CompileError("rules: [{name: a, when: {method: GET}}]"),
            "direct_responses.rules[0].respond: required: the status (and body, headers) to "
            "answer");
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {body: x}}]"),
            "direct_responses.rules[0].respond.status: required, 200..599");
  EXPECT_EQ(CompileError("rules: [{name: a, when: {method: GET}, respond: {status: 200}}, {name: "
                         "b, respond: {}}]"),
            "direct_responses.rules[1].respond.status: required, 200..599");
}

TEST(RuleSetErrorTest, BodyOverOneMebibyte) {
  DirectResponses config = Parse("rules: [{name: a, respond: {status: 200}}]");
  config.mutable_rules(0)->mutable_respond()->set_body(std::string(1048576, 'x'));
  EXPECT_EQ(ErrorOf(config), "(compiled)");
  config.mutable_rules(0)->mutable_respond()->set_body(std::string(1048577, 'x'));
  EXPECT_EQ(ErrorOf(config),
            "direct_responses.rules[0].respond.body: is 1048577 bytes; at most 1 MB (1048576 "
            "bytes)");
}

TEST(RuleSetErrorTest, BodyOnABodylessStatus) {
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 204, body: x}}]"),
            "direct_responses.rules[0].respond.body: a 204 response carries no body; remove it");
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 304, body: x}}]"),
            "direct_responses.rules[0].respond.body: a 304 response carries no body; remove it");
}

TEST(RuleSetErrorTest, RefusedResponseHeaders) {
  for (absl::string_view name :
       {"server", "connection", "host", "content-length", "transfer-encoding", "upgrade",
        "keep-alive", "te", "trailer", "proxy-connection"}) {
    EXPECT_EQ(CompileError(absl::StrCat("rules: [{name: a, respond: {status: 403, headers: {", name,
                                        ": v}}}]")),
              absl::StrCat("direct_responses.rules[0].respond.headers[\"", name, "\"]: \"", name,
                           "\" cannot be set: Envoy recomputes, overwrites or removes it in the "
                           "response it sends"));
  }
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 403, headers: {Server: v}}}]"),
            "direct_responses.rules[0].respond.headers[\"Server\"]: \"Server\" must be lowercase "
            "(Istio matches lowercase names): \"server\"");
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 403, headers: {x-a: \"1\\r\\n\"}}}]"),
            "direct_responses.rules[0].respond.headers[\"x-a\"]: a header value cannot contain "
            "CR, LF or NUL");
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 403, headers: {x-served-by: e}}}]"),
            "(compiled)");
}

TEST(RuleSetErrorTest, RuleNames) {
  EXPECT_EQ(CompileError("rules: [{name: Bad_Name, respond: {status: 403}}]"),
            "direct_responses.rules[0].name: \"Bad_Name\" is not a Kubernetes name (lowercase "
            "letters, digits and '-', at most 63)");
  EXPECT_EQ(CompileError(absl::StrCat("rules: [{name: ", std::string(64, 'a'),
                                      ", respond: {status: 403}}]")),
            absl::StrCat("direct_responses.rules[0].name: \"", std::string(64, 'a'),
                         "\" is not a Kubernetes name (lowercase letters, digits and '-', at "
                         "most 63)"));
  EXPECT_EQ(CompileError("rules: [{name: \"-a\", respond: {status: 403}}]"),
            "direct_responses.rules[0].name: \"-a\" is not a Kubernetes name (lowercase "
            "letters, digits and '-', at most 63)");
  EXPECT_EQ(CompileError("rules: [{respond: {status: 403}}]"),
            "direct_responses.rules[0].name: required: a name for messages and metrics");
  EXPECT_EQ(CompileError("rules: [{name: \"\", respond: {status: 403}}]"),
            "direct_responses.rules[0].name: required: a name for messages and metrics");
  EXPECT_EQ(CompileError("rules: [{name: a, when: {method: GET}, respond: {status: 403}}, "
                         "{name: b, when: {method: PUT}, respond: {status: 403}}, "
                         "{name: a, respond: {status: 403}}]"),
            "direct_responses.rules[2].name: \"a\" is used twice (also "
            "direct_responses.rules[0])");
}

TEST(RuleSetErrorTest, RuleAfterACatchAll) {
  EXPECT_EQ(CompileError("rules: [{name: a, respond: {status: 403}}, {name: b, when: {method: "
                         "GET}, respond: {status: 403}}]"),
            "direct_responses.rules[1]: can never answer: direct_responses.rules[0] has no "
            "`when` and answers every request");
}

TEST(RuleSetErrorTest, BadHosts) {
  EXPECT_EQ(CompileError("hosts: [api.example.com, Api.Example.com]"),
            "direct_responses.hosts[1]: \"Api.Example.com\" is not a lowercase DNS name, \"*.\" "
            "+ a DNS name, or \"*\"");
  EXPECT_EQ(CompileError("hosts: [\"api.example.com:443\"]"),
            "direct_responses.hosts[0]: \"api.example.com:443\" is not a lowercase DNS name, "
            "\"*.\" + a DNS name, or \"*\"");
  EXPECT_EQ(CompileError("hosts: [\"*example.com\"]"),
            "direct_responses.hosts[0]: \"*example.com\" is not a lowercase DNS name, \"*.\" + a "
            "DNS name, or \"*\"");
}

}  // namespace
}  // namespace edgekit::rules
