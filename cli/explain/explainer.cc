#include "cli/explain/explainer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/explain/authz_policy.h"
#include "cli/explain/istio_routes.h"
#include "rules/ip_set.h"

namespace edgekit::cli::explain {
namespace {

using Step = Explanation::Step;

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string AddressText(const std::optional<rules::IpAddress>& a) {
  return a.has_value() ? rules::FormatIpAddress(*a) : "";
}

// Envoy's compressor choice (compressor_filter.cc chooseEncoding): the highest q among
// gzip (or "*"), identity wins; q=0 refuses; no header means no compression.
bool AcceptsGzip(std::optional<absl::string_view> accept_encoding, std::string* why) {
  if (!accept_encoding.has_value()) {
    *why = "the request has no accept-encoding";
    return false;
  }
  std::optional<double> gzip, star, identity;
  for (absl::string_view token : absl::StrSplit(*accept_encoding, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(token, ';');
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    double q = 1;
    bool valid = true;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&p, "q=")) valid = absl::SimpleAtod(p, &q);
    }
    if (!valid) continue;
    if (name == "gzip") gzip = q;
    if (name == "*") star = q;
    if (name == "identity") identity = q;
  }
  const std::optional<double> q = gzip.has_value() ? gzip : star;
  if (!q.has_value() || *q <= 0) {
    *why = absl::StrCat("accept-encoding \"", *accept_encoding, "\" does not accept gzip");
    return false;
  }
  if (identity.has_value() && *identity > *q) {
    *why = absl::StrCat("accept-encoding \"", *accept_encoding, "\" prefers identity");
    return false;
  }
  return true;
}

bool ContentTypeListed(const CompressorModel& c, absl::string_view content_type) {
  const absl::string_view bare =
      absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';')));
  for (const std::string& t : c.content_types) {
    if (absl::EqualsIgnoreCase(t, bare)) return true;
  }
  return false;
}

}  // namespace

