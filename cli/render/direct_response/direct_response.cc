#include "cli/render/direct_response/direct_response.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/edge_config.h"
#include "cli/render/output_files.h"
#include "re2/re2.h"

namespace edgekit::cli {
namespace {

using edge::v1::Condition;
using edge::v1::DirectResponseRule;
using edge::v1::DirectResponses;
using edge::v1::EdgeConfig;

// Istio warns about direct-response bodies over 100 KB and refuses them over 1 MB.
constexpr size_t kBodyWarnBytes = kDirectResponseBodyWarnBytes;
constexpr size_t kBodyMaxBytes = kDirectResponseBodyMaxBytes;
// Match blocks (alternatives) one rule may compile to, and the bound on intermediate
// results while distributing AND over OR.
constexpr size_t kMaxBlocks = 64;
constexpr size_t kMaxIntermediateBlocks = 4096;

// An HTTP header name as Istio wants it in a match: a lowercase RFC 9110 token.
std::string HeaderNameProblem(const std::string& name) {
  if (name.empty()) return "required: a header name such as \"x-foo\"";
  if (name.front() == ':') {
    return absl::StrCat("\"", name,
                        "\": pseudo-headers cannot be tested here; use `path` or `method`");
  }
  if (!IsHttpToken(name)) return absl::StrCat("\"", name, "\" is not a valid HTTP header name");
  if (name != absl::AsciiStrToLower(name)) {
    return absl::StrCat("\"", name, "\" must be lowercase (Istio matches lowercase names): \"",
                        absl::AsciiStrToLower(name), "\"");
  }
  if (name == "uri" || name == "scheme" || name == "method" || name == "authority") {
    return absl::StrCat("\"", name,
                        "\": Istio documents that a header match on this key is ignored");
  }
  return "";
}

bool IsHeaderValue(const std::string& v) {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool Matches(const StringMatch& m, absl::string_view value) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return value == m.value;
    case StringMatch::Kind::kPrefix:
      return absl::StartsWith(value, m.value);
    case StringMatch::Kind::kRegex: {
      RE2 re(m.value);
      return re.ok() && RE2::FullMatch(re2::StringPiece(value.data(), value.size()), re);
    }
  }
  return false;
}

// a implies b: every value `a` accepts, `b` accepts (a sound, incomplete check).
bool Implies(const StringMatch& a, const StringMatch& b) {
  if (a == b) return true;
  if (a.kind == StringMatch::Kind::kExact) return Matches(b, a.value);
  if (a.kind == StringMatch::Kind::kPrefix && b.kind == StringMatch::Kind::kPrefix) {
    return absl::StartsWith(a.value, b.value);
  }
  return false;
}

std::string Describe(const StringMatch& m) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return absl::StrCat("exact \"", m.value, "\"");
    case StringMatch::Kind::kPrefix:
      return absl::StrCat("prefix \"", m.value, "\"");
    case StringMatch::Kind::kRegex:
      return absl::StrCat("regex \"", m.value, "\"");
  }
  return "";
}

std::string ToRegex(const StringMatch& m) {
  switch (m.kind) {
    case StringMatch::Kind::kExact:
      return RE2::QuoteMeta(m.value);
    case StringMatch::Kind::kPrefix:
      return absl::StrCat(RE2::QuoteMeta(m.value), "(?s:.*)");
    case StringMatch::Kind::kRegex:
      return absl::StrCat("(?:", m.value, ")");
  }
  return "";
}

// The tests of one AND-block on one header.
struct HeaderTests {
  bool present = false;
  bool absent = false;
  std::optional<StringMatch> match;  // present and passing
  std::set<StringMatch> not_match;   // present and failing each
};

// One AND-block, normalized: at most one test per path / method / header value.
struct Block {
  std::optional<StringMatch> path;
  std::optional<StringMatch> method;
  std::map<std::string, HeaderTests> headers;
};

enum class MergeResult { kOk, kContradiction, kInexpressible };

