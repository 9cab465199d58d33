#include "rules/rule_set.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_read.h"
#include "common/syntax.h"
#include "re2/re2.h"
#include "rules/header_syntax.h"

namespace edgekit::rules {

struct RuleSet::Node {
  enum class Kind : uint8_t { kHeader, kPath, kMethod, kAll, kAny, kNot, kHeadersEqual, kClientIp };
  enum class Test : uint8_t { kExact, kPrefix, kRegex, kPresent, kAbsent };
  Kind kind = Kind::kAll;
  Test test = Test::kExact;
  std::string name;   // header
  std::string value;  // exact / prefix / method
  std::unique_ptr<RE2> regex;
  std::vector<std::string> names;  // headers_equal
  IpSet ips;
  std::vector<Node> children;  // all / any / not
};

namespace {

using Node = RuleSet::Node;

// Deeper conditions are refused: evaluation recurses, and no real rule nests this far.
constexpr int kMaxDepth = 32;
// A cidrs_file larger than this is refused (a whole-Internet blocklist is ~10 MiB).
constexpr size_t kMaxCidrsFileBytes = 64 * 1024 * 1024;

absl::Status Error(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

// Response headers Envoy does not send as the auth service gave them (checked in Envoy's
// ext_authz filter and local-reply code): content-length is recomputed from the body,
// `server` is overwritten by the connection manager, hop-by-hop headers are removed, and
// `host` is a request header.
constexpr absl::string_view kRefusedResponseHeaders[] = {
    "content-length", "server", "connection",       "upgrade", "transfer-encoding",
    "keep-alive",     "host",   "proxy-connection", "te",      "trailer"};

absl::StatusOr<std::unique_ptr<RE2>> CompileRegex(const std::string& text, absl::string_view path) {
  if (!IsHeaderValue(text)) return Error(path, "cannot contain CR, LF or NUL");
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(text, options);
  if (!re->ok()) {
    return Error(
        path, absl::StrCat("\"", text, "\" is not a valid RE2 regular expression: ", re->error()));
  }
  return re;
}

// What compiling one rule set carries along: the options, and what it found.
struct CompileState {
  explicit CompileState(const RuleSet::Options& o) : options(o) {}
  const RuleSet::Options& options;
  size_t cidrs = 0;
  std::vector<std::string> files;
};

absl::StatusOr<Node> CompileCondition(const v1::Condition& c, const std::string& path, int depth,
                                      CompileState* state);

absl::Status CompileList(const google::protobuf::RepeatedPtrField<v1::Condition>& items,
                         const std::string& path, int depth, CompileState* state, Node* out) {
  for (int i = 0; i < items.size(); ++i) {
    absl::StatusOr<Node> child =
        CompileCondition(items[i], absl::StrCat(path, "[", i, "]"), depth + 1, state);
    if (!child.ok()) return child.status();
    out->children.push_back(*std::move(child));
  }
  return absl::OkStatus();
}

absl::StatusOr<Node> CompileHeader(const v1::HeaderCondition& h, const std::string& path) {
  Node n;
  n.kind = Node::Kind::kHeader;
  if (std::string p = HeaderNameProblem(h.name()); !p.empty()) return Error(path + ".name", p);
  n.name = h.name();
  const int set = h.has_exact() + h.has_prefix() + h.has_regex() + h.has_present() + h.has_absent();
  if (set != 1) return Error(path, "set exactly one of exact, prefix, regex, present, absent");
  if (h.has_present() || h.has_absent()) {
    n.test =
        (h.has_present() ? h.present() : !h.absent()) ? Node::Test::kPresent : Node::Test::kAbsent;
  } else if (h.has_regex()) {
    n.test = Node::Test::kRegex;
    absl::StatusOr<std::unique_ptr<RE2>> re = CompileRegex(h.regex(), path + ".regex");
    if (!re.ok()) return re.status();
    n.regex = *std::move(re);
  } else {
    n.test = h.has_exact() ? Node::Test::kExact : Node::Test::kPrefix;
    n.value = h.has_exact() ? h.exact() : h.prefix();
    const std::string key = path + (h.has_exact() ? ".exact" : ".prefix");
    if (h.has_prefix() && n.value.empty())
      return Error(key, "must not be empty (use present: true)");
    if (!IsHeaderValue(n.value)) return Error(key, "a header value cannot contain CR, LF or NUL");
  }
  return n;
}

absl::StatusOr<Node> CompilePath(const v1::StringCondition& s, const std::string& path) {
  Node n;
  n.kind = Node::Kind::kPath;
  if (s.has_exact() + s.has_prefix() + s.has_regex() != 1) {
    return Error(path, "set exactly one of exact, prefix, regex");
  }
  if (s.ignore_case()) {
    // Checked as written first (a prefix must start with "/", a regex compile), then
    // run as the case-insensitive regex the routes engine renders too.
    v1::StringCondition plain = s;
    plain.clear_ignore_case();
    absl::StatusOr<Node> checked = CompilePath(plain, path);
    if (!checked.ok()) return checked.status();
    v1::StringCondition as_regex;
    as_regex.set_regex(CaseInsensitivePathRegex(s));
    return CompilePath(as_regex, path);
  }
  if (s.has_regex()) {
    n.test = Node::Test::kRegex;
    absl::StatusOr<std::unique_ptr<RE2>> re = CompileRegex(s.regex(), path + ".regex");
    if (!re.ok()) return re.status();
    if (std::string problem = PathRegexProblem(s.regex()); !problem.empty()) {
      return Error(path + ".regex", problem);
    }
    n.regex = *std::move(re);
    return n;
  }
  n.test = s.has_exact() ? Node::Test::kExact : Node::Test::kPrefix;
  n.value = s.has_exact() ? s.exact() : s.prefix();
  const std::string key = path + (s.has_exact() ? ".exact" : ".prefix");
  if (n.value.empty() || n.value.front() != '/') {
    return Error(key,
                 absl::StrCat("\"", n.value, "\" never matches: a request path starts with \"/\""));
  }
  if (!IsHeaderValue(n.value)) return Error(key, "a request path cannot contain CR, LF or NUL");
  return n;
}

// The lines of a cidrs_file into `builder`; errors name the key, the file and the line.
absl::Status AddCidrsFile(const std::string& key, const std::string& file, IpSet::Builder* builder,
                          CompileState* state) {
  std::string full = file;
  if (!file.empty() && file.front() != '/' && !state->options.base_dir.empty()) {
    full = absl::StrCat(state->options.base_dir, "/", file);
  }
  absl::StatusOr<std::string> text = ReadFileCapped(full, kMaxCidrsFileBytes);
  if (!text.ok()) return Error(key, text.status().message());
  state->files.push_back(full);
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    line = line.substr(0, line.find_first_of("#;"));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (absl::Status s = builder->Add(line); !s.ok()) {
      return Error(key, absl::StrCat(full, ":", line_number, ": ", s.message()));
    }
    ++state->cidrs;
  }
  return absl::OkStatus();
}

absl::StatusOr<Node> CompileClientIp(const v1::ClientIpCondition& ip, const std::string& path,
                                     CompileState* state) {
  if (ip.cidrs_size() == 0 && !ip.has_cidrs_file()) {
    return Error(path + ".cidrs",
                 "list at least one network (\"203.0.113.0/24\") or address, or a cidrs_file");
  }
  IpSet::Builder builder;
  builder.Reserve(static_cast<size_t>(ip.cidrs_size()));
  for (int i = 0; i < ip.cidrs_size(); ++i) {
    if (absl::Status s = builder.Add(ip.cidrs(i)); !s.ok()) {
      return Error(absl::StrCat(path, ".cidrs[", i, "]"), s.message());
    }
  }
  state->cidrs += static_cast<size_t>(ip.cidrs_size());
  if (ip.has_cidrs_file()) {
    const std::string key = path + ".cidrs_file";
    if (ip.cidrs_file().empty()) return Error(key, "must not be empty: the path of a file");
    if (state->options.read_files) {
      if (absl::Status s = AddCidrsFile(key, ip.cidrs_file(), &builder, state); !s.ok()) return s;
    }
  }
  Node n;
  n.kind = Node::Kind::kClientIp;
  n.ips = std::move(builder).Finish();
  return n;
}

absl::StatusOr<Node> CompileCondition(const v1::Condition& c, const std::string& path, int depth,
                                      CompileState* state) {
  if (depth > kMaxDepth) {
    return Error(path, absl::StrCat("conditions nest more than ", kMaxDepth, " levels deep"));
  }
  const int set = c.has_header() + c.has_path() + c.has_method() + (c.all_size() > 0) +
                  (c.any_size() > 0) + c.has_not_() + (c.headers_equal_size() > 0) +
                  c.has_client_ip();
  if (set != 1) {
    return Error(path, set == 0
                           ? "an empty condition: set one of header, path, method, all, any, not, "
                             "headers_equal, client_ip (omit `when` to match every request)"
                           : "set exactly one of header, path, method, all, any, not, "
                             "headers_equal, client_ip (use `all` to combine tests)");
  }
  if (c.has_header()) return CompileHeader(c.header(), path + ".header");
  if (c.has_path()) return CompilePath(c.path(), path + ".path");
  Node n;
  if (c.has_method()) {
    if (!IsHttpToken(c.method())) {
      return Error(path + ".method",
                   absl::StrCat("\"", c.method(), "\" is not an HTTP method such as \"GET\""));
    }
    n.kind = Node::Kind::kMethod;
    n.value = c.method();
    return n;
  }
  if (c.headers_equal_size() > 0) {
    if (c.headers_equal_size() < 2) {
      return Error(path + ".headers_equal", "name at least two headers to compare");
    }
    n.kind = Node::Kind::kHeadersEqual;
    for (int i = 0; i < c.headers_equal_size(); ++i) {
      if (std::string p = HeaderNameProblem(c.headers_equal(i)); !p.empty()) {
        return Error(absl::StrCat(path, ".headers_equal[", i, "]"), p);
      }
      n.names.push_back(c.headers_equal(i));
    }
    return n;
  }
  if (c.has_client_ip()) return CompileClientIp(c.client_ip(), path + ".client_ip", state);
  if (c.has_not_()) {
    n.kind = Node::Kind::kNot;
    absl::StatusOr<Node> inner = CompileCondition(c.not_(), path + ".not", depth + 1, state);
    if (!inner.ok()) return inner.status();
    n.children.push_back(*std::move(inner));
    return n;
  }
  const bool all = c.all_size() > 0;
  n.kind = all ? Node::Kind::kAll : Node::Kind::kAny;
  absl::Status status =
      CompileList(all ? c.all() : c.any(), path + (all ? ".all" : ".any"), depth, state, &n);
  if (!status.ok()) return status;
  return n;
}

absl::StatusOr<RuleResponse> CompileResponse(const v1::Rule& rule, const std::string& path) {
  if (!rule.has_respond()) {
    return Error(path + ".respond", "required: the status (and body, headers) to answer");
  }
  const v1::Response& r = rule.respond();
  RuleResponse out;
  if (!r.has_status()) return Error(path + ".respond.status", "required, 200..599");
  if (r.status() < kMinRuleStatus || r.status() > kMaxRuleStatus) {
    return Error(path + ".respond.status",
                 absl::StrCat("must be in [200, 599], got ", r.status(),
                              " (Envoy sends whatever number the broker gives: 0 would become "
                              "403, 1xx or > 599 a broken response)"));
  }
  out.status = r.status();
  if (r.body().size() > kDirectResponseBodyMaxBytes) {
    return Error(path + ".respond.body",
                 absl::StrCat("is ", r.body().size(), " bytes; at most 1 MB (1048576 bytes)"));
  }
  if (!r.body().empty() && (out.status == 204 || out.status == 304)) {
    return Error(path + ".respond.body",
                 absl::StrCat("a ", out.status, " response carries no body; remove it"));
  }
  out.body = r.body();
  for (const auto& [name, value] : r.headers()) {
    const std::string key = absl::StrCat(path, ".respond.headers[\"", name, "\"]");
    if (std::string p = HeaderNameProblem(name); !p.empty()) return Error(key, p);
    if (std::find(std::begin(kRefusedResponseHeaders), std::end(kRefusedResponseHeaders), name) !=
        std::end(kRefusedResponseHeaders)) {
      return Error(key, absl::StrCat("\"", name,
                                     "\" cannot be set: Envoy recomputes, overwrites or removes "
                                     "it in the response it sends"));
    }
    if (!IsHeaderValue(value)) return Error(key, "a header value cannot contain CR, LF or NUL");
    out.headers.emplace_back(name, value);
  }
  std::sort(out.headers.begin(), out.headers.end());
  return out;
}

bool IsHostPattern(const std::string& host) {
  if (host == "*") return true;
  absl::string_view rest = host;
  if (absl::StartsWith(rest, "*.")) rest.remove_prefix(2);
  return IsDns1123Subdomain(rest);
}

// The host without its port, lowercased into `buffer`.
absl::string_view HostName(absl::string_view authority, std::string* buffer) {
  if (absl::StartsWith(authority, "[")) {
    const size_t end = authority.find(']');
    authority = authority.substr(0, end == absl::string_view::npos ? authority.size() : end + 1);
  } else if (const size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  if (std::none_of(authority.begin(), authority.end(), absl::ascii_isupper)) return authority;
  *buffer = absl::AsciiStrToLower(authority);
  return *buffer;
}

bool Holds(const Node& n, const RequestView& r) {
  switch (n.kind) {
    case Node::Kind::kHeader: {
      const std::optional<absl::string_view> v = r.header(n.name);
      switch (n.test) {
        case Node::Test::kPresent:
          return v.has_value();
        case Node::Test::kAbsent:
          return !v.has_value();
        case Node::Test::kExact:
          return v && *v == n.value;
        case Node::Test::kPrefix:
          return v && absl::StartsWith(*v, n.value);
        case Node::Test::kRegex:
          return v && RE2::FullMatch(re2::StringPiece(v->data(), v->size()), *n.regex);
      }
      return false;
    }
    case Node::Kind::kPath: {
      // As Envoy's route match: exact and regex see the path without the query string.
      const absl::string_view full = r.path();
      const absl::string_view path = full.substr(0, full.find('?'));
      switch (n.test) {
        case Node::Test::kExact:
          return path == n.value;
        case Node::Test::kPrefix:
          return absl::StartsWith(full, n.value);
        case Node::Test::kRegex:
          return RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *n.regex);
        default:
          return false;
      }
    }
    case Node::Kind::kMethod:
      return r.method() == n.value;
    case Node::Kind::kAll:
      return std::all_of(n.children.begin(), n.children.end(),
                         [&](const Node& c) { return Holds(c, r); });
    case Node::Kind::kAny:
      return std::any_of(n.children.begin(), n.children.end(),
                         [&](const Node& c) { return Holds(c, r); });
    case Node::Kind::kNot:
      return !Holds(n.children.front(), r);
    case Node::Kind::kHeadersEqual: {
      const std::optional<absl::string_view> first = r.header(n.names.front());
      if (!first) return false;
      for (size_t i = 1; i < n.names.size(); ++i) {
        const std::optional<absl::string_view> v = r.header(n.names[i]);
        if (!v || *v != *first) return false;
      }
      return true;
    }
    case Node::Kind::kClientIp: {
      const std::optional<IpAddress> ip = r.client_ip();
      return ip && n.ips.Contains(*ip);
    }
  }
  return false;
}

// Host patterns into `out`; "*" anywhere means every host.
absl::Status CompileHosts(const google::protobuf::RepeatedPtrField<std::string>& hosts,
                          absl::string_view path, RuleSet::HostSet* out) {
  for (int i = 0; i < hosts.size(); ++i) {
    const std::string& host = hosts[i];
    if (!IsHostPattern(host)) {
      return Error(absl::StrCat(path, ".hosts[", i, "]"),
                   absl::StrCat("\"", host,
                                "\" is not a lowercase DNS name, \"*.\" + a DNS name, or \"*\""));
    }
  }
  for (const std::string& host : hosts) {
    if (host == "*") {
      *out = RuleSet::HostSet();
      return absl::OkStatus();
    }
    out->every_host = false;
    if (absl::StartsWith(host, "*.")) {
      out->wildcard_suffixes.insert(host.substr(1));
    } else {
      out->exact.insert(host);
    }
  }
  return absl::OkStatus();
}

}  // namespace

RuleSet::RuleSet() = default;
RuleSet::~RuleSet() = default;

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::Compile(
    const google::protobuf::RepeatedPtrField<v1::Rule>& rules,
    const google::protobuf::RepeatedPtrField<std::string>& hosts, absl::string_view path,
    const Options& options) {
  std::shared_ptr<RuleSet> set(new RuleSet());
  CompileState state(options);
  if (absl::Status s = CompileHosts(hosts, path, &set->hosts_); !s.ok()) return s;
  absl::flat_hash_map<std::string, int> names;
  for (int i = 0; i < rules.size(); ++i) {
    const v1::Rule& rule = rules[i];
    const std::string rule_path = absl::StrCat(path, ".rules[", i, "]");
    if (!rule.has_name() || rule.name().empty()) {
      return Error(rule_path + ".name", "required: a name for messages and metrics");
    }
    if (!IsTeamScopedName(rule.name())) {
      return Error(rule_path + ".name",
                   absl::StrCat("\"", rule.name(),
                                "\" is not a Kubernetes name (lowercase letters, digits and '-', "
                                "at most 63)"));
    }
    if (auto [it, inserted] = names.emplace(rule.name(), i); !inserted) {
      return Error(rule_path + ".name", absl::StrCat("\"", rule.name(), "\" is used twice (also ",
                                                     path, ".rules[", it->second, "])"));
    }
    // A catch-all in dry run answers nothing, so rules after it still can.
    if (!set->conditions_.empty() && set->conditions_.back() == nullptr &&
        set->rule_hosts_.back().every_host && !set->rules_.back().dry_run) {
      return Error(rule_path, absl::StrCat("can never answer: ", path, ".rules[", i - 1,
                                           "] has no `when` and answers every request"));
    }
    HostSet rule_hosts;
    if (absl::Status s = CompileHosts(rule.hosts(), rule_path, &rule_hosts); !s.ok()) return s;
    for (int h = 0; h < rule.hosts_size(); ++h) {
      const std::string& host = rule.hosts(h);
      if (!set->hosts_.Covers(host)) {
        return Error(absl::StrCat(rule_path, ".hosts[", h, "]"),
                     absl::StrCat("\"", host, "\" is outside the hosts of ", path, ".hosts"));
      }
    }
    absl::StatusOr<RuleResponse> response = CompileResponse(rule, rule_path);
    if (!response.ok()) return response.status();
    std::unique_ptr<Node> condition;
    if (rule.has_when()) {
      absl::StatusOr<Node> when = CompileCondition(rule.when(), rule_path + ".when", 1, &state);
      if (!when.ok()) return when.status();
      condition = std::make_unique<Node>(*std::move(when));
    }
    set->conditions_.push_back(std::move(condition));
    set->rule_hosts_.push_back(std::move(rule_hosts));
    set->rules_.push_back(
        Rule{rule.name(), *std::move(response), rule.dry_run() || options.dry_run});
  }
  set->cidr_count_ = state.cidrs;
  set->files_ = std::move(state.files);
  return std::shared_ptr<const RuleSet>(std::move(set));
}

bool RuleSet::HostSet::Contains(absl::string_view host) const {
  if (every_host) return true;
  if (exact.contains(host)) return true;
  // "*.example.com" takes every name ending in ".example.com" (any depth), as Envoy's
  // virtual-host domains do, but not "example.com" itself.
  for (size_t dot = host.find('.'); dot != absl::string_view::npos; dot = host.find('.', dot + 1)) {
    if (dot > 0 && wildcard_suffixes.contains(host.substr(dot))) return true;
  }
  return false;
}

bool RuleSet::HostSet::Covers(const std::string& pattern) const {
  if (every_host) return true;
  if (pattern == "*") return false;
  if (!absl::StartsWith(pattern, "*.")) return Contains(pattern);
  // "*.a.example.com" lies inside "*.a.example.com" and "*.example.com", never inside
  // named hosts (it stands for names not listed).
  const absl::string_view suffix = absl::string_view(pattern).substr(1);  // ".a.example.com"
  for (size_t dot = 0; dot != absl::string_view::npos; dot = suffix.find('.', dot + 1)) {
    if (wildcard_suffixes.contains(suffix.substr(dot))) return true;
  }
  return false;
}

int RuleSet::Match(const RequestView& request, int from) const {
  if (rules_.empty() || from >= static_cast<int>(rules_.size())) return -1;
  std::string buffer;
  const absl::string_view host = HostName(request.host(), &buffer);
  if (!hosts_.Contains(host)) return -1;
  for (size_t i = std::max(from, 0); i < conditions_.size(); ++i) {
    if (!rule_hosts_[i].Contains(host)) continue;
    if (conditions_[i] == nullptr || Holds(*conditions_[i], request)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace edgekit::rules
