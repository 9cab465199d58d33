// The product's VirtualService evaluator (cli/explain/istio_routes.h) on each Istio match
// semantic it models, with requests built as the gateway sees them (explain/request.h).
#include "cli/explain/istio_routes.h"

#include <string>
#include <utility>
#include <vector>

#include "cli/explain/authz_policy.h"
#include "cli/explain/request.h"
#include "gtest/gtest.h"

namespace edgekit::cli::explain {
namespace {

YAML::Node Vs(const std::string& http) {
  return YAML::Load("spec:\n  hosts: [api.example.com]\n  http:\n" + http);
}

GatewayRequest Req(std::string path, std::vector<std::pair<std::string, std::string>> headers = {},
                   std::string method = "GET", std::string host = "api.example.com") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.host = std::move(host);
  r.headers = std::move(headers);
  absl::StatusOr<GatewayRequest> made = GatewayRequest::Make(r, PathNormalization::kNone, 0);
  EXPECT_TRUE(made.ok()) << made.status();
  return *std::move(made);
}

// The name of the route taken, "" for none.
std::string Taken(const YAML::Node& vs, const GatewayRequest& r) {
  absl::StatusOr<RouteVerdict> v = EvaluateVirtualService(vs, r);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? v->name : "error";
}

const char kTwo[] =
    "    - name: a\n      match: [{MATCH}]\n      route: [{destination: {host: a.svc}}]\n"
    "    - name: fallback\n      route: [{destination: {host: f.svc}}]\n";

YAML::Node WithMatch(const std::string& match) {
  std::string text = kTwo;
  text.replace(text.find("{MATCH}"), 7, match);
  return Vs(text);
}

TEST(IstioRoutesTest, UriMatchersSeeThePathWithoutQueryOrFragment) {
  EXPECT_EQ(Taken(WithMatch("{uri: {exact: /v1/x}}"), Req("/v1/x?a=1")), "a");
  EXPECT_EQ(Taken(WithMatch("{uri: {exact: /v1/x}}"), Req("/v1/x#frag")), "a");
  EXPECT_EQ(Taken(WithMatch("{uri: {regex: '/v1/[a-z]+'}}"), Req("/v1/x?a=1")), "a");
  EXPECT_EQ(Taken(WithMatch("{uri: {prefix: '/v1/x?a'}}"), Req("/v1/x?a=1")), "fallback");
  // RE2 full match, not a search.
  EXPECT_EQ(Taken(WithMatch("{uri: {regex: '/v1'}}"), Req("/v1/x")), "fallback");
}

TEST(IstioRoutesTest, IgnoreUriCaseAppliesToExactAndPrefixNotRegex) {
  EXPECT_EQ(Taken(WithMatch("{uri: {exact: /V1/X}, ignoreUriCase: true}"), Req("/v1/x")), "a");
  EXPECT_EQ(Taken(WithMatch("{uri: {prefix: /V1/}, ignoreUriCase: true}"), Req("/v1/x")), "a");
  EXPECT_EQ(Taken(WithMatch("{uri: {regex: /V1/X}, ignoreUriCase: true}"), Req("/v1/x")),
            "fallback");
  EXPECT_EQ(Taken(WithMatch("{uri: {exact: /V1/X}}"), Req("/v1/x")), "fallback");
}

TEST(IstioRoutesTest, AuthorityAndMethodAreCaseSensitiveOnTheWholeValue) {
  EXPECT_EQ(Taken(WithMatch("{authority: {exact: api.example.com}}"),
                  Req("/", {}, "GET", "api.example.com:8443")),
            "fallback");
  EXPECT_EQ(Taken(WithMatch("{authority: {prefix: api.example.com}}"),
                  Req("/", {}, "GET", "api.example.com:8443")),
            "a");
  EXPECT_EQ(Taken(WithMatch("{authority: {exact: api.example.com}}"),
                  Req("/", {}, "GET", "API.example.com")),
            "fallback");
  EXPECT_EQ(Taken(WithMatch("{method: {exact: GET}}"), Req("/", {}, "get")), "fallback");
  EXPECT_EQ(Taken(WithMatch("{method: {regex: 'GET|HEAD'}}"), Req("/", {}, "HEAD")), "a");
}

TEST(IstioRoutesTest, HeadersTestTheJoinedValue) {
  const YAML::Node vs = WithMatch("{headers: {x-a: {exact: '1,2'}}}");
  EXPECT_EQ(Taken(vs, Req("/", {{"X-A", "1"}, {"x-a", "2"}})), "a");
  EXPECT_EQ(Taken(vs, Req("/", {{"x-a", "1"}})), "fallback");
  EXPECT_EQ(Taken(WithMatch("{headers: {x-a: {}}}"), Req("/", {{"x-a", ""}})), "a");
  EXPECT_EQ(Taken(WithMatch("{headers: {x-a: {}}}"), Req("/")), "fallback");
  EXPECT_EQ(Taken(WithMatch("{headers: {x-a: {regex: '*'}}}"), Req("/", {{"x-a", "z"}})), "a");
  // A value matcher on a missing header fails.
  EXPECT_EQ(Taken(WithMatch("{headers: {x-a: {regex: '.*'}}}"), Req("/")), "fallback");
}

TEST(IstioRoutesTest, WithoutHeadersTestAMissingHeaderAsEmpty) {
  // {} means absent.
  EXPECT_EQ(Taken(WithMatch("{withoutHeaders: {x-a: {}}}"), Req("/")), "a");
  EXPECT_EQ(Taken(WithMatch("{withoutHeaders: {x-a: {}}}"), Req("/", {{"x-a", "1"}})), "fallback");
  // A value matcher: missing is "" (treat_missing_header_as_empty, Istio >= 1.22).
  EXPECT_EQ(Taken(WithMatch("{withoutHeaders: {x-a: {exact: '1'}}}"), Req("/")), "a");
  EXPECT_EQ(Taken(WithMatch("{withoutHeaders: {x-a: {exact: ''}}}"), Req("/")), "fallback");
  EXPECT_EQ(Taken(WithMatch("{withoutHeaders: {x-a: {exact: '1'}}}"), Req("/", {{"x-a", "1"}})),
            "fallback");
  EXPECT_EQ(Taken(WithMatch("{withoutHeaders: {x-a: {exact: '1'}}}"), Req("/", {{"x-a", "2"}})),
            "a");
}

TEST(IstioRoutesTest, QueryParamsFirstValueUndecoded) {
  const YAML::Node vs = WithMatch("{queryParams: {v: {exact: '2'}}}");
  EXPECT_EQ(Taken(vs, Req("/x?v=2")), "a");
  EXPECT_EQ(Taken(vs, Req("/x?v=1&v=2")), "fallback");  // the first occurrence wins
  EXPECT_EQ(Taken(vs, Req("/x?w=2")), "fallback");
  EXPECT_EQ(Taken(WithMatch("{queryParams: {v: {exact: 'a%20b'}}}"), Req("/x?v=a%20b")), "a");
  EXPECT_EQ(Taken(WithMatch("{queryParams: {v: {exact: ''}}}"), Req("/x?v")), "a");
  EXPECT_EQ(Taken(WithMatch("{queryParams: {v: {prefix: 'ab'}}}"), Req("/x?v=abc")), "a");
  EXPECT_EQ(Taken(WithMatch("{queryParams: {v: {regex: '[0-9]+'}}}"), Req("/x?v=12")), "a");
}

TEST(IstioRoutesTest, BlocksAreOredKeysAnded) {
  const YAML::Node vs =
      WithMatch("{uri: {prefix: /a}, method: {exact: POST}}, {uri: {prefix: /b}}");
  EXPECT_EQ(Taken(vs, Req("/a", {}, "POST")), "a");
  EXPECT_EQ(Taken(vs, Req("/a", {}, "GET")), "fallback");
  EXPECT_EQ(Taken(vs, Req("/b", {}, "GET")), "a");
  absl::StatusOr<RouteVerdict> v = EvaluateVirtualService(vs, Req("/b"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->match_block, 1);
  EXPECT_EQ(v->destination_host, "a.svc");
}

TEST(IstioRoutesTest, DirectResponsesAndNoRoute) {
  const YAML::Node vs =
      Vs("    - name: teapot\n      match: [{uri: {exact: /tea}}]\n"
         "      directResponse: {status: 418, body: {string: short and stout}}\n"
         "      headers: {response: {set: {content-type: text/plain}}}\n");
  absl::StatusOr<RouteVerdict> v = EvaluateVirtualService(vs, Req("/tea"));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->direct);
  EXPECT_EQ(v->status, 418u);
  EXPECT_EQ(v->body, "short and stout");
  EXPECT_EQ(v->response_headers,
            (std::vector<std::pair<std::string, std::string>>{{"content-type", "text/plain"}}));
  absl::StatusOr<RouteVerdict> none = EvaluateVirtualService(vs, Req("/coffee"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->index, -1);
}

TEST(IstioRoutesTest, WhatIsNotModelledIsAnErrorNamingTheRoute) {
  absl::StatusOr<RouteVerdict> v = EvaluateVirtualService(WithMatch("{port: 8080}"), Req("/"));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("route \"a\" match[0]: match key \"port\""),
            std::string::npos)
      << v.status();
  absl::StatusOr<RouteVerdict> bad_regex =
      EvaluateVirtualService(WithMatch("{uri: {regex: '('}}"), Req("/"));
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_NE(bad_regex.status().message().find("does not compile"), std::string::npos);
}

TEST(IstioRoutesTest, HostsPickTheVirtualServiceAsEnvoyPicksAVirtualHost) {
  EXPECT_TRUE(HostMatchesPattern("api.example.com", "api.example.com"));
  EXPECT_TRUE(HostMatchesPattern("API.example.com:443", "api.example.com"));
  EXPECT_TRUE(HostMatchesPattern("a.b.example.com", "*.example.com"));
  EXPECT_FALSE(HostMatchesPattern("example.com", "*.example.com"));
  EXPECT_TRUE(HostMatchesPattern("anything", "*"));
  EXPECT_FALSE(HostMatchesPattern("api.example.org", "api.example.com"));
}

TEST(GatewayRequestTest, PathNormalizationLevels) {
  EXPECT_EQ(NormalizePath("/a/./b/../c?x=/../", PathNormalization::kBase), "/a/c?x=/../");
  EXPECT_EQ(NormalizePath("/a//b/../c", PathNormalization::kBase), "/a//c");
  EXPECT_EQ(NormalizePath("/a//b/../c", PathNormalization::kMergeSlashes), "/a/c");
  EXPECT_EQ(NormalizePath("/a%2Fb/..", PathNormalization::kMergeSlashes), "/");
  EXPECT_EQ(NormalizePath("/a%2fb/..", PathNormalization::kDecodeAndMergeSlashes), "/a/");
  EXPECT_EQ(NormalizePath("/a/./b", PathNormalization::kNone), "/a/./b");
  EXPECT_EQ(NormalizePath("/..", PathNormalization::kBase), "/");
}

TEST(GatewayRequestTest, ClientAddressFromTrustedHops) {
  HttpRequest r;
  r.host = "api.example.com";
  r.client_ip = "10.0.0.1";
  r.xff = "203.0.113.7, 10.0.0.9";
  absl::StatusOr<GatewayRequest> two = GatewayRequest::Make(r, PathNormalization::kBase, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two->header("x-forwarded-for"), "203.0.113.7, 10.0.0.9,10.0.0.1");
  EXPECT_EQ(two->client_ip(), rules::ParseIpAddress("203.0.113.7"));
  absl::StatusOr<GatewayRequest> none = GatewayRequest::Make(r, PathNormalization::kBase, 0);
  EXPECT_EQ(none->client_ip(), rules::ParseIpAddress("10.0.0.1"));
  absl::StatusOr<GatewayRequest> many = GatewayRequest::Make(r, PathNormalization::kBase, 5);
  EXPECT_EQ(many->client_ip(), rules::ParseIpAddress("10.0.0.1"));  // too few entries
}

TEST(GatewayRequestTest, BadRequestsAreRefusedByName) {
  auto problem = [](HttpRequest r) {
    absl::StatusOr<GatewayRequest> made = GatewayRequest::Make(r, PathNormalization::kBase, 0);
    return made.ok() ? std::string() : std::string(made.status().message());
  };
  HttpRequest ok;
  ok.host = "h";
  HttpRequest r = ok;
  r.path = "v1";
  EXPECT_NE(problem(r).find("must start with '/'"), std::string::npos);
  r = ok;
  r.method = "GE T";
  EXPECT_NE(problem(r).find("method \"GE T\""), std::string::npos);
  r = ok;
  r.headers = {{"bad name", "1"}};
  EXPECT_NE(problem(r).find("header name \"bad name\""), std::string::npos);
  r = ok;
  r.client_ip = "10.0.0.300";
  EXPECT_NE(problem(r).find("client_ip \"10.0.0.300\""), std::string::npos);
  r = ok;
  r.xff = "1.2.3.4";
  r.headers = {{"X-Forwarded-For", "5.6.7.8"}};
  EXPECT_NE(problem(r).find("given twice"), std::string::npos);
}

// The CUSTOM AuthorizationPolicy as Istio translates it: rules OR'd, `to` and `from`
// AND'd, items OR'd; paths exact / prefix* / *suffix / *, on the path without query;
// ipBlocks on the TCP peer; what is not modelled is an error.
TEST(AuthzPolicyTest, RulesToFromAndPathForms) {
  auto calls = [](const std::string& rules, const std::string& path, const std::string& peer,
                  const std::string& method = "GET") -> std::string {
    AuthzModel policy{"p", YAML::Load(rules)};
    HttpRequest h;
    h.host = "h";
    h.path = path;
    h.method = method;
    h.client_ip = peer;
    h.xff = "10.9.9.9";  // never what ipBlocks test
    absl::StatusOr<GatewayRequest> r = GatewayRequest::Make(h, PathNormalization::kBase, 1);
    EXPECT_TRUE(r.ok());
    std::string why;
    absl::StatusOr<bool> called = CustomPolicyCalls(policy, *r, &why);
    if (!called.ok()) return "error: " + std::string(called.status().message());
    return *called ? "called" : "excluded: " + why;
  };
  const std::string excl =
      "[{to: [{operation: {notPaths: [/healthz, /public/*, '*.png']}}], "
      "from: [{source: {notIpBlocks: [10.0.0.0/8]}}]}]";
  EXPECT_EQ(calls(excl, "/v1", "192.0.2.1"), "called");
  EXPECT_EQ(calls(excl, "/healthz?x=1", "192.0.2.1"),
            "excluded: the path matches notPaths \"/healthz\" (ext_authz.excluded_paths)");
  EXPECT_EQ(calls(excl, "/public/a", "192.0.2.1").substr(0, 8), "excluded");
  EXPECT_EQ(calls(excl, "/img/a.png", "192.0.2.1").substr(0, 8), "excluded");
  EXPECT_EQ(calls(excl, "/publicx", "192.0.2.1"), "called");
  EXPECT_EQ(calls(excl, "/v1", "10.1.2.3"),
            "excluded: the TCP peer 10.1.2.3 is in notIpBlocks \"10.0.0.0/8\" "
            "(ext_authz.excluded_cidrs)");
  // A second rule that holds sends the request anyway (rules are OR'd).
  EXPECT_EQ(calls("[{to: [{operation: {paths: [/a]}}]}, {to: [{operation: {methods: [POST]}}]}]",
                  "/b", "192.0.2.1", "POST"),
            "called");
  EXPECT_EQ(calls("[{to: [{operation: {paths: ['*']}}]}]", "/", "192.0.2.1"), "called");
  EXPECT_EQ(calls("[{from: [{source: {ipBlocks: [192.0.2.0/24]}}]}]", "/", "198.51.100.1"),
            "excluded: the TCP peer is in none of ipBlocks");
  EXPECT_EQ(calls("[{to: [{operation: {notMethods: [GET]}}]}]", "/", "192.0.2.1"),
            "excluded: the method is in notMethods");
  EXPECT_EQ(calls("[]", "/", "192.0.2.1").substr(0, 8), "excluded");  // no rule: never applies
  EXPECT_EQ(calls("[{to: [{operation: {hosts: [a]}}]}]", "/", "192.0.2.1"),
            "error: AuthorizationPolicy p: operation.hosts is not modelled");
  EXPECT_EQ(calls("[{when: [{key: 'request.auth.claims[iss]'}]}]", "/", "192.0.2.1"),
            "error: AuthorizationPolicy p: `when` conditions are not modelled");
}

}  // namespace
}  // namespace edgekit::cli::explain