namespace {

// The first query parameter that names no field of `message` (type_helper.cc
// ResolveFieldPath: each dotted part a field by its proto or JSON name), "" if none.
// Parameters without '=' or with an empty name are skipped, as the library skips them.
std::string UnknownQueryParameter(const TranscoderModel& t, absl::string_view path,
                                  const google::protobuf::Descriptor* message) {
  const size_t q = path.find('?');
  if (q == absl::string_view::npos || message == nullptr) return "";
  for (absl::string_view pair : absl::StrSplit(path.substr(q + 1), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos || eq == 0) continue;
    const std::string name(pair.substr(0, eq));
    if (t.ignored_query_parameters.count(name) > 0) continue;
    const google::protobuf::Descriptor* at = message;
    bool found = true;
    for (absl::string_view part : absl::StrSplit(name, '.')) {
      if (at == nullptr) {
        found = false;
        break;
      }
      const google::protobuf::FieldDescriptor* f = at->FindFieldByName(std::string(part));
      if (f == nullptr) {
        for (int i = 0; i < at->field_count() && f == nullptr; ++i) {
          if (at->field(i)->json_name() == part) f = at->field(i);
        }
      }
      if (f == nullptr) {
        found = false;
        break;
      }
      at = f->message_type();
    }
    if (!found) return name;
  }
  return "";
}

// Step 3/4: a rule engine's first matching rule that is not in dry run, as an answer.
// The dry-run rules that hold before it (or, with no answer, at all) go to `e->dry_run`
// and each gets a step: the broker counts them and goes on with the next rule.
std::optional<Explanation::Direct> RuleAnswer(const RuleEngineModel& engine,
                                              const GatewayRequest& r, const char* name,
                                              const GatewayModel& model, Explanation* e) {
  if (engine.rules == nullptr) return std::nullopt;
  int index = engine.rules->Match(r);
  while (index >= 0 && engine.rules->rules()[static_cast<size_t>(index)].dry_run) {
    const std::string& rule = engine.rules->rules()[static_cast<size_t>(index)].name;
    e->dry_run.push_back({name, rule, model.TeamOf(rule)});
    e->steps.push_back(
        {name,
         absl::StrCat("rule ", Quoted(rule), " matches (dry run: counted, not answered)"),
         {absl::StrCat("edgekit_broker_direct_responses_total{rule=", Quoted(rule),
                       ", mode=\"dry_run\"} counts it; the rules after it are tried")}});
    index = engine.rules->Match(r, index + 1);
  }
  if (index < 0) return std::nullopt;
  const rules::RuleSet::Rule& rule = engine.rules->rules()[static_cast<size_t>(index)];
  Explanation::Direct d;
  d.engine = name;
  d.rule = rule.name;
  d.team = model.TeamOf(rule.name);
  d.status = rule.respond.status;
  d.body = rule.respond.body;
  d.headers = rule.respond.headers;
  return d;
}

// Why the client address is the TCP peer when trusted hops are configured: the header is
// missing, too short, or the entry the hops point at is not an address ("" otherwise).
std::string TrustedHopNote(const GatewayRequest& r, uint32_t trusted) {
  if (trusted == 0 || !r.peer().has_value()) return "";
  std::optional<absl::string_view> xff = r.header("x-forwarded-for");
  const std::vector<absl::string_view> entries =
      xff.has_value() ? absl::StrSplit(*xff, ',') : std::vector<absl::string_view>();
  // `entries` ends with the peer Envoy appended.
  if (entries.size() <= 1)
    return "no x-forwarded-for was received: the client address is the TCP peer";
  if (entries.size() <= trusted) {
    return absl::StrCat("x-forwarded-for as received has ", entries.size() - 1,
                        entries.size() == 2 ? " entry" : " entries", ", fewer than the ", trusted,
                        " trusted proxies: the client address is the TCP peer");
  }
  const absl::string_view entry = absl::StripAsciiWhitespace(entries[entries.size() - 1 - trusted]);
  if (!rules::ParseIpAddress(entry).has_value()) {
    return absl::StrCat("x-forwarded-for entry \"", entry, "\" (", trusted,
                        " from the right) is not an IP address: the client address is the "
                        "TCP peer");
  }
  return "";
}

// A local reply sent by a filter before the compressor (ext_authz, Wasm) never passes
// through it: Envoy encodes a local reply only through the filters ahead of its sender.
Explanation NoGzipForEarlyReply(const GatewayModel& model, Explanation e) {
  if (model.compressor.has_value()) {
    e.steps.push_back({"gzip",
                       absl::StrCat("no: the answer comes from ", e.direct->engine,
                                    ", ahead of the compressor in the filter chain"),
                       {}});
  }
  return e;
}

std::string DescribeAnswer(const Explanation::Direct& d) {
  std::string out = absl::StrCat(d.status);
  if (!d.body.empty()) absl::StrAppend(&out, " ", Quoted(d.body));
  for (const auto& [k, v] : d.headers) absl::StrAppend(&out, ", ", k, ": ", v);
  return out;
}

}  // namespace

const char* AuthName(Explanation::Auth auth) {
  switch (auth) {
    case Explanation::Auth::kCalled:
      return "called";
    case Explanation::Auth::kExcluded:
      return "excluded";
    case Explanation::Auth::kNotReached:
      return "not_reached";
    default:
      return "not_configured";
  }
}

