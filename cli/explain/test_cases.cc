#include "cli/explain/test_cases.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/explain/yaml_at.h"
#include "common/json_text.h"
#include "common/yaml_proto.h"
#include "common/yaml_stream.h"

namespace edgekit::cli::explain {
namespace {

using cases::v1::Expectation;

absl::Status CaseError(const std::string& path, const YAML::Node& at, int index,
                       absl::string_view key, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(YamlLocation(path, at.Mark()), "[", index, "]",
                                                 key.empty() ? "" : ".", key, ": ", problem));
}

// YamlToProto's "<path>:<line>:<col>: <key>: ..." with the case's index put before the key.
absl::Status WithIndex(const absl::Status& status, int index) {
  std::string message(status.message());
  // The key path starts after the first ": " (the location has colons but no spaces).
  const size_t at = message.find(": ");
  if (at == std::string::npos) return status;
  return absl::InvalidArgumentError(
      absl::StrCat(message.substr(0, at + 2), "[", index, "].", message.substr(at + 2)));
}

bool ExpectsSomething(const Expectation& e) {
  return e.has_direct() || e.has_route() || e.has_grpc_method() ||
         e.auth() != Expectation::AUTH_UNSPECIFIED || e.has_gzip() || e.dry_run_size() > 0;
}

std::string Q(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// What happened, with the dry-run rules that held (they count, they never answer: a
// case expecting their status fails, and says why).
std::string ActualAnswer(const Explanation& a) {
  std::string out;
  if (!a.direct.has_value()) {
    out = a.route.has_value() ? absl::StrCat("routed to ", a.route->host, " by ", Q(a.route->name))
                              : "no answer";
  } else {
    out = absl::StrCat(a.direct->status, " from the ", a.direct->engine,
                       a.direct->rule.empty() ? "" : absl::StrCat(" (", Q(a.direct->rule), ")"));
  }
  for (const Explanation::DryRun& d : a.dry_run) {
    absl::StrAppend(&out, "; rule ", Q(d.rule), " matched in dry run (counted, not answered)");
  }
  return out;
}

// The dry-run matches as a mismatch reports them: "none" or "\"a\", \"b\"".
std::string DryRunMatches(const Explanation& a) {
  if (a.dry_run.empty()) return "none";
  std::vector<std::string> names;
  for (const Explanation::DryRun& d : a.dry_run) names.push_back(Q(d.rule));
  return absl::StrJoin(names, ", ");
}

// Why `name` cannot match in dry run on this gateway, from the broker's rules (dry run is
// the broker's alone): no such rule, or one that answers. "" when it is a rule in dry run
// or there is no model to ask.
std::string WhyNoDryRun(const GatewayModel* model, const std::string& name) {
  if (model == nullptr) return "";
  if (!model->broker.has_value() || model->broker->rules == nullptr ||
      model->broker->rules->rules().empty()) {
    return "the rendered config has no broker rules";
  }
  std::vector<std::string> in_dry_run;
  for (const rules::RuleSet::Rule& rule : model->broker->rules->rules()) {
    if (rule.name == name) return rule.dry_run ? "" : "the rule is not in dry run: it answers";
    if (rule.dry_run) in_dry_run.push_back(Q(rule.name));
  }
  return absl::StrCat("the broker has no rule ", Q(name), "; ",
                      in_dry_run.empty()
                          ? "no rule is in dry run"
                          : absl::StrCat("rules in dry run: ", absl::StrJoin(in_dry_run, ", ")));
}

std::string XmlEscape(absl::string_view raw) {
  const std::string s = ValidUtf8(std::string_view(raw.data(), raw.size()));  // XML: UTF-8
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 allows no other control characters than tab, newline, return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<CaseFile> LoadCaseFile(const std::string& path) {
  absl::StatusOr<std::vector<YAML::Node>> docs = ReadYamlFile(path, kConfigYamlLimits);
  if (!docs.ok()) return docs.status();
  CaseFile file;
  file.path = path;
  if (docs->size() != 1 || !(*docs)[0].IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": a case file is one YAML list of {name, request, expect} (see `edgekit test "
                     "--help`)"));
  }
  std::set<std::string> names;
  int i = 0;
  for (const YAML::Node& node : (*docs)[0]) {
    cases::v1::TestCase c;
    if (!node.IsMap())
      return CaseError(path, node, i, "", "expected a mapping {name, request, expect}");
    if (absl::Status s = YamlToProto(node, &c, path); !s.ok()) return WithIndex(s, i);
    if (!c.has_name() || c.name().empty()) return CaseError(path, node, i, "name", "required");
    if (!names.insert(c.name()).second) {
      return CaseError(path, node["name"], i, "name", absl::StrCat(Q(c.name()), " is used twice"));
    }
    if (!c.request().has_host() || c.request().host().empty()) {
      return CaseError(path, node["request"] ? node["request"] : node, i, "request.host",
                       "required (the :authority the client sends)");
    }
    if (!ExpectsSomething(c.expect())) {
      return CaseError(path, node["expect"] ? node["expect"] : node, i, "expect",
                       "give at least one of direct, route, grpc_method, auth, gzip, dry_run");
    }
    const YAML::Node dry_run = At(node, {"expect", "dry_run"});
    for (int j = 0; j < c.expect().dry_run_size(); ++j) {
      if (c.expect().dry_run(j).empty()) {
        const YAML::Node& list = dry_run;  // const: a lookup, not an insertion
        return CaseError(path, list.IsSequence() ? list[j] : list, i,
                         absl::StrCat("expect.dry_run[", j, "]"),
                         "empty (a rule's name as explain gives it, \"<team>.<name>\" for a "
                         "team's)");
      }
    }
    if (c.expect().has_direct() && !c.expect().direct().has_status()) {
      return CaseError(path, At(node, {"expect", "direct"}), i, "expect.direct.status", "required");
    }
    if (c.expect().has_route() && c.expect().route().destination().empty()) {
      return CaseError(path, At(node, {"expect", "route"}), i, "expect.route.destination",
                       "required (HOST or HOST:PORT)");
    }
    if (c.expect().has_direct() && c.expect().has_route()) {
      return CaseError(path, node["expect"], i, "expect",
                       "direct and route exclude each other: a request is answered or routed");
    }
    file.lines.push_back(static_cast<int>(node.Mark().line) + 1);
    file.cases.push_back(std::move(c));
    ++i;
  }
  if (file.cases.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no cases"));
  return file;
}

HttpRequest ToHttpRequest(const cases::v1::CaseRequest& request) {
  HttpRequest r;
  if (request.has_method()) r.method = request.method();
  r.host = request.host();
  if (request.has_path()) r.path = request.path();
  std::map<std::string, std::string> sorted(request.headers().begin(), request.headers().end());
  for (const auto& [k, v] : sorted) r.headers.emplace_back(k, v);
  r.client_ip = request.client_ip();
  if (request.has_xff()) r.xff = request.xff();
  return r;
}

std::vector<std::string> CompareExpectation(const Expectation& expect, const Explanation& a,
                                            const GatewayModel* model) {
  std::vector<std::string> out;
  if (expect.auth() != Expectation::AUTH_UNSPECIFIED) {
    const std::string want = expect.auth() == Expectation::CALLED ? "called" : "excluded";
    if (want != AuthName(a.auth)) {
      out.push_back(absl::StrCat("auth: expected ", want, ", got ", AuthName(a.auth)));
    }
  }
  if (expect.has_direct()) {
    const auto& want = expect.direct();
    if (!a.direct.has_value()) {
      out.push_back(
          absl::StrCat("direct: expected status ", want.status(), ", got ", ActualAnswer(a)));
    } else {
      if (a.direct->status != want.status()) {
        out.push_back(
            absl::StrCat("direct.status: expected ", want.status(), ", got ", ActualAnswer(a)));
      }
      if (want.has_body() && a.direct->body != want.body()) {
        out.push_back(
            absl::StrCat("direct.body: expected ", Q(want.body()), ", got ", Q(a.direct->body)));
      }
      std::map<std::string, std::string> want_headers(want.headers().begin(), want.headers().end());
      for (const auto& [k, v] : want_headers) {
        std::string got;
        bool found = false;
        for (const auto& [hk, hv] : a.direct->headers) {
          if (absl::EqualsIgnoreCase(hk, k)) {
            found = true;
            got = hv;
          }
        }
        if (!found || got != v) {
          out.push_back(absl::StrCat("direct.headers.", k, ": expected ", Q(v), ", got ",
                                     found ? Q(got) : "none"));
        }
      }
    }
  }
  if (expect.has_route()) {
    const auto& want = expect.route();
    if (!a.route.has_value()) {
      out.push_back(
          absl::StrCat("route: expected ", want.destination(), ", got ", ActualAnswer(a)));
    } else {
      const std::string host_port = absl::StrCat(a.route->host, ":", a.route->port);
      const bool has_port = want.destination().find(':') != std::string::npos;
      const std::string got = has_port ? host_port : a.route->host;
      if (got != want.destination()) {
        out.push_back(absl::StrCat("route.destination: expected ", Q(want.destination()), ", got ",
                                   Q(got), " (route ", Q(a.route->name), ")"));
      }
      if (want.has_name() && want.name() != a.route->name) {
        out.push_back(
            absl::StrCat("route.name: expected ", Q(want.name()), ", got ", Q(a.route->name)));
      }
    }
  }
  if (expect.has_grpc_method()) {
    const std::string got = a.grpc.has_value() ? a.grpc->method : "";
    if (got != expect.grpc_method()) {
      out.push_back(absl::StrCat("grpc_method: expected ", Q(expect.grpc_method()), ", got ",
                                 got.empty() ? "not transcoded" : Q(got)));
    }
  }
  if (expect.has_gzip() && expect.gzip() != a.gzip) {
    out.push_back(absl::StrCat("gzip: expected ", expect.gzip() ? "true" : "false", ", got ",
                               a.gzip ? "true" : "false"));
  }
  for (const std::string& want : expect.dry_run()) {
    bool matched = false;
    for (const Explanation::DryRun& d : a.dry_run) matched = matched || d.rule == want;
    if (matched) continue;
    const std::string why = WhyNoDryRun(model, want);
    out.push_back(absl::StrCat("dry_run: expected dry run match ", Q(want),
                               ", got dry-run matches: ", DryRunMatches(a),
                               why.empty() ? "" : absl::StrCat(" (", why, ")")));
  }
  return out;
}

std::string JUnitXml(const std::vector<CaseResult>& results) {
  std::map<std::string, std::vector<const CaseResult*>> by_file;
  for (const CaseResult& r : results) by_file[r.file].push_back(&r);
  size_t failures = 0;
  for (const CaseResult& r : results) failures += r.passed() ? 0 : 1;
  std::string out = absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                                 "<testsuites name=\"edgekit test\" tests=\"", results.size(),
                                 "\" failures=\"", failures, "\">\n");
  for (const auto& [file, list] : by_file) {
    size_t file_failures = 0;
    for (const CaseResult* r : list) file_failures += r->passed() ? 0 : 1;
    absl::StrAppend(&out, "  <testsuite name=\"", XmlEscape(file), "\" tests=\"", list.size(),
                    "\" failures=\"", file_failures, "\">\n");
    for (const CaseResult* r : list) {
      absl::StrAppend(&out, "    <testcase classname=\"", XmlEscape(file), "\" name=\"",
                      XmlEscape(r->name), "\" file=\"", XmlEscape(file), "\" line=\"", r->line,
                      "\"");
      if (r->passed()) {
        absl::StrAppend(&out, "/>\n");
        continue;
      }
      const std::string message = r->error.empty() ? absl::StrJoin(r->mismatches, "; ") : r->error;
      absl::StrAppend(&out, ">\n      <failure message=\"", XmlEscape(message), "\">",
                      XmlEscape(absl::StrCat(message, "\n\n", r->trace)),
                      "</failure>\n    </testcase>\n");
    }
    absl::StrAppend(&out, "  </testsuite>\n");
  }
  absl::StrAppend(&out, "</testsuites>\n");
  return out;
}

}  // namespace edgekit::cli::explain