// Intersects `into` with `m`; `what` names the target in `why`.
MergeResult MergeMatch(std::optional<StringMatch>* into, const StringMatch& m,
                       const std::string& what, std::string* why) {
  if (!into->has_value()) {
    *into = m;
    return MergeResult::kOk;
  }
  const StringMatch& a = **into;
  if (Implies(a, m)) return MergeResult::kOk;
  if (Implies(m, a)) {
    *into = m;
    return MergeResult::kOk;
  }
  if (a.kind == StringMatch::Kind::kExact || m.kind == StringMatch::Kind::kExact) {
    return MergeResult::kContradiction;  // an exact value the other test refuses
  }
  if (a.kind == StringMatch::Kind::kPrefix && m.kind == StringMatch::Kind::kPrefix) {
    return MergeResult::kContradiction;  // neither prefix extends the other
  }
  *why = absl::StrCat("it needs ", what, " to pass both ", Describe(a), " and ", Describe(m),
                      " at once, and an Istio match holds one test per ", what);
  return MergeResult::kInexpressible;
}

MergeResult NormalizeHeader(const std::string& name, HeaderTests* h, std::string* why) {
  if (h->absent && (h->present || h->match.has_value() || !h->not_match.empty())) {
    return MergeResult::kContradiction;
  }
  if (h->match.has_value()) {
    for (auto it = h->not_match.begin(); it != h->not_match.end();) {
      if (Implies(*h->match, *it)) return MergeResult::kContradiction;
      // An exact value the negated test refuses anyway: the negation adds nothing.
      if (h->match->kind == StringMatch::Kind::kExact) {
        it = h->not_match.erase(it);
      } else {
        ++it;
      }
    }
    h->present = false;  // implied
  }
  if (!h->not_match.empty()) h->present = false;  // implied
  return MergeResult::kOk;
}

MergeResult AndBlocks(const Block& a, const Block& b, Block* out, std::string* why) {
  *out = a;
  if (b.path && MergeMatch(&out->path, *b.path, "the path", why) != MergeResult::kOk) {
    return why->empty() ? MergeResult::kContradiction : MergeResult::kInexpressible;
  }
  if (b.method && MergeMatch(&out->method, *b.method, "the method", why) != MergeResult::kOk) {
    return why->empty() ? MergeResult::kContradiction : MergeResult::kInexpressible;
  }
  for (const auto& [name, tests] : b.headers) {
    HeaderTests& h = out->headers[name];
    h.present |= tests.present;
    h.absent |= tests.absent;
    if (tests.match) {
      MergeResult r = MergeMatch(&h.match, *tests.match, "header " + name, why);
      if (r != MergeResult::kOk) return r;
    }
    h.not_match.insert(tests.not_match.begin(), tests.not_match.end());
    MergeResult r = NormalizeHeader(name, &h, why);
    if (r != MergeResult::kOk) return r;
  }
  return MergeResult::kOk;
}

// `outer` matches every request `inner` matches (sound, incomplete).
bool Covers(const Block& outer, const Block& inner) {
  if (outer.path && !(inner.path && Implies(*inner.path, *outer.path))) return false;
  if (outer.method && !(inner.method && Implies(*inner.method, *outer.method))) return false;
  for (const auto& [name, o] : outer.headers) {
    auto it = inner.headers.find(name);
    const HeaderTests empty;
    const HeaderTests& i = it == inner.headers.end() ? empty : it->second;
    const bool inner_present = i.present || i.match.has_value() || !i.not_match.empty();
    if (o.absent && !i.absent) return false;
    if (o.present && !inner_present) return false;
    if (o.match && !(i.match && Implies(*i.match, *o.match))) return false;
    for (const StringMatch& n : o.not_match) {
      // inner refuses every value `n` accepts: it fails a test `m` that n implies (a value
      // failing m fails n), or it holds an exact value n refuses.
      bool refused = i.match && i.match->kind == StringMatch::Kind::kExact &&
                     !Matches(n, i.match->value);
      for (auto m = i.not_match.begin(); m != i.not_match.end() && !refused; ++m) {
        refused = Implies(n, *m);
      }
      if (!refused) return false;
    }
  }
  return true;
}

using Dnf = std::vector<Block>;

// The blocks of earlier rules, indexed so that finding one that covers a new block does
// not compare it with all of them (10,000 rules of `header: {name: x-id, exact: ...}` are
// a real blocklist). A block with an exact test (path, method or a header) can only cover
// blocks with the same exact test (Implies(x, exact v) holds only for x = exact v), so it
// is filed under its first one; the others (prefix, regex, presence) are few and always
// compared.
class CoverIndex {
 public:
  void Add(const Block& block, int rule) {
    std::optional<std::string> key = FirstExactKey(block);
    std::vector<Entry>& list = key ? by_exact_[*key] : others_;
    list.push_back(Entry{block, rule});
  }

