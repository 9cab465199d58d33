// The text and JSON forms of an Explanation (explainer.h).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/explain/explainer.h"
#include "common/json_text.h"

namespace edgekit::cli::explain {

using Step = Explanation::Step;

namespace {

std::string EngineText(const Explanation::Direct& d) {
  if (d.engine == "broker") return absl::StrCat("the broker (rule ", d.rule, ")");
  if (d.engine == "wasm") return absl::StrCat("the Wasm plugin (rule ", d.rule, ")");
  if (d.engine == "routes") return absl::StrCat("the VirtualService (route ", d.rule, ")");
  return "the gateway itself";
}

}  // namespace

std::string FormatExplanationText(const Explanation& e) {
  std::string out;
  int n = 1;
  for (const Step& step : e.steps) {
    absl::StrAppend(&out, n++, ". ", step.stage, ": ", step.summary, "\n");
    for (const std::string& d : step.details) absl::StrAppend(&out, "     ", d, "\n");
  }
  std::string verdict;
  if (e.direct.has_value()) {
    verdict = absl::StrCat("answered ", e.direct->status, " by ", EngineText(*e.direct));
  } else if (e.route.has_value()) {
    verdict = absl::StrCat("routed to ", e.route->host,
                           e.route->port != 0 ? absl::StrCat(":", e.route->port) : "", " by ",
                           e.route->name);
    if (e.grpc.has_value()) absl::StrAppend(&verdict, " as gRPC ", e.grpc->method);
  } else {
    verdict = "on to routes edgekit did not render (explain cannot see them)";
  }
  if (!e.dry_run.empty()) {
    std::vector<std::string> names;
    for (const Explanation::DryRun& d : e.dry_run)
      names.push_back(absl::StrCat("\"", d.rule, "\""));
    absl::StrAppend(&verdict, "; dry run matched ", absl::StrJoin(names, ", "),
                    " (counted, not answered)");
  }
  absl::StrAppend(&out, "=> ", verdict, "; ext_authz ",
                  absl::StrReplaceAll(AuthName(e.auth), {{"_", " "}}), "; gzip ",
                  e.gzip ? "yes" : "no", "\n");
  return out;
}

namespace {

std::string JsonPairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::string> items;
  for (const auto& [k, v] : pairs)
    items.push_back(absl::StrCat(JsonString(k), ": ", JsonString(v)));
  return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
}

}  // namespace

std::string FormatExplanationJson(const Explanation& e) {
  std::string out = "{\n  \"request\": {";
  absl::StrAppend(&out, "\"method\": ", JsonString(e.method), ", \"host\": ", JsonString(e.host),
                  ", \"path\": ", JsonString(e.path),
                  ", \"received_path\": ", JsonString(e.received_path),
                  ", \"client_address\": ", JsonString(e.client_address), "},\n  \"steps\": [\n");
  std::vector<std::string> steps;
  for (const Step& step : e.steps) {
    std::vector<std::string> details;
    for (const std::string& d : step.details) details.push_back(JsonString(d));
    steps.push_back(absl::StrCat("    {\"stage\": ", JsonString(step.stage),
                                 ", \"summary\": ", JsonString(step.summary), ", \"details\": [",
                                 absl::StrJoin(details, ", "), "]}"));
  }
  absl::StrAppend(&out, absl::StrJoin(steps, ",\n"), "\n  ],\n  \"outcome\": {\n");
  absl::StrAppend(&out, "    \"auth\": ", JsonString(AuthName(e.auth)), ",\n");
  absl::StrAppend(&out, "    \"direct\": ");
  if (e.direct.has_value()) {
    absl::StrAppend(&out, "{\"engine\": ", JsonString(e.direct->engine),
                    ", \"rule\": ", JsonString(e.direct->rule),
                    ", \"team\": ", JsonString(e.direct->team), ", \"status\": ", e.direct->status,
                    ", \"body\": ", JsonString(e.direct->body),
                    ", \"headers\": ", JsonPairs(e.direct->headers), "}");
  } else {
    absl::StrAppend(&out, "null");
  }
  // The dry-run rules that held: counted by the broker, not answered (always a list).
  std::vector<std::string> dry_run;
  for (const Explanation::DryRun& d : e.dry_run) {
    dry_run.push_back(absl::StrCat("{\"engine\": ", JsonString(d.engine), ", \"rule\": ",
                                   JsonString(d.rule), ", \"team\": ", JsonString(d.team), "}"));
  }
  absl::StrAppend(&out, ",\n    \"dry_run\": [", absl::StrJoin(dry_run, ", "), "]");
  absl::StrAppend(&out, ",\n    \"grpc\": ");
  if (e.grpc.has_value()) {
    absl::StrAppend(&out, "{\"method\": ", JsonString(e.grpc->method),
                    ", \"binding\": ", JsonString(e.grpc->binding),
                    ", \"variables\": ", JsonPairs(e.grpc->variables), "}");
  } else {
    absl::StrAppend(&out, "null");
  }
  absl::StrAppend(&out, ",\n    \"route\": ");
  if (e.route.has_value()) {
    absl::StrAppend(&out, "{\"name\": ", JsonString(e.route->name),
                    ", \"team\": ", JsonString(e.route->team),
                    ", \"host\": ", JsonString(e.route->host), ", \"port\": ", e.route->port, "}");
  } else {
    absl::StrAppend(&out, "null");
  }
  absl::StrAppend(&out, ",\n    \"gzip\": ", e.gzip ? "true" : "false", "\n  }\n}\n");
  return out;
}

}  // namespace edgekit::cli::explain
