// Kubernetes' CEL url library (k8s.io/apiserver/pkg/cel/library/urls.go): url(), isURL()
// and the URL accessors. Validity is Go's url.ParseRequestURI, which Kubernetes uses: an
// absolute URI (scheme:...) or an absolute path, no control characters, a valid port,
// valid percent escapes, no fragment split (a '#' stays in the path or query).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/validate/cel/functions.h"

namespace edgekit::cli::cel {
namespace {

using K = Value::Kind;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.unescape: every '%' must start two hex digits. `plus_space` for query parts.
bool Unescape(absl::string_view s, bool plus_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() + 0 || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0) {
        return false;
      }
      out->push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (plus_space && s[i] == '+') {
      out->push_back(' ');
    } else {
      out->push_back(s[i]);
    }
  }
  return true;
}

// Go's shouldEscape(c, encodeHost) for ASCII: which characters a host may not contain.
bool HostCharOk(char c) {
  if (static_cast<unsigned char>(c) >= 0x80 || absl::ascii_isalnum(c)) return true;
  return absl::string_view("-_.~!$&'()*+,;=:[]<>\"%").find(c) != absl::string_view::npos;
}

// Go's parseHost: "[v6]:port", or "name:port" with the port digits only.
bool ValidHost(absl::string_view host) {
  absl::string_view port_part;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == absl::string_view::npos) return false;
    port_part = host.substr(close + 1);
    if (!port_part.empty() && port_part[0] != ':') return false;
  } else {
    size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) port_part = host.substr(colon);
  }
  for (size_t i = 1; i < port_part.size(); ++i) {
    if (!absl::ascii_isdigit(port_part[i])) return false;
  }
  for (char c : host) {
    if (!HostCharOk(c)) return false;
  }
  std::string unused;
  return Unescape(host, false, &unused);
}

// Go's validUserinfo (net/url): RFC 3986 unreserved, sub-delims, ':', '%' and '@'; then
// its percent escapes must be whole (parseAuthority unescapes the user and password).
bool ValidUserinfo(absl::string_view userinfo) {
  for (char c : userinfo) {
    if (!absl::ascii_isalnum(c) &&
        absl::string_view("-._:~!$&'()*+,;=%@").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  std::string unused;
  return Unescape(userinfo, false, &unused);
}

std::optional<UrlParts> ParseRequestUri(absl::string_view raw) {
  if (raw.empty()) return std::nullopt;
  for (char c : raw) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  }
  UrlParts u;
  u.text = std::string(raw);
  absl::string_view rest = raw;
  // Go's getScheme: a letter, then letters, digits, + - . up to ':'; anything else before
  // a ':' means there is no scheme; a ':' first is an error.
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (absl::ascii_isalpha(c)) continue;
    if (absl::ascii_isdigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return std::nullopt;  // "missing protocol scheme"
      u.scheme = std::string(raw.substr(0, i));
      rest = raw.substr(i + 1);
    }
    break;
  }
  if (rest == "*") {
    u.escaped_path = "*";
    return u;
  }
  size_t q = rest.find('?');
  if (q != absl::string_view::npos) {
    u.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') {
    if (!u.scheme.empty()) return u;  // opaque ("mailto:a@b")
    return std::nullopt;              // "invalid URI for request"
  }
  if (!u.scheme.empty() && rest.substr(0, 2) == "//") {
    absl::string_view authority = rest.substr(2);
    size_t slash = authority.find('/');
    rest = slash == absl::string_view::npos ? absl::string_view() : authority.substr(slash);
    if (slash != absl::string_view::npos) authority = authority.substr(0, slash);
    size_t at = authority.rfind('@');
    absl::string_view host = at == absl::string_view::npos ? authority : authority.substr(at + 1);
    if (!ValidHost(host)) return std::nullopt;
    if (at != absl::string_view::npos && !ValidUserinfo(authority.substr(0, at))) {
      return std::nullopt;  // "net/url: invalid userinfo"
    }
    u.host = std::string(host);
  }
  std::string unescaped;
  if (!Unescape(rest, false, &unescaped)) return std::nullopt;
  // EscapedPath: the path as written when it needs no escaping; spaces and the like are
  // percent-encoded (Go's EscapedPath falls back to escaping the decoded path).
  for (char c : rest) {
    if (c == ' ' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
        c == '{' || c == '|' || c == '}' || static_cast<unsigned char>(c) >= 0x80) {
      absl::StrAppend(&u.escaped_path, "%",
                      absl::AsciiStrToUpper(
                          absl::StrCat(absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2))));
    } else {
      u.escaped_path += c;
    }
  }
  return u;
}