  // The lowest rule index with a block covering `inner`, or -1.
  int FirstCovering(const Block& inner) const {
    int first = -1;
    auto scan = [&](const std::vector<Entry>& list) {
      for (const Entry& e : list) {
        if ((first < 0 || e.rule < first) && Covers(e.block, inner)) first = e.rule;
      }
    };
    scan(others_);
    auto lookup = [&](const std::string& key) {
      auto it = by_exact_.find(key);
      if (it != by_exact_.end()) scan(it->second);
    };
    if (IsExact(inner.path)) lookup(Key('p', "", inner.path->value));
    if (IsExact(inner.method)) lookup(Key('m', "", inner.method->value));
    for (const auto& [name, tests] : inner.headers) {
      if (IsExact(tests.match)) lookup(Key('h', name, tests.match->value));
    }
    return first;
  }

 private:
  struct Entry {
    Block block;
    int rule;
  };
  static bool IsExact(const std::optional<StringMatch>& m) {
    return m.has_value() && m->kind == StringMatch::Kind::kExact;
  }
  static std::string Key(char what, const std::string& name, const std::string& value) {
    return absl::StrCat(std::string(1, what), name.size(), ":", name, value);
  }
  static std::optional<std::string> FirstExactKey(const Block& b) {
    if (IsExact(b.path)) return Key('p', "", b.path->value);
    if (IsExact(b.method)) return Key('m', "", b.method->value);
    for (const auto& [name, tests] : b.headers) {
      if (IsExact(tests.match)) return Key('h', name, tests.match->value);
    }
    return std::nullopt;
  }

  absl::flat_hash_map<std::string, std::vector<Entry>> by_exact_;
  std::vector<Entry> others_;
};

// Compiles one condition (negated or not) into DNF, validating as it goes.
class ConditionCompiler {
 public:
  explicit ConditionCompiler(const std::string& source) : source_(source) {}

  // Set when some part of the condition cannot be a VirtualService match: why, and where.
  const std::string& inexpressible() const { return inexpressible_; }
  const std::string& inexpressible_path() const { return inexpressible_path_; }

  absl::StatusOr<Dnf> Compile(const Condition& c, bool negated, const std::string& path) {
    int set = 0;
    set += c.has_header();
    set += c.has_path();
    set += c.has_method();
    set += c.all_size() > 0;
    set += c.any_size() > 0;
    set += c.has_not_();
    set += c.headers_equal_size() > 0;
    if (set != 1) {
      return ConfigError(source_, path,
                         set == 0
                             ? "an empty condition: set one of header, path, method, all, any, "
                               "not, headers_equal (omit `when` to match every request)"
                             : "set exactly one of header, path, method, all, any, not, "
                               "headers_equal (use `all` to combine tests)");
    }
    if (c.has_header()) return Header(c.header(), negated, path + ".header");
    if (c.has_path()) {
      absl::StatusOr<StringMatch> m = ToMatch(c.path(), path + ".path");
      if (!m.ok()) return m.status();
      if (negated) {
        return Opaque(path + ".path",
                      "a negated path test: Istio's `uri` match has no negation");
      }
      Block b;
      b.path = *m;
      return Dnf{b};
    }
    if (c.has_method()) {
      if (c.method().empty() || !IsHttpToken(c.method())) {
        return ConfigError(
            source_, path + ".method",
            absl::StrCat("\"", c.method(), "\" is not an HTTP method such as \"GET\""));
      }
      if (negated) {
        return Opaque(path + ".method",
                      "a negated method test: Istio's `method` match has no negation");
      }
      Block b;
      b.method = StringMatch{StringMatch::Kind::kExact, c.method()};
      return Dnf{b};
    }
    if (c.headers_equal_size() > 0) {
      if (c.headers_equal_size() < 2) {
        return ConfigError(source_, path + ".headers_equal",
                           "name at least two headers to compare");
      }
      for (int i = 0; i < c.headers_equal_size(); ++i) {
        if (std::string p = HeaderNameProblem(c.headers_equal(i)); !p.empty()) {
          return ConfigError(source_, absl::StrCat(path, ".headers_equal[", i, "]"), p);
        }
      }
      return Opaque(path + ".headers_equal",
                    "it compares two headers' values, which an Istio match cannot do (it "
                    "only compares a header with a constant)");
    }
    if (c.has_not_()) return Compile(c.not_(), !negated, path + ".not");
    const bool is_all = c.all_size() > 0;
    const auto& items = is_all ? c.all() : c.any();
    const std::string key = path + (is_all ? ".all" : ".any");
    // all (or negated any) is an AND; any (or negated all) is an OR.
    const bool conjunction = is_all != negated;
    Dnf result;
    if (conjunction) result.push_back(Block{});
    for (int i = 0; i < items.size(); ++i) {
      absl::StatusOr<Dnf> part = Compile(items[i], negated, absl::StrCat(key, "[", i, "]"));
      if (!part.ok()) return part.status();
      if (conjunction) {
        absl::StatusOr<Dnf> product = And(result, *part, key);
        if (!product.ok()) return product.status();
        result = *std::move(product);
      } else {
        result.insert(result.end(), part->begin(), part->end());
        if (result.size() > kMaxIntermediateBlocks) return TooBig(key);
      }
    }
    return result;
  }

