// `edgekit validate`: Kubernetes / Istio objects in multi-document YAML files checked as
// the API server would at apply time: the CRDs' OpenAPI schemas, their CEL rules
// (x-kubernetes-validations, run by cli/validate/cel/), metadata, then the semantic checks
// of istio_checks.h (what Istio's validating webhook refuses, and what Envoy would never
// match). Errors are what the cluster refuses; warnings what it accepts but is likely
// wrong. Each finding has a stable code (validation_result.h, README "Finding codes").
//
// Output, one line per finding in a stable format, on the error stream:
//   FILE:LINE:COL: document N: error|warning: PATH: MESSAGE [EK0301]
//   FILE: document N: error|warning: PATH: MESSAGE [EK0301]     (no source position)
// N is the 1-based index of the YAML document in FILE; "PATH: " is left out for
// findings about the document as a whole; FILE is "<stdin>" for "-". With `-o json` the
// findings go to the output stream instead, one JSON object per line (FindingJson).
// Then, always on the error stream, one summary:
//   N documents checked, E errors, W warnings; R CEL rule evaluations, T transition rules
//   skipped[, U CEL rules edgekit cannot run][, S findings suppressed]
#ifndef EDGEKIT_CLI_COMMANDS_VALIDATE_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_VALIDATE_COMMAND_H_

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/commands/command.h"
#include "cli/validate/manifest_validation.h"

namespace edgekit::cli {

struct ValidateCommandOptions {
  std::vector<std::string> inputs;  // FILE... ("-" = stdin)
  std::vector<std::string> crds;    // --crds FILE... (must not be empty)
  // --allow-unknown-groups: objects of groups with no CRD (Deployment, Service) are
  // warnings ("not validated") instead of errors, for manifests mixing Istio and core.
  bool allow_unknown_groups = false;
  // --strict: warnings count as errors (but not the "not validated" warnings that
  // --allow-unknown-groups asked for).
  bool strict = false;
  // -o text|json
  std::string output = "text";
  // --suppress CODE or CODE=PATH: drop findings of CODE (at PATH or below it).
  std::vector<std::string> suppress;
  std::ostream* out = &std::cout;  // findings with -o json
  std::ostream* err = &std::cerr;  // findings (text) and the summary
  std::istream* in = &std::cin;    // read for "-"
};

// Loads the CRDs, validates every input file (all of them, even after a failure) and
// prints findings and the summary. Returns OK if there are no errors (warnings are
// fine); InvalidArgument if any object is invalid or an input is not YAML; the I/O code
// (NotFound, ...) if an input cannot be read, which wins over invalid objects. Those
// statuses have an EMPTY message: everything was already printed, the summary last.
// Failing before any input is checked, with a message to print: a CRD file that cannot
// be read (I/O code) or loaded (InvalidArgument); InvalidArgument if no CRD file or no
// input is given, "-" is used more than once, or a --suppress or -o value is not one.
absl::Status RunValidate(const ValidateCommandOptions& options);

// `edgekit validate FILE... --crds FILE` ($EDGEKIT_CRDS when no --crds).
Command AddValidateCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_VALIDATE_COMMAND_H_