namespace {

// A forwarding route's verdict as the route step.
void RecordRoute(const GatewayModel& model, const RouteVerdict& verdict, const std::string& seen,
                 Explanation* e) {
  Explanation::Route route{verdict.name, model.TeamOf(verdict.name), verdict.destination_host,
                           verdict.destination_port};
  Step step{"route",
            absl::StrCat("route ", Quoted(route.name), " -> ", route.host,
                         route.port != 0 ? absl::StrCat(":", route.port) : "", seen),
            {}};
  if (!route.team.empty()) step.details.push_back(absl::StrCat("owned by team ", route.team));
  e->steps.push_back(std::move(step));
  e->route = std::move(route);
}

// The route step on VirtualServices (gateway.api istio).
void ExplainVirtualServiceRoute(const GatewayModel& model, const GatewayRequest& r,
                                Explanation* out) {
  Explanation& e = *out;
  const VirtualServiceMatcher* vs = nullptr;
  for (const VirtualServiceMatcher& v : model.virtual_services) {
    for (const std::string& h : v.hosts()) {
      if (vs == nullptr && HostMatchesPattern(r.host(), h)) vs = &v;
    }
  }
  if (model.virtual_services.empty()) {
    // edgekit rendered no routes: the gateway's own VirtualServices (not seen here) route.
    e.steps.push_back({"route",
                       absl::StrCat("not rendered by edgekit: your VirtualServices bound to ",
                                    model.gateway, " route it (explain cannot see them)"),
                       {}});
  } else if (vs == nullptr) {
    e.steps.push_back(
        {"route",
         absl::StrCat("404: no VirtualService of ", model.gateway, " serves host ", Quoted(e.host)),
         {}});
    e.direct = Explanation::Direct{"gateway", "", "", 404, "", {}};
  } else {
    const RouteVerdict verdict = vs->Evaluate(r);
    const std::string& vs_name = vs->name();
    const std::string seen = absl::StrCat(" (", r.method(), " ", r.path_without_query(), ")");
    if (verdict.index < 0) {
      e.steps.push_back(
          {"route", absl::StrCat("404: no route of ", vs_name, " matches", seen), {}});
      e.direct = Explanation::Direct{"gateway", "", "", 404, "", {}};
    } else if (verdict.direct) {
      Explanation::Direct d{"routes",       verdict.name, model.TeamOf(verdict.name),
                            verdict.status, verdict.body, verdict.response_headers};
      e.steps.push_back(
          {"route",
           absl::StrCat("route ", Quoted(verdict.name), " answers ", DescribeAnswer(d), seen),
           {}});
      e.direct = std::move(d);
    } else {
      RecordRoute(model, verdict, seen, &e);
    }
  }
}

// The route step on HTTPRoutes and GRPCRoutes (gateway.api gateway-api): Gateway API's
// ranking, not the file's order (gateway_api_routes.h).
void ExplainGatewayApiRoute(const GatewayModel& model, const GatewayApiRouteMatcher& routes,
                            const GatewayRequest& r, Explanation* e) {
  if (!routes.Serves(r.host())) {
    e->steps.push_back({"route",
                        absl::StrCat("404: no HTTPRoute attached to ", model.gateway,
                                     " serves host ", Quoted(e->host)),
                        {}});
    e->direct = Explanation::Direct{"gateway", "", "", 404, "", {}};
    return;
  }
  const RouteVerdict verdict = routes.Evaluate(r);
  const std::string seen = absl::StrCat(" (", r.method(), " ", r.path_without_query(), ")");
  if (verdict.index < 0) {
    e->steps.push_back(
        {"route",
         absl::StrCat("404: no HTTPRoute rule attached to ", model.gateway, " matches", seen),
         {}});
    e->direct = Explanation::Direct{"gateway", "", "", 404, "", {}};
    return;
  }
  RecordRoute(model, verdict, seen, e);
  e->steps.back().details.push_back(
      absl::StrCat("Gateway API ranking: match ", verdict.index + 1,
                   " (exact paths, then longer prefixes, then regular expressions; then a "
                   "method, then more headers)"));
}

absl::StatusOr<Explanation> Walk(const GatewayModel& model, const HttpRequest& request) {
  const uint32_t trusted =
      model.broker.has_value() ? model.broker->num_trusted_proxies : model.num_trusted_proxies;
  absl::StatusOr<GatewayRequest> made = GatewayRequest::Make(request, model.normalization, trusted);
  if (!made.ok()) return made.status();
  GatewayRequest r = *std::move(made);
  Explanation e;
  e.method = std::string(r.method());
  e.host = std::string(r.host());
  e.path = std::string(r.path());
  e.received_path = r.received_path();
  e.client_address = AddressText(r.client_ip());

  // 1. The request.
  Step first{"request", absl::StrCat(e.method, " ", e.path, " (host ", e.host, ")"), {}};
  if (e.path != e.received_path) {
    first.details.push_back(absl::StrCat("path ", Quoted(e.received_path), " normalized to ",
                                         Quoted(e.path), " (meshConfig.pathNormalization)"));
  }
  first.details.push_back(
      r.peer().has_value()
          ? absl::StrCat("TCP peer ", r.peer_text(), "; client address for rules ",
                         e.client_address.empty() ? "unknown" : e.client_address,
                         trusted > 0 ? absl::StrCat(" (", trusted, " trusted proxies)") : "")
          : absl::StrCat(
                "TCP peer not given (--client-ip): excluded_cidrs do not hold; ",
                e.client_address.empty()
                    ? "client_ip rules do not hold either"
                    : absl::StrCat("client address for rules ", e.client_address,
                                   " from x-forwarded-for (", trusted, " trusted proxies)")));
  if (std::string note = TrustedHopNote(r, trusted); !note.empty()) {
    first.details.push_back(std::move(note));
  }
  if (e.method != absl::AsciiStrToUpper(e.method)) {
    first.details.push_back(absl::StrCat("method \"", e.method,
                                         "\" is not uppercase: methods are case-sensitive, and "
                                         "Envoy matches it as written (a GET route does not)"));
  }
  // Envoy's connection manager refuses a path with a fragment before any filter runs
  // (conn_manager_utility.cc maybeNormalizePath, runtime guard
  // http_reject_path_with_fragment, on by default).
  if (e.received_path.find('#') != std::string::npos) {
    first.summary = absl::StrCat("400: the path has a fragment ('#'): ", e.method, " ",
                                 e.received_path, " (host ", e.host, ")");
    e.steps.push_back(std::move(first));
    e.auth = Explanation::Auth::kNotReached;
    e.direct = Explanation::Direct{"gateway", "", "", 400, "", {}};
    return e;
  }
  e.steps.push_back(std::move(first));

  // 2. ext_authz.
  if (!model.authz.has_value()) {
    e.steps.push_back({"ext_authz", "not configured (no CUSTOM AuthorizationPolicy)", {}});
  } else {
    std::string why_not;
    absl::StatusOr<bool> holds = CustomPolicyCalls(*model.authz, r, &why_not);
    if (!holds.ok()) return holds.status();
    const bool called = *holds;
    e.auth = called ? Explanation::Auth::kCalled : Explanation::Auth::kExcluded;
    e.steps.push_back(
        {"ext_authz",
         called ? absl::StrCat("called (AuthorizationPolicy ", model.authz->policy_name, ")")
                : absl::StrCat("excluded: ", why_not),
         {}});
  }

  // 3. The broker, inside the Check call.
  auto none_answers = [&e] { return e.dry_run.empty() ? "no rule holds" : "no other rule holds"; };
  if (model.broker.has_value()) {
    if (e.auth != Explanation::Auth::kCalled) {
      e.steps.push_back({"broker", "not reached: ext_authz does not call it for this request", {}});
    } else if (auto answer = RuleAnswer(*model.broker, r, "broker", model, &e)) {
      e.steps.push_back(
          {"broker",
           absl::StrCat("rule ", Quoted(answer->rule), " answers ", DescribeAnswer(*answer)),
           {"answered inside the Check call: the auth service is not called"}});
      e.direct = std::move(answer);
    } else if (model.broker->rules_only) {
      e.steps.push_back(
          {"broker", absl::StrCat(none_answers(), "; rules-only broker: allowed"), {}});
    } else {
      e.steps.push_back(
          {"broker",
           absl::StrCat(model.broker->rules == nullptr ? "no rules" : none_answers(),
                        "; forwarded to the auth service"),
           {"its answer decides (explain cannot know it): what follows assumes it allows"}});
    }
  } else if (e.auth == Explanation::Auth::kCalled) {
    e.steps.back().details.push_back(
        "the auth service's answer decides (explain cannot know it): what follows assumes it "
        "allows");
  }
  if (e.direct.has_value()) return NoGzipForEarlyReply(model, std::move(e));

  // 4. The Wasm plugin.
  if (model.wasm.has_value()) {
    if (auto answer = RuleAnswer(*model.wasm, r, "wasm", model, &e)) {
      e.steps.push_back(
          {"wasm",
           absl::StrCat("rule ", Quoted(answer->rule), " answers ", DescribeAnswer(*answer)),
           {absl::StrCat("by your Wasm module (phase ", model.wasm->phase,
                         "), if it implements edgekit's rules")}});
      e.direct = std::move(answer);
      return NoGzipForEarlyReply(model, std::move(e));
    }
    e.steps.push_back({"wasm", "no rule holds", {}});
  }

  // 5. The transcoder.
  if (model.transcoder.has_value()) {
    const TranscoderModel& t = *model.transcoder;
    std::optional<absl::string_view> content_type = r.header("content-type");
    std::optional<TemplateMatcher::Match> match;
    // Grpc::Common::isGrpcRequestHeaders: application/grpc or application/grpc+<codec>.
    if (content_type.has_value() && (*content_type == "application/grpc" ||
                                     absl::StartsWith(*content_type, "application/grpc+"))) {
      e.steps.push_back({"transcoder", "passed through: already a gRPC request", {}});
    } else if (!(match = t.matcher.Lookup(r.method(), r.path())).has_value()) {
      e.steps.push_back(
          {"transcoder",
           absl::StrCat("passed through: no binding of ", absl::StrJoin(t.services, ", "),
                        " matches ", e.method, " ", r.path_without_query()),
           {}});
    } else {
      const HttpRoute& binding = t.bindings[static_cast<size_t>(match->id)];
      const std::string service = binding.method.substr(0, binding.method.rfind('/'));
      const google::protobuf::ServiceDescriptor* sd = t.pool->FindServiceByName(service);
      const google::protobuf::MethodDescriptor* md =
          sd == nullptr
              ? nullptr
              : sd->FindMethodByName(binding.method.substr(binding.method.rfind('/') + 1));
      const std::string unknown =
          t.unknown_query == TranscoderModel::UnknownQuery::kIgnore
              ? ""
              : UnknownQueryParameter(t, r.path(), md == nullptr ? nullptr : md->input_type());
      const std::string bound = absl::StrCat(binding.verb, " ", binding.path);
      if (!unknown.empty() && t.unknown_query == TranscoderModel::UnknownQuery::kReject) {
        e.steps.push_back({"transcoder",
                           absl::StrCat("rejected with 400: query parameter ", Quoted(unknown),
                                        " names no field of ", binding.method, "'s request"),
                           {}});
        e.direct = Explanation::Direct{"gateway", "", "", 400, "", {}};
        return e;
      }
      if (!unknown.empty()) {
        e.steps.push_back({"transcoder",
                           absl::StrCat("passed through untouched: binding ", bound,
                                        " matches but query "
                                        "parameter ",
                                        Quoted(unknown),
                                        " names no field of the request "
                                        "(unknown_query_parameters: neither IGNORE nor REJECT)"),
                           {}});
      } else {
        Explanation::Grpc g{binding.method, bound, match->variables};
        std::vector<std::string> vars;
        for (const auto& [k, v] : g.variables) vars.push_back(absl::StrCat(k, "=", v));
        Step step{"transcoder",
                  absl::StrCat("binding ", bound, " -> gRPC ", binding.method),
                  {absl::StrCat("request becomes POST /", binding.method,
                                "; the route is matched again on that path")}};
        if (!vars.empty())
          step.details.push_back(absl::StrCat("path variables ", absl::StrJoin(vars, ", ")));
        e.steps.push_back(std::move(step));
        r.RewriteForGrpc(absl::StrCat("/", binding.method));
        e.grpc = std::move(g);
      }
    }
  }

  // 6. The route.
  if (model.gateway_api_routes.has_value()) {
    ExplainGatewayApiRoute(model, *model.gateway_api_routes, r, &e);
  } else {
    ExplainVirtualServiceRoute(model, r, &e);
  }

  // 7. The compressor (after the router in the response direction).
  if (model.compressor.has_value()) {
    const CompressorModel& c = *model.compressor;
    std::string why;
    const std::string types = absl::StrJoin(c.content_types, ", ");
    if (!AcceptsGzip(r.header("accept-encoding"), &why)) {
      e.steps.push_back({"gzip", absl::StrCat("no: ", why), {}});
    } else if (e.direct.has_value()) {
      // A direct response: Envoy sends the body as text/plain unless a header says otherwise.
      std::string type = "text/plain";
      for (const auto& [k, v] : e.direct->headers) {
        if (absl::EqualsIgnoreCase(k, "content-type")) type = v;
      }
      e.gzip = e.direct->body.size() >= c.min_content_length && ContentTypeListed(c, type);
      e.steps.push_back(
          {"gzip",
           e.gzip
               ? absl::StrCat("yes: the ", e.direct->body.size(), "-byte ", type, " answer")
               : absl::StrCat("no: the answer (", e.direct->body.size(), " bytes, ", type,
                              ") is under ", c.min_content_length, " bytes or not one of ", types),
           {}});
    } else {
      e.gzip = true;
      e.steps.push_back({"gzip",
                         absl::StrCat("yes, for a response of type ", types, " of at least ",
                                      c.min_content_length, " bytes (or without content-length)"),
                         {"unless it carries cache-control: no-transform or content-encoding"}});
    }
  }
  return e;
}

}  // namespace

absl::StatusOr<Explanation> Explain(const GatewayModel& model, const HttpRequest& request) {
  // The manifests were rendered by edgekit, so their shape is known; a surprise in them
  // is reported rather than thrown.
  try {
    return Walk(model, request);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("a rendered manifest has an unexpected shape: ", e.what()));
  }
}

}  // namespace edgekit::cli::explain