 private:
  absl::Status TooBig(const std::string& path) {
    return ConfigError(
        source_, path,
        absl::StrCat("the condition expands to more than ", kMaxIntermediateBlocks,
                     " alternatives (each a VirtualService match block); simplify it, "
                     "e.g. split it into several rules"));
  }

  absl::StatusOr<Dnf> And(const Dnf& a, const Dnf& b, const std::string& path) {
    Dnf out;
    for (const Block& x : a) {
      for (const Block& y : b) {
        Block merged;
        std::string why;
        MergeResult r = AndBlocks(x, y, &merged, &why);
        if (r == MergeResult::kContradiction) continue;
        if (r == MergeResult::kInexpressible) {
          if (inexpressible_.empty()) {
            inexpressible_ = why;
            inexpressible_path_ = path;
          }
          continue;  // the rule goes to Wasm (or is refused) as a whole
        }
        out.push_back(std::move(merged));
        if (out.size() > kMaxIntermediateBlocks) return TooBig(path);
      }
    }
    return out;
  }

  absl::StatusOr<Dnf> Opaque(const std::string& path, const std::string& why) {
    if (inexpressible_.empty()) {
      inexpressible_ = why;
      inexpressible_path_ = path;
    }
    return Dnf{Block{}};
  }

  absl::StatusOr<StringMatch> ToMatch(const edge::v1::StringCondition& s,
                                      const std::string& path) {
    const int set = s.has_exact() + s.has_prefix() + s.has_regex();
    if (set != 1) return ConfigError(source_, path, "set exactly one of exact, prefix, regex");
    // Envoy matches `uri` against the :path, which always starts with "/" (CONNECT and
    // "OPTIONS *" requests are not routed by path): a test of anything else never holds.
    if (s.has_exact() || s.has_prefix()) {
      const std::string& value = s.has_exact() ? s.exact() : s.prefix();
      const std::string key = path + (s.has_exact() ? ".exact" : ".prefix");
      if (value.empty()) {
        return ConfigError(source_, key,
                           s.has_exact()
                               ? "must not be empty: a request path is never empty (it starts with "
                                 "\"/\")"
                               : "must not be empty (a request path always starts with \"/\"; to "
                                 "test every path, leave the path test out)");
      }
      if (value.front() != '/') {
        return ConfigError(
            source_, key,
            absl::StrCat("\"", value, "\" never matches: a request path starts with \"/\" (\"/",
                         value, "\"?)"));
      }
      if (!IsHeaderValue(value)) {
        return ConfigError(source_, key, "a request path cannot contain CR, LF or NUL");
      }
      return StringMatch{s.has_exact() ? StringMatch::Kind::kExact : StringMatch::Kind::kPrefix,
                         value};
    }
    return Regex(s.regex(), path + ".regex");
  }

  absl::StatusOr<StringMatch> Regex(const std::string& regex, const std::string& path) {
    RE2 re(regex, RE2::Quiet);
    if (!re.ok()) {
      return ConfigError(
          source_, path,
          absl::StrCat("\"", regex, "\" is not a valid RE2 regular expression: ", re.error()));
    }
    return StringMatch{StringMatch::Kind::kRegex, regex};
  }

