#include "cli/commands/validate_command.h"

#include <algorithm>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/validate/manifest_validation.h"
#include "common/file_io.h"

namespace edgekit::cli {
namespace {

std::string SourceName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string Plural(int n, absl::string_view singular, absl::string_view plural) {
  return absl::StrCat(n, " ", n == 1 ? singular : plural);
}

// One --suppress: a code, and optionally the path a finding must be at or under.
struct Suppression {
  FindingCode code;
  std::string path;  // "" = everywhere
};

absl::StatusOr<std::vector<Suppression>> ParseSuppressions(const std::vector<std::string>& specs) {
  std::vector<Suppression> out;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    const std::string id = spec.substr(0, eq);
    const FindingCodeInfo* info = nullptr;
    for (const FindingCodeInfo& candidate : AllFindingCodes()) {
      if (id == candidate.id) info = &candidate;
    }
    if (info == nullptr) {
      return UsageError(
          absl::StrCat("validate: --suppress ", spec, ": unknown code \"", id,
                       "\" (codes are EK0001 to EK0511; README \"Finding codes\" lists them)"));
    }
    Suppression s{info->code, eq == std::string::npos ? "" : spec.substr(eq + 1)};
    if (eq != std::string::npos && s.path.empty()) {
      return UsageError(absl::StrCat("validate: --suppress ", spec,
                                     ": empty PATH after '=' (CODE=PATH, e.g. ", id,
                                     "=spec.http[2])"));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// A finding's path is at or under `path`: equal, or continuing with "." or "[".
bool IsAtOrUnder(const std::string& finding_path, const std::string& path) {
  if (!absl::StartsWith(finding_path, path)) return false;
  if (finding_path.size() == path.size()) return true;
  const char next = finding_path[path.size()];
  return next == '.' || next == '[';
}

bool Suppressed(const Finding& f, const std::vector<Suppression>& suppressions) {
  for (const Suppression& s : suppressions) {
    if (f.code == s.code && (s.path.empty() || IsAtOrUnder(f.path, s.path))) return true;
  }
  return false;
}

}  // namespace

absl::Status RunValidate(const ValidateCommandOptions& options) {
  if (options.crds.empty()) {
    return absl::InvalidArgumentError("validate: no CRD file given (--crds FILE)");
  }
  if (options.inputs.empty()) return absl::InvalidArgumentError("validate: no input FILE given");
  const auto stdin_uses = std::count(options.inputs.begin(), options.inputs.end(), "-") +
                          std::count(options.crds.begin(), options.crds.end(), "-");
  if (stdin_uses > 1) {
    return absl::InvalidArgumentError("validate: \"-\" (stdin) can be given only once");
  }

  if (options.output != "text" && options.output != "json") {
    return UsageError(absl::StrCat("validate: -o ", options.output, ": expected text or json"));
  }
  absl::StatusOr<std::vector<Suppression>> suppressions = ParseSuppressions(options.suppress);
  if (!suppressions.ok()) return suppressions.status();

  CrdRegistry registry;
  for (const std::string& path : options.crds) {
    absl::StatusOr<std::string> text = ReadFileOrStdin(path, *options.in);
    if (!text.ok()) return text.status();
    absl::Status added = registry.AddYaml(*text, SourceName(path));
    if (!added.ok()) {
      return absl::Status(added.code(), absl::StrCat("--crds: ", added.message()));
    }
  }

  std::ostream& err = *options.err;
  absl::Status io_status;  // the first input that could not be read
  int documents = 0;
  int errors = 0;
  int warnings = 0;
  int suppressed = 0;
  ValidationResult totals;  // the CEL counters
  for (const std::string& path : options.inputs) {
    const std::string source = SourceName(path);
    absl::StatusOr<std::string> text = ReadFileOrStdin(path, *options.in);
    if (!text.ok()) {
      err << text.status().message() << "\n";
      if (io_status.ok()) io_status = text.status();
      continue;
    }
    ValidateOptions validate_options;
    validate_options.allow_unknown_groups = options.allow_unknown_groups;
    ValidationResult result;
    if (absl::Status checked =
            ValidateManifestText(registry, *text, source, validate_options, &result, &documents);
        !checked.ok()) {
      err << checked.message() << "\n";
      ++errors;
      continue;
    }
    for (Finding& finding : result.findings) {
      if (Suppressed(finding, *suppressions)) {
        ++suppressed;
        continue;
      }
      if (options.strict && finding.code != FindingCode::kUnknownGroup) {
        finding.severity = Finding::Severity::kError;
      }
      (finding.severity == Finding::Severity::kError ? errors : warnings) += 1;
      if (options.output == "json") {
        *options.out << FindingJson(source, finding) << "\n";
      } else {
        err << FormatFinding(source, finding) << "\n";
      }
    }
    result.findings.clear();
    totals.Merge(result);
  }

  err << Plural(documents, "document", "documents") << " checked, "
      << Plural(errors, "error", "errors") << ", " << Plural(warnings, "warning", "warnings")
      << "; " << Plural(totals.cel_rules_run, "CEL rule evaluation", "CEL rule evaluations") << ", "
      << Plural(totals.cel_transition_rules_skipped, "transition rule", "transition rules")
      << " skipped";
  if (totals.cel_rules_not_checked > 0) {
    err << ", " << Plural(totals.cel_rules_not_checked, "CEL rule", "CEL rules")
        << " edgekit cannot run";
  }
  if (suppressed > 0) err << ", " << suppressed << " suppressed";
  err << "\n";
  options.out->flush();
  // Everything has been reported: the summary stays the last line.
  if (!io_status.ok()) return absl::Status(io_status.code(), "");
  if (errors > 0) return absl::InvalidArgumentError("");
  return absl::OkStatus();
}

Command AddValidateCommand(CLI::App& app) {
  auto options = std::make_shared<ValidateCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "validate",
      "Check Kubernetes/Istio objects in multi-document YAML files as the API server would: "
      "the CRDs' OpenAPI schemas and CEL rules, metadata, and what Istio's webhook refuses. "
      "Errors are what a cluster refuses, warnings what it accepts but is likely wrong. "
      "Findings go to stderr as FILE:LINE:COL: document N: error: PATH: MESSAGE [CODE] "
      "(or JSON lines to stdout with -o json), then a summary line.");
  command->add_option("FILE", options->inputs, "YAML files to check; - for stdin")->required();
  command
      ->add_option("--crds", options->crds,
                   "YAML file of CustomResourceDefinitions (e.g. `kubectl get crd -o "
                   "yaml`); repeatable. Default: the file named by $EDGEKIT_CRDS")
      ->allow_extra_args(false)
      ->type_name("FILE");
  command->add_flag("--allow-unknown-groups", options->allow_unknown_groups,
                    "Objects of API groups with no CRD given (Deployment, Service, ...) "
                    "are warnings, not errors");
  command->add_flag("--strict", options->strict,
                    "Warnings are errors too (except the 'not validated' ones "
                    "--allow-unknown-groups asks for)");
  command
      ->add_option("-o,--output", options->output,
                   "text (default: findings on stderr) or json (one JSON object per finding "
                   "and line on stdout: file, line, column, document, path, code, severity, "
                   "message)")
      ->type_name("FORMAT");
  command
      ->add_option("--suppress", options->suppress,
                   "Drop findings of CODE (e.g. EK0506), or only those at PATH or below it "
                   "(EK0506=spec.http[2]); repeatable. Codes: README \"Finding codes\"")
      ->allow_extra_args(false)
      ->type_name("CODE[=PATH]");
  return {command, [options]() -> absl::Status {
            if (options->crds.empty()) {
              const char* env = std::getenv("EDGEKIT_CRDS");
              if (env != nullptr && *env != '\0') options->crds.push_back(env);
            }
            if (options->crds.empty()) {
              return UsageError(
                  "validate: no CRD schemas: give --crds FILE (e.g. the output of "
                  "`kubectl get crd -o yaml`) or set EDGEKIT_CRDS=FILE\n"
                  "Run with --help for more information.");
            }
            return RunValidate(*options);
          }};
}

}  // namespace edgekit::cli
