#include "cli/explain/istio_routes.h"

#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/explain/yaml_at.h"
#include "re2/re2.h"

namespace edgekit::cli::explain {
namespace {

// An Istio StringMatch ({exact|prefix|regex}, or {} / regex "*" for presence).
struct StringTest {
  enum class Kind { kPresent, kExact, kPrefix, kRegex };
  Kind kind = Kind::kPresent;
  std::string value;
  std::shared_ptr<const RE2> regex;
  bool ignore_case = false;  // exact and prefix only (uri with ignoreUriCase)

  bool Matches(absl::string_view v) const {
    switch (kind) {
      case Kind::kExact:
        return ignore_case ? absl::EqualsIgnoreCase(v, value) : v == value;
      case Kind::kPrefix:
        return ignore_case ? absl::StartsWithIgnoreCase(v, value) : absl::StartsWith(v, value);
      case Kind::kRegex:
        return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *regex);
      default:
        return true;
    }
  }
};

absl::StatusOr<StringTest> CompileString(const YAML::Node& m, bool ignore_case) {
  StringTest t;
  t.ignore_case = ignore_case;
  if (m["exact"]) {
    t.kind = StringTest::Kind::kExact;
    t.value = m["exact"].as<std::string>();
  } else if (m["prefix"]) {
    t.kind = StringTest::Kind::kPrefix;
    t.value = m["prefix"].as<std::string>();
  } else if (m["regex"] && m["regex"].as<std::string>() != "*") {  // "*": Istio's presence
    t.kind = StringTest::Kind::kRegex;
    t.value = m["regex"].as<std::string>();
    auto re = std::make_shared<RE2>(t.value, RE2::Quiet);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("regex \"", t.value, "\" does not compile: ", re->error()));
    }
    t.regex = std::move(re);
  }
  return t;
}

using NamedTests = std::vector<std::pair<std::string, StringTest>>;

struct Block {
  std::optional<StringTest> uri, authority, method;
  NamedTests headers, without_headers, query_params;

  bool Matches(const GatewayRequest& r) const {
    if (uri.has_value() && !uri->Matches(r.path_without_query())) return false;
    if (authority.has_value() && !authority->Matches(r.host())) return false;
    if (method.has_value() && !method->Matches(r.method())) return false;
    for (const auto& [name, test] : headers) {
      std::optional<absl::string_view> value = r.header(name);
      if (!value.has_value() || !test.Matches(*value)) return false;
    }
    for (const auto& [name, test] : without_headers) {
      std::optional<absl::string_view> value = r.header(name);
      if (test.kind == StringTest::Kind::kPresent) {
        if (value.has_value()) return false;
      } else if (test.Matches(value.value_or(""))) {
        return false;
      }
    }
    if (!query_params.empty()) {
      const std::map<std::string, std::string> params = FirstQueryValues(r.path());
      for (const auto& [name, test] : query_params) {
        auto it = params.find(name);
        if (it == params.end() || !test.Matches(it->second)) return false;
      }
    }
    return true;
  }
};

constexpr absl::string_view kModelledKeys[] = {
    "uri",         "authority",     "method", "headers", "withoutHeaders",
    "queryParams", "ignoreUriCase", "name"};

absl::Status CompileNamed(const YAML::Node& map, NamedTests* out) {
  for (const auto& entry : map) {
    absl::StatusOr<StringTest> t = CompileString(entry.second, false);
    if (!t.ok()) return t.status();
    out->emplace_back(entry.first.as<std::string>(), *std::move(t));
  }
  return absl::OkStatus();
}

absl::StatusOr<Block> CompileBlock(const YAML::Node& node) {
  for (const auto& key : node) {
    const std::string k = key.first.as<std::string>();
    bool known = false;
    for (absl::string_view m : kModelledKeys) known = known || k == m;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("match key \"", k, "\" is not modelled by explain"));
    }
  }
  Block b;
  const bool ignore_case = node["ignoreUriCase"] && node["ignoreUriCase"].as<bool>();
  for (auto [key, slot, fold] : {std::make_tuple("uri", &b.uri, ignore_case),
                                 std::make_tuple("authority", &b.authority, false),
                                 std::make_tuple("method", &b.method, false)}) {
    if (!node[key]) continue;
    absl::StatusOr<StringTest> t = CompileString(node[key], fold);
    if (!t.ok()) return t.status();
    *slot = *std::move(t);
  }
  if (absl::Status s = CompileNamed(node["headers"], &b.headers); !s.ok()) return s;
  if (absl::Status s = CompileNamed(node["withoutHeaders"], &b.without_headers); !s.ok()) return s;
  if (absl::Status s = CompileNamed(node["queryParams"], &b.query_params); !s.ok()) return s;
  return b;
}

}  // namespace