  absl::StatusOr<Dnf> Header(const edge::v1::HeaderCondition& h, bool negated,
                             const std::string& path) {
    if (std::string p = HeaderNameProblem(h.name()); !p.empty()) {
      return ConfigError(source_, path + ".name", p);
    }
    const int set =
        h.has_exact() + h.has_prefix() + h.has_regex() + h.has_present() + h.has_absent();
    if (set != 1) {
      return ConfigError(source_, path, "set exactly one of exact, prefix, regex, present, absent");
    }
    Block block;
    HeaderTests& t = block.headers[h.name()];
    if (h.has_present() || h.has_absent()) {
      const bool present = h.has_present() ? h.present() : !h.absent();
      (present != negated ? t.present : t.absent) = true;
      return Dnf{block};
    }
    StringMatch m;
    if (h.has_exact()) {
      if (!IsHeaderValue(h.exact())) {
        return ConfigError(source_, path + ".exact", "a header value cannot contain CR, LF or NUL");
      }
      m = {StringMatch::Kind::kExact, h.exact()};
    } else if (h.has_prefix()) {
      if (h.prefix().empty()) {
        return ConfigError(source_, path + ".prefix", "must not be empty (use present: true)");
      }
      if (!IsHeaderValue(h.prefix())) {
        return ConfigError(source_, path + ".prefix",
                           "a header value cannot contain CR, LF or NUL");
      }
      m = {StringMatch::Kind::kPrefix, h.prefix()};
    } else {
      if (!IsHeaderValue(h.regex())) {
        return ConfigError(source_, path + ".regex", "a header value cannot contain CR, LF or NUL");
      }
      absl::StatusOr<StringMatch> r = Regex(h.regex(), path + ".regex");
      if (!r.ok()) return r.status();
      m = *r;
    }
    if (!negated) {
      t.match = m;
      return Dnf{block};
    }
    // not(h passes m) = (h present and fails m) OR (h absent). See NegateHeader below.
    t.not_match.insert(m);
    Block absent;
    absent.headers[h.name()].absent = true;
    return Dnf{block, absent};
  }

  const std::string& source_;
  std::string inexpressible_;
  std::string inexpressible_path_;
};

// Negation facts (why a negated header test is two match blocks, each spelled out so it
// means the same on every Istio version):
// - Istio turns `withoutHeaders: {h: m}` into an Envoy HeaderMatcher with
//   invert_match: true (pilot/pkg/networking/core/route/route.go, TranslateRouteMatch),
//   and `{}` into present_match: true, so `withoutHeaders: {h: {}}` means "h absent".
// - Envoy's HeaderUtility::matchHeaders (source/common/http/header_utility.cc): for a
//   MISSING header it returns true with invert_match only for present_match, so without
//   more, `withoutHeaders: {h: {exact: "1"}}` does NOT match a request lacking h.
// - Istio since 1.22 (istio/istio#49537, PR #49540) also sets
//   treat_missing_header_as_empty on value matchers in withoutHeaders: then a missing h
//   is tested as "" and the block DOES match a request lacking h (when m refuses "").
// So "h present and not m" is rendered as headers: {h: {}} plus withoutHeaders: {h: m}
// (the same on both behaviours), and "h absent" as its own block withoutHeaders: {h: {}}.
void EmitStringMatch(Doc& d, const std::optional<StringMatch>& m) {
  d.Map();
  if (m.has_value()) {
    switch (m->kind) {
      case StringMatch::Kind::kExact:
        d.KV("exact", m->value);
        break;
      case StringMatch::Kind::kPrefix:
        d.KV("prefix", m->value);
        break;
      case StringMatch::Kind::kRegex:
        d.KV("regex", m->value);
        break;
    }
  }
  d.EndMap();
}

HttpMatch ToHttpMatch(const Block& b) {
  HttpMatch m;
  m.uri = b.path;
  m.method = b.method;
  for (const auto& [name, t] : b.headers) {
    if (t.match) {
      m.headers[name] = t.match;
    } else if (t.present || !t.not_match.empty()) {
      m.headers[name] = std::nullopt;
    }
    if (t.absent) m.without_headers[name] = std::nullopt;
    if (t.not_match.size() == 1) {
      m.without_headers[name] = *t.not_match.begin();
    } else if (t.not_match.size() > 1) {
      std::vector<std::string> alternatives;
      for (const StringMatch& n : t.not_match) alternatives.push_back(ToRegex(n));
      m.without_headers[name] =
          StringMatch{StringMatch::Kind::kRegex, absl::StrJoin(alternatives, "|")};
    }
  }
  return m;
}

std::string RulePath(int i) { return absl::StrCat("direct_responses.rules[", i, "]"); }

