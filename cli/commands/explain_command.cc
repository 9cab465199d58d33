#include "cli/commands/explain_command.h"

#include <memory>
#include <set>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/explain/explainer.h"
#include "cli/explain/test_cases.h"
#include "common/file_io.h"

namespace edgekit::cli {
namespace {

// -H "name: value" (curl's syntax).
absl::StatusOr<std::pair<std::string, std::string>> ParseHeaderFlag(const std::string& flag) {
  const size_t colon = flag.find(':');
  if (colon == std::string::npos || colon == 0) {
    return UsageError(absl::StrCat("explain: -H \"", flag, "\": expected \"name: value\""));
  }
  return std::make_pair(std::string(absl::StripAsciiWhitespace(flag.substr(0, colon))),
                        std::string(absl::StripLeadingAsciiWhitespace(flag.substr(colon + 1))));
}

void PrintRenderMessages(const RenderedEdge& rendered, std::ostream& err) {
  for (const std::string& w : rendered.warnings) err << w << "\n";
}

}  // namespace

absl::StatusOr<explain::GatewayModel> GatewayOf(const RenderedEdge& rendered) {
  std::set<std::string> teams;
  for (const TeamClaim& t : rendered.composition.teams) teams.insert(t.name);
  return explain::GatewayModel::Load(rendered.config, rendered.files, rendered.base_dir,
                                     std::move(teams));
}

absl::Status RunExplain(const ExplainOptions& options) {
  explain::HttpRequest request;
  request.method = options.method;
  request.host = options.host;
  request.path = options.path;
  request.client_ip = options.client_ip;
  if (options.xff_given) request.xff = options.xff;
  for (const std::string& flag : options.headers) {
    absl::StatusOr<std::pair<std::string, std::string>> header = ParseHeaderFlag(flag);
    if (!header.ok()) return header.status();
    request.headers.push_back(*std::move(header));
  }
  absl::StatusOr<RenderedEdge> rendered = RenderEdgeFile(options.config_file);
  if (!rendered.ok()) return rendered.status();
  PrintRenderMessages(*rendered, *options.err);
  absl::StatusOr<explain::GatewayModel> model = GatewayOf(*rendered);
  if (!model.ok()) return model.status();
  absl::StatusOr<explain::Explanation> e = explain::Explain(*model, request);
  if (!e.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("explain: ", e.status().message()));
  }
  return WriteFileOrStdout("-",
                           options.format == "json" ? explain::FormatExplanationJson(*e)
                                                    : explain::FormatExplanationText(*e),
                           *options.out);
}

absl::Status RunTest(const TestOptions& options) {
  absl::StatusOr<RenderedEdge> rendered = RenderEdgeFile(options.config_file);
  if (!rendered.ok()) return rendered.status();
  PrintRenderMessages(*rendered, *options.err);
  absl::StatusOr<explain::GatewayModel> model = GatewayOf(*rendered);
  if (!model.ok()) return model.status();

  // Each file with where it was named: the command line, or a team in platform.yaml.
  std::vector<std::pair<std::string, std::string>> paths;
  for (const std::string& f : options.files) paths.emplace_back(f, "");
  for (const TeamClaim& t : rendered->composition.teams) {
    for (const std::string& f : t.cases) {
      paths.emplace_back(f,
                         absl::StrCat(options.config_file, ": teams[name=", t.name, "].cases: "));
    }
  }
  if (paths.empty()) {
    return UsageError(
        "test: no case files: give CASES.yaml files, or list them under a team's `cases` in "
        "platform.yaml");
  }
  // Every file is read and checked before any case runs: a bad file fails the whole run.
  std::vector<explain::CaseFile> files;
  for (const auto& [path, named_in] : paths) {
    absl::StatusOr<explain::CaseFile> file = explain::LoadCaseFile(path);
    if (!file.ok()) {
      return absl::Status(file.status().code(), absl::StrCat(named_in, file.status().message()));
    }
    files.push_back(*std::move(file));
  }
  std::vector<explain::CaseResult> results;
  size_t failed = 0;
  for (const explain::CaseFile& file : files) {
    for (size_t i = 0; i < file.cases.size(); ++i) {
      const auto& c = file.cases[i];
      explain::CaseResult result{file.path, c.name(), file.lines[i], {}, "", ""};
      absl::StatusOr<explain::Explanation> e =
          explain::Explain(*model, explain::ToHttpRequest(c.request()));
      if (!e.ok()) {
        result.error = absl::StrCat("cannot explain this request: ", e.status().message());
      } else {
        result.mismatches = explain::CompareExpectation(c.expect(), *e, &*model);
        result.trace = explain::FormatExplanationText(*e);
      }
      if (result.passed()) {
        *options.out << "PASS  " << file.path << ":" << result.line << ": " << c.name() << "\n";
      } else {
        ++failed;
        *options.out << "FAIL  " << file.path << ":" << result.line << ": " << c.name() << "\n";
        if (!result.error.empty()) *options.out << "      " << result.error << "\n";
        for (const std::string& m : result.mismatches) *options.out << "      " << m << "\n";
        if (!result.trace.empty()) {
          *options.out << "      explain:\n";
          for (absl::string_view line : absl::StrSplit(result.trace, '\n', absl::SkipEmpty())) {
            *options.out << "        " << line << "\n";
          }
        }
      }
      results.push_back(std::move(result));
    }
  }
  *options.out << results.size() << " cases, " << failed << " failed\n";
  if (!options.junit.empty()) {
    if (absl::Status s = WriteFileAtomically(options.junit, explain::JUnitXml(results)); !s.ok()) {
      return s;
    }
  }
  if (failed > 0) return absl::FailedPreconditionError("");
  return absl::OkStatus();
}