struct VirtualServiceMatcher::Route {
  std::vector<Block> blocks;  // empty: every request
  RouteVerdict verdict;       // what taking it means (index, name, destination or answer)
};

VirtualServiceMatcher::VirtualServiceMatcher() = default;
VirtualServiceMatcher::~VirtualServiceMatcher() = default;
VirtualServiceMatcher::VirtualServiceMatcher(VirtualServiceMatcher&&) noexcept = default;
VirtualServiceMatcher& VirtualServiceMatcher::operator=(VirtualServiceMatcher&&) noexcept = default;

bool HostMatchesPattern(absl::string_view host, absl::string_view pattern) {
  // The port is not part of the name (Istio gives each gateway virtual host its names
  // with and without ports).
  const size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos && host.find(']') == absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (pattern == "*") return true;
  if (absl::StartsWith(pattern, "*.")) {
    const absl::string_view suffix = pattern.substr(1);
    return host.size() > suffix.size() && absl::EndsWithIgnoreCase(host, suffix);
  }
  return absl::EqualsIgnoreCase(host, pattern);
}

std::map<std::string, std::string> FirstQueryValues(absl::string_view path) {
  std::map<std::string, std::string> out;
  const size_t q = path.find('?');
  if (q == absl::string_view::npos) return out;
  for (absl::string_view pair : absl::StrSplit(path.substr(q + 1), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::string name(pair.substr(0, eq));
    std::string value(eq == absl::string_view::npos ? "" : pair.substr(eq + 1));
    out.try_emplace(std::move(name), std::move(value));
  }
  return out;
}

absl::StatusOr<VirtualServiceMatcher> VirtualServiceMatcher::Compile(const YAML::Node& vs) {
  VirtualServiceMatcher out;
  try {
    out.name_ = At(vs, {"metadata", "name"}).as<std::string>("");
    for (const auto& h : At(vs, {"spec", "hosts"})) out.hosts_.push_back(h.as<std::string>());
    int index = 0;
    for (const auto& node : At(vs, {"spec", "http"})) {
      Route route;
      RouteVerdict& v = route.verdict;
      v.index = index;
      v.name = node["name"] ? node["name"].as<std::string>() : absl::StrCat("http[", index, "]");
      int block_index = 0;
      for (const auto& block : node["match"]) {
        absl::StatusOr<Block> b = CompileBlock(block);
        if (!b.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("route \"", v.name, "\" match[",
                                                         block_index, "]: ", b.status().message()));
        }
        route.blocks.push_back(*std::move(b));
        ++block_index;
      }
      if (node["directResponse"]) {
        v.direct = true;
        v.status = At(node, {"directResponse", "status"}).as<uint32_t>();
        v.body = At(node, {"directResponse", "body", "string"}).as<std::string>("");
        for (const auto& h : At(node, {"headers", "response", "set"})) {
          v.response_headers.emplace_back(h.first.as<std::string>(), h.second.as<std::string>());
        }
      } else if (node["route"] && node["route"].size() == 1) {
        const YAML::Node destination = node["route"][0]["destination"];
        v.destination_host = destination["host"].as<std::string>();
        v.destination_port = At(destination, {"port", "number"}).as<uint32_t>(0);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("route \"", v.name,
                         "\": only one destination or a directResponse is modelled by explain"));
      }
      out.routes_.push_back(std::move(route));
      ++index;
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("VirtualService ", out.name_, ": unexpected shape: ", e.what()));
  }
  return out;
}

RouteVerdict VirtualServiceMatcher::Evaluate(const GatewayRequest& request) const {
  for (const Route& route : routes_) {
    if (route.blocks.empty()) return route.verdict;
    for (size_t i = 0; i < route.blocks.size(); ++i) {
      if (route.blocks[i].Matches(request)) {
        RouteVerdict v = route.verdict;
        v.match_block = static_cast<int>(i);
        return v;
      }
    }
  }
  return RouteVerdict();
}

absl::StatusOr<RouteVerdict> EvaluateVirtualService(const YAML::Node& vs,
                                                    const GatewayRequest& request) {
  absl::StatusOr<VirtualServiceMatcher> matcher = VirtualServiceMatcher::Compile(vs);
  if (!matcher.ok()) return matcher.status();
  return matcher->Evaluate(request);
}

}  // namespace edgekit::cli::explain