absl::Status ValidateResponse(const DirectResponseRule& rule, const std::string& path,
                              const std::string& source, std::vector<std::string>* warnings) {
  if (!rule.has_respond()) {
    return ConfigError(source, path + ".respond",
                       "required: the status (and body, headers) to answer");
  }
  const edge::v1::DirectResponse& r = rule.respond();
  if (!r.has_status()) return ConfigError(source, path + ".respond.status", "required, 200..599");
  if (r.status() < 200 || r.status() > 599) {
    return ConfigError(
        source, path + ".respond.status",
        absl::StrCat("must be in [200, 599] (Istio's directResponse), got ", r.status()));
  }
  if (r.body().size() > kBodyMaxBytes) {
    return ConfigError(
        source, path + ".respond.body",
        absl::StrCat("is ", r.body().size(),
                     " bytes; Istio refuses direct-response bodies over 1 MB (1048576 "
                     "bytes): serve it from a backend instead"));
  }
  if (r.body().size() > kBodyWarnBytes && warnings != nullptr) {
    warnings->push_back(absl::StrCat(
        source, ": ", path, ".respond.body: warning: ", r.body().size(),
        " bytes; bodies over 100 KB (102400 bytes) bloat every gateway's route configuration "
        "(Istio warns too)"));
  }
  for (const auto& [name, value] : r.headers()) {
    const std::string key = absl::StrCat(path, ".respond.headers[\"", name, "\"]");
    if (std::string p = HeaderNameProblem(name); !p.empty()) return ConfigError(source, key, p);
    if (name == "host" || name == "content-length") {
      return ConfigError(source, key,
                         absl::StrCat("\"", name, "\" cannot be set on a response here"));
    }
    if (!IsHeaderValue(value)) {
      return ConfigError(source, key, "a header value cannot contain CR, LF or NUL");
    }
  }
  return absl::OkStatus();
}

}  // namespace

void ApplyDirectResponseDefaults(EdgeConfig* config) {
  if (!config->has_direct_responses()) return;
  DirectResponses* direct = config->mutable_direct_responses();
  if (direct->has_wasm()) {
    if (!direct->wasm().has_name()) direct->mutable_wasm()->set_name("edgekit-direct-response");
    if (!direct->wasm().has_phase()) direct->mutable_wasm()->set_phase("STATS");
  }
}

