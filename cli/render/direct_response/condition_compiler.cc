#include "cli/render/direct_response/condition_compiler.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/edge/config_checks.h"
#include "re2/re2.h"
#include "rules/header_syntax.h"
#include "rules/ip_set.h"

namespace edgekit::cli::direct_response_internal {
namespace {

using rules::HeaderNameProblem;
using rules::IsHeaderValue;
using rules::v1::Condition;

// The bound on intermediate results while distributing AND over OR.
constexpr size_t kMaxIntermediateBlocks = 4096;

}  // namespace

absl::StatusOr<Dnf> ConditionCompiler::Compile(const Condition& c, bool negated,
                                               const std::string& path) {
  int set = 0;
  set += c.has_header();
  set += c.has_path();
  set += c.has_method();
  set += c.all_size() > 0;
  set += c.any_size() > 0;
  set += c.has_not_();
  set += c.headers_equal_size() > 0;
  set += c.has_client_ip();
  if (set != 1) {
    return ConfigError(source_, path,
                       set == 0 ? "an empty condition: set one of header, path, method, all, any, "
                                  "not, headers_equal, client_ip (omit `when` to match every "
                                  "request)"
                                : "set exactly one of header, path, method, all, any, not, "
                                  "headers_equal, client_ip (use `all` to combine tests)");
  }
  if (c.has_client_ip()) {
    std::vector<absl::string_view> cidrs(c.client_ip().cidrs().begin(),
                                         c.client_ip().cidrs().end());
    if (cidrs.empty()) {
      return ConfigError(source_, path + ".client_ip.cidrs",
                         "list at least one network (\"203.0.113.0/24\") or address");
    }
    // The set itself is built by the broker; here the entries are checked the same way.
    absl::StatusOr<rules::IpSet> ips = rules::IpSet::Build(cidrs, path + ".client_ip.cidrs");
    if (!ips.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ", ips.status().message()));
    }
    return Opaque(path + ".client_ip",
                  "a client address test: a VirtualService cannot match the client address");
  }
  if (c.has_header()) return Header(c.header(), negated, path + ".header");
  if (c.has_path()) {
    absl::StatusOr<StringMatch> m = ToMatch(c.path(), path + ".path");
    if (!m.ok()) return m.status();
    if (negated) {
      return Opaque(path + ".path", "a negated path test: Istio's `uri` match has no negation");
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
      return ConfigError(source_, path + ".headers_equal", "name at least two headers to compare");
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

absl::Status ConditionCompiler::TooBig(const std::string& path) {
  return ConfigError(source_, path,
                     absl::StrCat("the condition expands to more than ", kMaxIntermediateBlocks,
                                  " alternatives (each a VirtualService match block); simplify it, "
                                  "e.g. split it into several rules"));
}

absl::StatusOr<Dnf> ConditionCompiler::And(const Dnf& a, const Dnf& b, const std::string& path) {
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

absl::StatusOr<Dnf> ConditionCompiler::Opaque(const std::string& path, const std::string& why) {
  if (inexpressible_.empty()) {
    inexpressible_ = why;
    inexpressible_path_ = path;
  }
  return Dnf{Block{}};
}

absl::StatusOr<StringMatch> ConditionCompiler::ToMatch(const rules::v1::StringCondition& s,
                                                       const std::string& path) {
  const int set = s.has_exact() + s.has_prefix() + s.has_regex();
  if (set != 1) return ConfigError(source_, path, "set exactly one of exact, prefix, regex");
  if (s.ignore_case()) {
    // Checked as written, then matched as the broker's rule library runs it.
    rules::v1::StringCondition plain = s;
    plain.clear_ignore_case();
    absl::StatusOr<StringMatch> checked = ToMatch(plain, path);
    if (!checked.ok()) return checked.status();
    return StringMatch{StringMatch::Kind::kRegex, rules::CaseInsensitivePathRegex(s)};
  }
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
  absl::StatusOr<StringMatch> regex = Regex(s.regex(), path + ".regex");
  if (regex.ok()) {
    if (std::string problem = rules::PathRegexProblem(s.regex()); !problem.empty()) {
      return ConfigError(source_, path + ".regex", problem);
    }
  }
  return regex;
}

absl::StatusOr<StringMatch> ConditionCompiler::Regex(const std::string& regex,
                                                     const std::string& path) {
  RE2 re(regex, RE2::Quiet);
  if (!re.ok()) {
    return ConfigError(
        source_, path,
        absl::StrCat("\"", regex, "\" is not a valid RE2 regular expression: ", re.error()));
  }
  return StringMatch{StringMatch::Kind::kRegex, regex};
}

absl::StatusOr<Dnf> ConditionCompiler::Header(const rules::v1::HeaderCondition& h, bool negated,
                                              const std::string& path) {
  if (std::string p = HeaderNameProblem(h.name()); !p.empty()) {
    return ConfigError(source_, path + ".name", p);
  }
  const int set = h.has_exact() + h.has_prefix() + h.has_regex() + h.has_present() + h.has_absent();
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
      return ConfigError(source_, path + ".prefix", "a header value cannot contain CR, LF or NUL");
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
  // not(h passes m) = (h present and fails m) OR (h absent). See the negation facts in
  // http_match_emit.cc.
  t.not_match.insert(m);
  Block absent;
  absent.headers[h.name()].absent = true;
  return Dnf{block, absent};
}

}  // namespace edgekit::cli::direct_response_internal