const UrlParts* UrlOf(const Value* target, const std::vector<Value>& args) {
  if (!target || !args.empty() || target->kind() != K::kUrl) return nullptr;
  return target->rep().url.get();
}

Value Url(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (target || args.size() != 1 || !IsString(args[0])) {
    return NoSuchOverload("url", All(target, args));
  }
  std::optional<UrlParts> u = ParseRequestUri(args[0].string_value());
  if (!u)
    return ErrorValue(
        absl::StrCat("URL parse error during conversion from string: ", args[0].string_value()));
  return MakeUrl(std::make_shared<UrlParts>(*std::move(u)));
}

Value IsUrl(EvalContext&, const Value* target, const std::vector<Value>& args) {
  if (target || args.size() != 1 || !IsString(args[0])) {
    return NoSuchOverload("isURL", All(target, args));
  }
  return Value::Bool(ParseRequestUri(args[0].string_value()).has_value());
}

// Go's url.Hostname / url.Port.
std::pair<std::string, std::string> SplitHostPort(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    std::string name = host.substr(1, close - 1);
    std::string port = close + 1 < host.size() ? host.substr(close + 2) : "";
    return {name, port};
  }
  size_t colon = host.rfind(':');
  if (colon == std::string::npos) return {host, ""};
  return {host.substr(0, colon), host.substr(colon + 1)};
}

template <int kWhich>
Value UrlPart(EvalContext&, const Value* target, const std::vector<Value>& args) {
  static const char* const kNames[] = {"getScheme", "getHost", "getHostname", "getPort",
                                       "getEscapedPath"};
  const UrlParts* u = UrlOf(target, args);
  if (!u) return NoSuchOverload(kNames[kWhich], All(target, args));
  switch (kWhich) {
    case 0:
      return Value::String(u->scheme);
    case 1:
      return Value::String(u->host);
    case 2:
      return Value::String(SplitHostPort(u->host).first);
    case 3:
      return Value::String(SplitHostPort(u->host).second);
    default:
      return Value::String(u->escaped_path);
  }
}

// getQuery(): Go's url.Query(): pairs split on '&', keys and values unescaped ('+' is a
// space); malformed pairs (bad escapes, ';') are dropped as Go's ParseQuery drops them.
Value GetQuery(EvalContext& ctx, const Value* target, const std::vector<Value>& args) {
  const UrlParts* u = UrlOf(target, args);
  if (!u) return NoSuchOverload("getQuery", All(target, args));
  std::vector<std::string> keys;
  std::vector<std::vector<Value>> values;
  for (absl::string_view pair : absl::StrSplit(u->raw_query, '&')) {
    if (!ctx.Charge(1)) return BudgetExceeded();
    if (pair.empty() || pair.find(';') != absl::string_view::npos) continue;
    size_t eq = pair.find('=');
    std::string key;
    std::string value;
    if (!Unescape(pair.substr(0, eq), true, &key)) continue;
    if (eq != absl::string_view::npos && !Unescape(pair.substr(eq + 1), true, &value)) continue;
    size_t k = 0;
    while (k < keys.size() && keys[k] != key) ++k;
    if (k == keys.size()) {
      keys.push_back(key);
      values.emplace_back();
    }
    values[k].push_back(Value::String(std::move(value)));
  }
  std::vector<std::pair<Value, Value>> entries;
  for (size_t k = 0; k < keys.size(); ++k) {
    entries.emplace_back(Value::String(keys[k]), MakeList(std::move(values[k])));
  }
  return Value::Map(std::make_shared<VectorMap>(std::move(entries)));
}

}  // namespace

Function LookupK8sUrl(absl::string_view name) {
  if (name == "url") return Url;
  if (name == "isURL") return IsUrl;
  if (name == "getScheme") return UrlPart<0>;
  if (name == "getHost") return UrlPart<1>;
  if (name == "getHostname") return UrlPart<2>;
  if (name == "getPort") return UrlPart<3>;
  if (name == "getEscapedPath") return UrlPart<4>;
  if (name == "getQuery") return GetQuery;
  return nullptr;
}

}  // namespace edgekit::cli::cel