absl::StatusOr<CompiledDirectResponses> CompileDirectResponses(
    const EdgeConfig& config, const std::string& source, std::vector<std::string>* warnings) {
  const DirectResponses& direct = config.direct_responses();
  if (direct.rules_size() == 0) {
    return ConfigError(source, "direct_responses.rules",
                       "at least one rule (or remove the section, or set enabled: false)");
  }
  const bool has_wasm = direct.has_wasm();
  if (has_wasm) {
    const edge::v1::DirectResponseWasm& wasm = direct.wasm();
    if (wasm.image().empty()) {
      return ConfigError(
          source, "direct_responses.wasm.image",
          "required: the Wasm module's URL, e.g. \"oci://ghcr.io/acme/direct-response:1.0\"");
    }
    if (!absl::StartsWith(wasm.image(), "oci://") && !absl::StartsWith(wasm.image(), "https://") &&
        !absl::StartsWith(wasm.image(), "file://")) {
      return ConfigError(
          source, "direct_responses.wasm.image",
          absl::StrCat("\"", wasm.image(),
                       "\" must start with oci://, https:// or file:// (Istio WasmPlugin url)"));
    }
    if (!IsDns1123Label(wasm.name())) {
      return ConfigError(
          source, "direct_responses.wasm.name",
          absl::StrCat("\"", wasm.name(), "\" is not a valid Kubernetes name (RFC 1123 label)"));
    }
    if (wasm.phase() != "AUTHN" && wasm.phase() != "AUTHZ" && wasm.phase() != "STATS") {
      return ConfigError(source, "direct_responses.wasm.phase",
                         absl::StrCat("\"", wasm.phase(), "\" is not one of AUTHN, AUTHZ, STATS"));
    }
  }

  struct Compiled {
    Dnf blocks;      // the blocks rendered: those no earlier rule's block covers
    Dnf all_blocks;  // every block of the condition (what the rule takes from later rules)
    bool expressible = true;
  };
  std::vector<Compiled> rules;
  CoverIndex earlier_blocks;  // the blocks of the expressible rules so far
  std::set<std::string> names;
  int last_inexpressible = -1;
  int catch_all = -1;  // the first rule that matches every request
  for (int i = 0; i < direct.rules_size(); ++i) {
    const DirectResponseRule& rule = direct.rules(i);
    const std::string path = RulePath(i);
    if (!IsDns1123Label(rule.name())) {
      return ConfigError(source, path + ".name",
                         rule.name().empty()
                             ? std::string("required: a name such as \"require-api-key\"")
                             : absl::StrCat("\"", rule.name(),
                                            "\" is not a valid Kubernetes name (RFC 1123 label: "
                                            "lowercase letters, digits and '-', at most 63)"));
    }
    if (!names.insert(rule.name()).second) {
      return ConfigError(source, path + ".name",
                         absl::StrCat("\"", rule.name(), "\" is used by an earlier rule"));
    }
    if (absl::Status s = ValidateResponse(rule, path, source, warnings); !s.ok()) return s;
    if (catch_all >= 0) {
      return ConfigError(
          source, path,
          absl::StrCat("rule \"", rule.name(), "\" can never answer: rule \"",
                       direct.rules(catch_all).name(), "\" before it matches every request"));
    }
    Compiled compiled;
    if (!rule.has_when()) {
      compiled.blocks.push_back(Block{});
    } else {
      ConditionCompiler compiler(source);
      absl::StatusOr<Dnf> dnf = compiler.Compile(rule.when(), false, path + ".when");
      if (!dnf.ok()) return dnf.status();
      if (!compiler.inexpressible().empty()) {
        if (!has_wasm) {
          return ConfigError(
              source, compiler.inexpressible_path(),
              absl::StrCat("rule \"", rule.name(),
                           "\" cannot be a VirtualService route: ", compiler.inexpressible(),
                           ". Set direct_responses.wasm.image to answer it with a "
                           "WasmPlugin running your module, or rewrite the rule"));
        }
        compiled.expressible = false;
        last_inexpressible = i;
        rules.push_back(std::move(compiled));
        continue;
      }
      compiled.blocks = *std::move(dnf);
    }
    // Drop blocks another block of the same rule already covers (keeping the first of
    // equal ones).
    Dnf kept;
    for (size_t b = 0; b < compiled.blocks.size(); ++b) {
      bool redundant = false;
      for (size_t o = 0; o < compiled.blocks.size() && !redundant; ++o) {
        if (o == b || !Covers(compiled.blocks[o], compiled.blocks[b])) continue;
        redundant = !Covers(compiled.blocks[b], compiled.blocks[o]) || o < b;
      }
      if (!redundant) kept.push_back(compiled.blocks[b]);
    }
    compiled.blocks = std::move(kept);
    if (compiled.blocks.empty()) {
      return ConfigError(
          source, path + ".when",
          absl::StrCat("rule \"", rule.name(),
                       "\" can never match: every alternative of its condition "
                       "contradicts itself (e.g. a header both present and absent, or "
                       "two different exact values)"));
    }
    if (compiled.blocks.size() > kMaxBlocks) {
      return ConfigError(source, path + ".when",
                         absl::StrCat("rule \"", rule.name(), "\" needs ", compiled.blocks.size(),
                                      " match blocks (more than ", kMaxBlocks,
                                      "); each negated header test doubles them: simplify the "
                                      "condition or split the rule"));
    }
    // Shadowing: a block some earlier (expressible) rule's block already answers never
    // matches here; it is left out (so `edgekit validate` finds no dead match block), and
    // a rule left with none can never answer. Every block of the earlier rule counts,
    // rendered or not: a left-out block's requests are answered before it too.
    compiled.all_blocks = compiled.blocks;
    std::set<std::string> shadowing;
    Dnf uncovered;
    for (const Block& block : compiled.all_blocks) {
      const int e = earlier_blocks.FirstCovering(block);
      if (e >= 0) {
        shadowing.insert(direct.rules(e).name());
      } else {
        uncovered.push_back(block);
      }
    }
    if (uncovered.empty()) {
      std::vector<std::string> quoted;
      for (const std::string& n : shadowing) quoted.push_back(absl::StrCat("\"", n, "\""));
      return ConfigError(source, path,
                         absl::StrCat("rule \"", rule.name(),
                                      "\" can never answer: every request it matches is answered "
                                      "first by earlier rule ",
                                      absl::StrJoin(quoted, ", "),
                                      " (reorder the rules or narrow the earlier one)"));
    }
    compiled.blocks = std::move(uncovered);
    if (compiled.blocks.size() == 1 && compiled.blocks[0].path == std::nullopt &&
        compiled.blocks[0].method == std::nullopt && compiled.blocks[0].headers.empty()) {
      catch_all = i;
    }
    for (const Block& block : compiled.all_blocks) earlier_blocks.Add(block, i);
    rules.push_back(std::move(compiled));
  }

  CompiledDirectResponses out;
  out.catches_all = catch_all >= 0;
  for (int i = 0; i < direct.rules_size(); ++i) {
    if (i <= last_inexpressible) {
      out.wasm_rules.push_back(i);
      continue;
    }
    const DirectResponseRule& rule = direct.rules(i);
    DirectResponseRoute route;
    route.name = "direct-" + rule.name();
    const bool unconditional = rules[i].blocks.size() == 1 && !rules[i].blocks[0].path &&
                               !rules[i].blocks[0].method && rules[i].blocks[0].headers.empty();
    if (!unconditional) {
      for (const Block& b : rules[i].blocks) route.matches.push_back(ToHttpMatch(b));
    }
    if (TranscodingEnabled(config) && warnings != nullptr) {
      const bool tests_path_or_method =
          std::any_of(rules[i].blocks.begin(), rules[i].blocks.end(),
                      [](const Block& b) { return b.path || b.method; });
      if (tests_path_or_method) {
        // The transcoder rewrites the path (and the method, to POST) and clears the route
        // cache: the router then serves the route matched on the gRPC request.
        warnings->push_back(absl::StrCat(
            source, ": ", RulePath(i), ".when: warning: rule \"", rule.name(),
            "\" tests the path or method: with transcoding on, transcoded requests are "
            "matched again on /<package>.<Service>/<Method> with method POST; this rule sees "
            "that path/method for them, not the REST one (a REST path test misses them, a "
            "method test sees POST). Match the gRPC path too (e.g. path prefix "
            "\"/<package>.<Service>/\"), or answer the rule with your Wasm module "
            "(direct_responses.wasm), which runs before the transcoder"));
      }
    }
    route.status = rule.respond().status();
    if (rule.respond().has_body()) route.body = rule.respond().body();
    route.headers = Sorted(rule.respond().headers());
    out.routes.push_back(std::move(route));
  }
  if (last_inexpressible >= 0) {
    ConditionCompiler compiler(source);
    (void)compiler.Compile(direct.rules(last_inexpressible).when(), false, "");
    out.wasm_reason = absl::StrCat("rule \"", direct.rules(last_inexpressible).name(),
                                   "\": ", compiler.inexpressible());
  }
  return out;
}