Command AddExplainCommand(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command = app.add_subcommand(
      "explain",
      "What the gateway an edge.yaml renders does with one request, step by step in Envoy's "
      "order: ext_authz (called or excluded), the broker's direct-response rules, the Wasm "
      "rules, the transcoder, the route, gzip. Offline: nothing is applied.");
  command->add_option("-f,--file", options->config_file, "The edge.yaml or platform.yaml")
      ->type_name("FILE")
      ->required();
  command->add_option("--method,-X", options->method, "HTTP method")->capture_default_str();
  command->add_option("--host", options->host, "The :authority (a port may follow)")->required();
  command->add_option("--path", options->path, "The :path, query string included")
      ->capture_default_str();
  command->add_option("-H,--header", options->headers, "A request header, \"name: value\"")
      ->type_name("HEADER");
  command
      ->add_option("--client-ip", options->client_ip,
                   "The TCP peer the gateway sees (behind trusted proxies: the load "
                   "balancer's address)")
      ->type_name("IP");
  command->add_option("--xff", options->xff, "x-forwarded-for as the gateway received it")
      ->type_name("LIST")
      ->each([options](const std::string&) { options->xff_given = true; });
  command->add_option("-o,--output", options->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return {command, [options]() { return RunExplain(*options); }};
}

Command AddTestCommand(CLI::App& app) {
  auto options = std::make_shared<TestOptions>();
  CLI::App* command = app.add_subcommand(
      "test",
      "Check case files of expected outcomes against the gateway an edge.yaml renders "
      "(offline; exit 1 when a case fails)");
  command->add_option("-f,--file", options->config_file, "The edge.yaml or platform.yaml")
      ->type_name("FILE")
      ->required();
  command->add_option("CASES", options->files, "Case files (a platform's team cases run as well)");
  command->add_option("--junit", options->junit, "Also write a JUnit XML report here")
      ->type_name("FILE");
  command->footer(
      "A case file is a YAML list of cases:\n"
      "  - name: NAME                       # unique in the file\n"
      "    request:\n"
      "      method: GET                    # default GET\n"
      "      host: api.example.com          # required: the :authority\n"
      "      path: /v1/orders/7?x=1         # default /\n"
      "      headers: {accept-encoding: gzip}\n"
      "      client_ip: 203.0.113.9         # the TCP peer the gateway sees\n"
      "      xff: \"198.51.100.7\"            # x-forwarded-for as received\n"
      "    expect:                          # each one given must hold\n"
      "      direct: {status: 403, body: blocked, headers: {content-type: text/plain}}\n"
      "      route: {destination: orders.orders.svc.cluster.local:8080, name: orders.read}\n"
      "      grpc_method: helloworld.Greeter/SayHello\n"
      "      auth: called                   # or excluded\n"
      "      gzip: true\n"
      "      dry_run: [legacy-app]          # rules that must match in dry run (counted,\n"
      "                                     # not answered); \"<team>.<name>\" for a team's\n"
      "`direct` is an answer the gateway gives itself: a direct-response rule (broker, Wasm,\n"
      "route) or its own 404 (no route) / 400 (transcoder). Exit codes: 0 every case holds,\n"
      "1 a case fails or a file is invalid, 2 usage, 3 I/O.");
  return {command, [options]() { return RunTest(*options); }};
}

}  // namespace edgekit::cli
