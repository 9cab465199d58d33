// The CEL evaluator (cli/validate/cel): table-driven cases, each an expression evaluated
// against one fixed `self` (a small object built from std::map and std::vector), with the
// result as CEL prints it or the error it must report; then the Compile errors.
#include "cli/validate/cel/cel.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace edgekit::cli::cel {
namespace {

class TestList : public ListData {
 public:
  explicit TestList(std::vector<Value> items) : items_(std::move(items)) {}
  size_t size() const override { return items_.size(); }
  Value at(size_t i) const override { return items_[i]; }

 private:
  std::vector<Value> items_;
};

// String keys only, like a YAML object; Select undoes Kubernetes' escaping of property
// names as the validator's own adapter does (x__dash__y is the property "x-y").
class TestMap : public MapData {
 public:
  explicit TestMap(std::map<std::string, Value> entries) : entries_(std::move(entries)) {}
  size_t size() const override { return entries_.size(); }
  std::optional<Value> Find(const Value& key) const override {
    if (key.kind() != Value::Kind::kString) return std::nullopt;
    auto it = entries_.find(key.string_value());
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Value> Select(absl::string_view field) const override {
    std::string name = absl::StrReplaceAll(field, {{"__dash__", "-"}, {"__dot__", "."}});
    return Find(Value::String(name));
  }
  void ForEachKey(const std::function<bool(const Value&)>& fn) const override {
    for (const auto& entry : entries_) {
      if (!fn(Value::String(entry.first))) return;
    }
  }

 private:
  std::map<std::string, Value> entries_;
};

Value L(std::vector<Value> items) {
  return Value::List(std::make_shared<TestList>(std::move(items)));
}
Value M(std::map<std::string, Value> entries) {
  return Value::Map(std::make_shared<TestMap>(std::move(entries)));
}
Value S(const char* s) { return Value::String(s); }
Value I(int64_t i) { return Value::Int(i); }

Value Self() {
  return M({
      {"name", S("web-1")},
      {"count", I(3)},
      {"items", L({I(1), I(2), I(3)})},
      {"zeros", L({I(1), I(0)})},
      {"tags", M({{"a", S("x")}, {"b", S("y")}})},
      {"x-y", S("dashed")},
      {"word", S("h\xC3\xA9llo")},  // héllo: 5 code points, 6 bytes
      {"ports",
       L({M({{"name", S("http")}, {"port", I(80)}}), M({{"name", S("https")}, {"port", I(443)}})})},
      {"timeout", S("1h30m")},
  });
}

struct Case {
  const char* expr;
  const char* want;  // DebugString of the result, or "error: <substring>"
};

std::string EvalText(const char* expr) {
  absl::StatusOr<std::unique_ptr<Program>> p = Program::Compile(expr);
  if (!p.ok()) return "compile: " + std::string(p.status().message());
  Value v = (*p)->Evaluate(Self());
  if (v.IsError()) return "error: " + std::string(v.error().message());
  return v.DebugString();
}

void Check(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    std::string got = EvalText(c.expr);
    std::string want = c.want;
    if (want.rfind("error: ", 0) == 0) {
      EXPECT_EQ(got.rfind("error: ", 0), 0u) << c.expr << " => " << got;
      EXPECT_NE(got.find(want.substr(7)), std::string::npos) << c.expr << " => " << got;
    } else {
      EXPECT_EQ(got, want) << c.expr;
    }
  }
}

TEST(CelTest, LiteralsAndArithmetic) {
  Check({
      {"1 + 2 * 3", "7"},
      {"7 / 2", "3"},
      {"-7 % 3", "-1"},
      {"1u + 2u", "3u"},
      {"0x10", "16"},
      {"1.5 * 2.0", "3"},
      {"'a' + \"b\" + r'\\n' + '''c'd''' + \"\"\"e\"f\"\"\"", "\"ab\\\\nc'de\\\"f\""},
      {"'\\x41\\u00e9\\101'",
       "\"A\xC3\xA9"
       "A\""},
      {"b'abc' == bytes('abc')", "true"},
      {"[1, 2] + [3]", "[1, 2, 3]"},
      {"{'a': 1}['a']", "1"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"9223372036854775807 + 1", "error: return error for overflow"},
      {"-9223372036854775807 - 2", "error: return error for overflow"},
      {"4611686018427387904 * 2", "error: return error for overflow"},
      {"0u - 1u", "error: return error for overflow"},
      {"1 / 0", "error: division by zero"},
      {"1 % 0", "error: modulus by zero"},
      {"1 + 1.0", "error: no such overload"},
      {"null == null", "true"},
  });
}

TEST(CelTest, EqualityAndOrdering) {
  Check({
      {"1 == 1.0", "true"},
      {"1 == 1u", "true"},
      {"1 == 'a'", "false"},
      {"[1, 'a'] == [1, 'a']", "true"},
      {"{'a': 1} == {'a': 1.0}", "true"},
      {"1 < 1.5", "true"},
      {"2u > -1", "true"},
      {"'a' < 'b'", "true"},
      {"1 < 'a'", "error: no such overload"},
      {"1 in [1.0, 2]", "true"},
      {"'a' in self.tags", "true"},
      {"'z' in self.tags", "false"},
  });
}

TEST(CelTest, ErrorsAreAbsorbedOrPropagated) {
  Check({
      {"false && (1/0 == 1)", "false"},
      {"(1/0 == 1) && false", "false"},
      {"true && (1/0 == 1)", "error: division by zero"},
      {"true || (1/0 == 1)", "true"},
      {"(1/0 == 1) || true", "true"},
      {"false || (1/0 == 1)", "error: division by zero"},
      {"self.zeros.all(x, 1/x > 0)", "error: division by zero"},
      {"[0, 1].all(x, x > 0 && 1/x > 0)", "false"},
      {"[1, 0].exists(x, 1/x == 1)", "true"},
      {"[0, 1].exists(x, 1/x == 2)", "error: division by zero"},
      {"[1, 0].exists_one(x, 1/x == 1)", "error: division by zero"},
      {"[1, 0].filter(x, 1/x == 1)", "error: division by zero"},
      {"[1, 0].map(x, 1/x)", "error: division by zero"},
      {"true ? 1 : 1/0", "1"},
      {"1 ? 1 : 2", "error: no such overload"},
      {"!1", "error: no such overload"},
  });
}

TEST(CelTest, SelectIndexAndHas) {
  Check({
      {"self.name", "\"web-1\""},
      {"self.missing", "error: no such key: missing"},
      {"has(self.missing)", "false"},
      {"has(self.name)", "true"},
      {"self.tags.a", "\"x\""},
      {"self['count'] + 1", "4"},
      {"self.items[1]", "2"},
      {"self.items[3]", "error: index out of bounds: 3"},
      {"self.items[-1]", "error: index out of bounds: -1"},
      {"self.name.foo", "error: does not support field selection"},
      {"self.x__dash__y", "\"dashed\""},
      {"has(self.x__dash__y)", "true"},
      {"self.ports[1].port", "443"},
  });
}

TEST(CelTest, Macros) {
  Check({
      {"self.items.all(x, x > 0)", "true"},
      {"self.items.exists(x, x == 2)", "true"},
      {"self.items.exists_one(x, x > 1)", "false"},
      {"self.items.exists_one(x, x > 2)", "true"},
      {"self.items.filter(x, x % 2 == 1)", "[1, 3]"},
      {"self.items.map(x, x * 10)", "[10, 20, 30]"},
      {"self.items.map(x, x > 1, x * 10)", "[20, 30]"},
      {"self.tags.all(k, k in ['a', 'b'])", "true"},
      {"self.tags.map(k, self.tags[k])", "[\"x\", \"y\"]"},
      {"self.ports.all(p, self.ports.exists_one(q, q.name == p.name))", "true"},
      {"self.items.all(x, self.items.all(y, x == y || x != y))", "true"},
      {"[[1, 2], [3]].map(l, l.map(x, x + 1))", "[[2, 3], [4]]"},
      {"self.count.all(x, true)", "error: cannot be range of a comprehension"},
      {"[1, 2].all(x, x)", "error: no such overload"},
  });
}

TEST(CelTest, Strings) {
  Check({
      {"size(self.word)", "5"},
      {"self.word.size()", "5"},
      {"size(b'h\\303\\251')", "3"},
      {"self.word.substring(1, 3)", "\"\xC3\xA9l\""},
      {"self.word.substring(4)", "\"o\""},
      {"self.word.substring(6)", "error: index out of range: 6"},
      {"self.word.substring(3, 2)", "error: invalid substring range"},
      {"self.word.charAt(1)", "\"\xC3\xA9\""},
      {"self.word.indexOf('l')", "2"},
      {"self.word.lastIndexOf('l')", "3"},
      {"'abc'.matches('b')", "true"},
      {"'abc'.matches('^b')", "false"},
      {"matches('abc', 'c$')", "true"},
      {"'abc'.matches('(')", "error: invalid regular expression"},
      {"'abc'.matches(self.name)", "false"},
      {"'a,b,,c'.split(',')", "[\"a\", \"b\", \"\", \"c\"]"},
      {"'a,b,c'.split(',', 2)", "[\"a\", \"b,c\"]"},
      {"'a,b'.split(',', 0)", "[]"},
      {"['a', 'b'].join('-')", "\"a-b\""},
      {"['a', 'b'].join()", "\"ab\""},
      {"'  hi \\t'.trim()", "\"hi\""},
      {"'\\u1680\\u00a0x\\u3000'.trim()", "\"x\""},  // Go's unicode.IsSpace
      // strings.quote escapes \a \b \f \n \r \t \v \\ and \", nothing else.
      {"strings.quote('a\\tb\\\\c\"d\\x07\\u00e9')",
       "\"\\\"a\\\\tb\\\\\\\\c\\\\\\\"d\\\\a\xC3\xA9\\\"\""},
      {"strings.quote('') == '\"\"'", "true"},
      {"[1].all(strings, strings.quote('x') == '\"x\"')", "true"},
      {"strings.quote(1)", "error: no such overload"},
      {"'aXbX'.replace('X', 'y')", "\"ayby\""},
      {"'aXbX'.replace('X', 'y', 1)", "\"aybX\""},
      {"'AbC'.lowerAscii() + 'AbC'.upperAscii()", "\"abcABC\""},
      {"self.name.startsWith('web') && self.name.endsWith('-1')", "true"},
      {"self.name.contains('b-')", "true"},
      {"string(12) + string(1.5) + string(true)", "\"121.5true\""},
      {"int('42') + int(3.9) + int('+1')", "46"},
      {"string(1.23456789) + ' ' + string(0.1)", "\"1.23456789 0.1\""},
      {"int('x')", "error: cannot convert"},
      {"uint(-1)", "error: uint overflow"},
      {"int(9.3e18)", "error: int overflow"},
      {"type(1) == int && type('a') == string", "true"},
      {"size(1)", "error: no such overload"},
  });
}

TEST(CelTest, DurationsAndTimestamps) {
  Check({
      {"duration('0.5ms') < duration('1ms')", "true"},
      {"duration('1h2m3.5s') == duration('3723500ms')", "true"},
      {"duration(self.timeout) > duration('90m')", "false"},
      {"duration('-1.5h') < duration('0')", "true"},
      {"duration('1\xC2\xB5s') == duration('1000ns')", "true"},
      {"duration('1') ", "error: invalid duration"},
      {"duration('1d')", "error: invalid duration"},
      {"duration('')", "error: invalid duration"},
      {"duration('3000000h')", "error: invalid duration"},
      {"string(duration('1m30s'))", "\"90s\""},
      {"duration('1s') + duration('500ms') == duration('1.5s')", "true"},
      {"duration(duration('1s')) == duration('1s')", "true"},
      {"timestamp('2024-01-01T00:00:00Z') + duration('1h') > timestamp('2024-01-01T00:30:00Z')",
       "true"},
      {"timestamp('2024-01-01') ", "error: invalid timestamp"},
      {"duration('2h').getMinutes()", "120"},
      {"duration('2.5s').getMilliseconds()", "500"},
      // Accessors in UTC or a zone (IANA name or offset); months and day counts from 0.
      {"timestamp('2024-03-05T23:31:20.125Z').getFullYear()", "2024"},
      {"timestamp('2024-03-05T23:31:20.125Z').getMonth()", "2"},
      {"timestamp('2024-03-05T23:31:20.125Z').getDate()", "5"},
      {"timestamp('2024-03-05T23:31:20.125Z').getDayOfMonth()", "4"},
      {"timestamp('2024-03-05T23:31:20.125Z').getDayOfWeek()", "2"},  // Tuesday
      {"timestamp('2024-03-05T23:31:20.125Z').getDayOfYear()", "64"},
      {"timestamp('2024-03-05T23:31:20.125Z').getMilliseconds()", "125"},
      {"timestamp('2024-03-05T23:31:20Z').getHours('+02:00')", "1"},
      {"timestamp('2024-03-05T23:31:20Z').getDate('-01:30')", "5"},
      {"timestamp('2024-03-05T23:31:20Z').getMinutes('Asia/Kathmandu')", "16"},
      {"timestamp('2024-03-05T23:31:20Z').getHours('Mars/Base')", "error: invalid time zone"},
      {"duration('1h').getHours('UTC')", "error: no such overload"},
      // string() is Go's RFC3339Nano in UTC.
      {"string(timestamp('2024-03-05T23:31:20.120+01:00'))", "\"2024-03-05T22:31:20.12Z\""},
      // Timestamps span years 1..9999; durations are int64 nanoseconds.
      {"timestamp('0000-12-31T00:00:00Z')", "error: out of range"},
      {"timestamp(253402300800)", "error: out of range"},
      {"timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')", "error: overflow"},
      {"duration('2562047h') + duration('2562047h')", "error: overflow"},
  });
}

TEST(CelTest, KubernetesLibraries) {
  Check({
      {"isURL('http://a.b/c')", "true"},
      {"isURL('a b')", "false"},
      {"isURL('/path')", "true"},
      {"isURL('foo')", "false"},
      {"isURL('')", "false"},
      {"isURL('http://a b/')", "false"},
      {"isURL('http://a.b:80x/')", "false"},
      {"isURL('/a%zz')", "false"},
      // Go's validUserinfo: '#' is no userinfo character; escapes must be whole (Istio's
      // own WasmPlugin test data refuses '#%blah$#@' this way).
      {"isURL('http://#%blah$#@')", "false"},
      {"isURL('http://user:p%41ss@a.b/')", "true"},
      {"isURL('http://us%zzer@a.b/')", "false"},
      {"url('https://example.com:8443/x/y?a=1&a=2&b=c').getScheme()", "\"https\""},
      {"url('https://example.com:8443/x/y').getHost()", "\"example.com:8443\""},
      {"url('https://example.com:8443/x/y').getHostname()", "\"example.com\""},
      {"url('https://[::1]:80/').getHostname()", "\"::1\""},
      {"url('https://example.com:8443/x/y').getPort()", "\"8443\""},
      {"url('https://example.com/x/y').getEscapedPath()", "\"/x/y\""},
      {"url('https://e.com/?a=1&a=2&b=c').getQuery()", "{\"a\": [\"1\", \"2\"], \"b\": [\"c\"]}"},
      {"url('foo')", "error: URL parse error"},
      {"isIP('1.2.3.4')", "true"},
      {"isIP('01.2.3.4')", "false"},
      {"isIP('1.2.3')", "false"},
      {"isIP('256.1.1.1')", "false"},
      {"isIP('::')", "true"},
      {"isIP('2001:db8::1')", "true"},
      {"isIP('1:2:3:4:5:6:7:8')", "true"},
      {"isIP('1:2:3:4:5:6:7::8')", "false"},
      {"isIP('::1.2.3.4')", "true"},
      {"isIP('fe80::1%eth0')", "false"},
      {"isIP('::ffff:1.2.3.4')", "false"},
      {"ip('10.0.0.1').family() + ip('::1').family()", "10"},
      {"isCIDR('10.0.0.0/8')", "true"},
      {"isCIDR('10.0.0.0/33')", "false"},
      {"isCIDR('10.0.0.0/08')", "false"},
      {"cidr('10.0.0.0/8').containsIP('10.1.2.3')", "true"},
      {"cidr('10.0.0.0/8').containsIP(ip('11.1.2.3'))", "false"},
      {"cidr('2001:db8::/32').prefixLength()", "32"},
      {"[1, 2, 3].isSorted() && ![2, 1].isSorted()", "true"},
      {"[1, 2, 3].sum()", "6"},
      {"[3, 1, 2].min()", "1"},
      {"[3, 1, 2].max()", "3"},
      {"[].min()", "error: empty list"},
      {"[1, 2, 1].indexOf(1)", "0"},
      {"[1, 2, 1].lastIndexOf(1)", "2"},
  });
}

// Shapes of rules from the Istio and Gateway API CRDs.
TEST(CelTest, CrdRuleShapes) {
  Check({
      {"self.name.startsWith(\"unix://\") ? (self.name.substring(7, 8) == \"/\") : true", "true"},
      {"'unix:///a'.startsWith(\"unix://\") ? ('unix:///a'.substring(7, 8) == \"/\") : false",
       "true"},
      {"{'80': 1, '65535': 2}.all(key, 0 < int(key) && int(key) <= 65535)", "true"},
      {"{'0': 1}.all(key, 0 < int(key) && int(key) <= 65535)", "false"},
      {"'/a/b%20'.matches(r\"\"\"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$\"\"\")",
       "true"},
      {"self.ports.all(p, has(p.port) && p.port > 0)", "true"},
      {"size(self.ports.filter(p, p.name == 'http')) <= 1", "true"},
      {"self.ports.exists_one(p, p.port == 443)", "true"},
      {"(self.ports.size() > 0 ? self.ports[0].port : 0) + 1", "81"},
      {"['a/b'].all(key, key.split('/')[0].size() < 253)", "true"},
      {"['*.example.com', '1.2.3.4'].all(h, !isIP(h))", "false"},
      {"url('https://x.y/').getScheme() in ['http', 'https']", "true"},
  });
}

TEST(CelTest, BudgetStopsRunawayEvaluation) {
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += (i ? "," : "") + std::to_string(i);
  // 100^3 iterations, over the 1,000,000-step budget.
  std::string expr = "[" + hundred + "].all(a, [" + hundred + "].all(b, [" + hundred +
                     "].all(c, a + b + c >= 0)))";
  EXPECT_NE(EvalText(expr.c_str()).find("budget"), std::string::npos);
  // Few iterations, but lists that share elements: comparing them costs a step per
  // element, so 2 x 100^3 elements exceed the budget too.
  expr = "[[" + hundred + "]].all(l, [l.map(x, l)].all(m, m.map(y, m) == m.map(y, m)))";
  EXPECT_NE(EvalText(expr.c_str()).find("budget"), std::string::npos);
  // And printing such a value stays short.
  expr = "[" + hundred + "].map(x, [" + hundred + "].map(y, [" + hundred + "]))";
  absl::StatusOr<std::unique_ptr<Program>> p = Program::Compile(expr);
  ASSERT_TRUE(p.ok());
  Value big = (*p)->Evaluate(Self());
  ASSERT_FALSE(big.IsError());
  EXPECT_LT(big.DebugString().size(), 10000u);
}

TEST(CelTest, CompileErrors) {
  struct Bad {
    const char* expr;
    absl::StatusCode code;
    const char* message;
  };
  std::vector<Bad> bad = {
      {"1 +", absl::StatusCode::kInvalidArgument, "Syntax error at column 4"},
      {"self.a ! b", absl::StatusCode::kInvalidArgument, "Syntax error at column 8"},
      {"'abc", absl::StatusCode::kInvalidArgument, "unterminated string"},
      {"self.a &&\n  )", absl::StatusCode::kInvalidArgument, "line 2, column 3"},
      {"has(self)", absl::StatusCode::kInvalidArgument, "has()"},
      {"9223372036854775808", absl::StatusCode::kInvalidArgument, "out of range"},
      {"if", absl::StatusCode::kInvalidArgument, "reserved"},
      {"quantity('1Gi')", absl::StatusCode::kUnimplemented, "unsupported function 'quantity'"},
      {"self.foo(1)", absl::StatusCode::kUnimplemented, "unsupported function 'foo'"},
      {"other.x", absl::StatusCode::kUnimplemented, "unsupported variable 'other'"},
      {"self.a.?b", absl::StatusCode::kUnimplemented, "unsupported"},
      {"self.all(x, y, x)", absl::StatusCode::kUnimplemented, "unsupported variable 'y'"},
  };
  for (const Bad& b : bad) {
    absl::StatusOr<std::unique_ptr<Program>> p = Program::Compile(b.expr);
    ASSERT_FALSE(p.ok()) << b.expr;
    EXPECT_EQ(p.status().code(), b.code) << b.expr << ": " << p.status();
    EXPECT_NE(p.status().message().find(b.message), std::string::npos)
        << b.expr << ": " << p.status();
  }
  std::string deep = std::string(300, '(') + "1" + std::string(300, ')');
  EXPECT_EQ(Program::Compile(deep).status().code(), absl::StatusCode::kInvalidArgument);
  std::string chain = "self";
  for (int i = 0; i < 300; ++i) chain += ".a";
  EXPECT_EQ(Program::Compile(chain).status().code(), absl::StatusCode::kInvalidArgument);
  std::string huge(100001, '1');
  EXPECT_EQ(Program::Compile(huge).status().code(), absl::StatusCode::kInvalidArgument);
  // A long && chain is balanced, not 300 deep.
  std::string conj = "true";
  for (int i = 0; i < 300; ++i) conj += " && true";
  EXPECT_TRUE(Program::Compile(conj).ok());
}

TEST(CelTest, OldSelf) {
  absl::StatusOr<std::unique_ptr<Program>> p = Program::Compile("self == oldSelf");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->uses_old_self());
  EXPECT_TRUE((*p)->Evaluate(I(1)).IsError());
  EXPECT_FALSE((*Program::Compile("self.x"))->uses_old_self());
  // Macro variables shadow nothing outside their macro.
  EXPECT_EQ(EvalText("[1].all(self, self == 1) && self.count == 3"), "true");
}

}  // namespace
}  // namespace edgekit::cli::cel