void EmitHttpMatch(Doc& d, const HttpMatch& match) {
  d.Map();
  if (match.uri) {
    d.Key("uri");
    EmitStringMatch(d, match.uri);
  }
  if (match.method) {
    d.Key("method");
    EmitStringMatch(d, match.method);
  }
  if (!match.headers.empty()) {
    d.Key("headers").Map();
    for (const auto& [name, m] : match.headers) {
      d.Key(name);
      EmitStringMatch(d, m);
    }
    d.EndMap();
  }
  if (!match.without_headers.empty()) {
    d.Key("withoutHeaders").Map();
    for (const auto& [name, m] : match.without_headers) {
      d.Key(name);
      EmitStringMatch(d, m);
    }
    d.EndMap();
  }
  d.EndMap();
}

bool DirectResponseFeature::Enabled(const EdgeConfig& config) const {
  return DirectResponsesEnabled(config);
}

void DirectResponseFeature::ApplyDefaults(EdgeConfig* config) const {
  ApplyDirectResponseDefaults(config);
}

absl::Status DirectResponseFeature::Validate(const EdgeConfig& config,
                                             const RenderContext& context) {
  absl::StatusOr<CompiledDirectResponses> compiled =
      CompileDirectResponses(config, context.source, context.warnings);
  if (!compiled.ok()) return compiled.status();
  compiled_ = *std::move(compiled);
  return absl::OkStatus();
}

absl::Status DirectResponseFeature::Render(const EdgeConfig& config,
                                           const RenderContext& /*context*/,
                                           std::vector<RenderedFile>* files) {
  if (!compiled_.wasm_rules.empty()) {
    files->push_back({kDirectResponseWasmFile, {RenderDirectResponseWasm(config, compiled_)}});
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
