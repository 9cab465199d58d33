#include "cli/commands/validate_command.h"

#include <algorithm>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/validate/manifest_validation.h"
#include "common/file_io.h"

namespace edgekit::cli {
namespace {

std::string SourceName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string Plural(int n, absl::string_view singular, absl::string_view plural) {
  return absl::StrCat(n, " ", n == 1 ? singular : plural);
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
  int cel_not_checked = 0;
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
    for (const Finding& finding : result.findings) {
      err << FormatFinding(source, finding) << "\n";
    }
    errors += result.error_count();
    warnings += result.warning_count();
    cel_not_checked += result.cel_rules_not_checked;
  }

  err << Plural(documents, "document", "documents") << " checked, "
      << Plural(errors, "error", "errors") << ", " << Plural(warnings, "warning", "warnings")
      << "; " << Plural(cel_not_checked, "CEL rule", "CEL rules")
      << " not checked (edgekit does not run CEL)\n";
  // Everything has been reported: the summary stays the last line.
  if (!io_status.ok()) return absl::Status(io_status.code(), "");
  if (errors > 0) return absl::InvalidArgumentError("");
  return absl::OkStatus();
}

Command AddValidateCommand(CLI::App& app) {
  auto options = std::make_shared<ValidateCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "validate",
      "Check Kubernetes/Istio objects in multi-document YAML files against CRD OpenAPI "
      "schemas (structure only; CEL rules are counted, not run). Findings go to stderr as "
      "FILE:LINE:COL: document N: error: PATH: MESSAGE, then a summary line.");
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
