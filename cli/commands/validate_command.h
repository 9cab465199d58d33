// `edgekit validate`: structural validation of Kubernetes / Istio objects in
// multi-document YAML files against the OpenAPI schemas of CRDs (see crd_validator.h for
// what is and is not checked; CEL rules are counted, not run), then the semantic checks
// of istio_checks.h (header names, RE2 regexes, direct responses, unreachable routes,
// CUSTOM authorization rules).
//
// Output, all on the error stream, one line per finding in a stable format:
//   FILE:LINE:COL: document N: error|warning: PATH: MESSAGE
//   FILE: document N: error|warning: PATH: MESSAGE      (no source position)
// N is the 1-based index of the YAML document in FILE; "PATH: " is left out for
// findings about the document as a whole; FILE is "<stdin>" for "-". Then one summary:
//   N documents checked, E errors, W warnings; K CEL rules not checked (edgekit does not run CEL)
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
  std::ostream* err = &std::cerr;  // findings and the summary
  std::istream* in = &std::cin;    // read for "-"
};

// Loads the CRDs, validates every input file (all of them, even after a failure) and
// prints findings and the summary. Returns OK if there are no errors (warnings are
// fine); InvalidArgument if any object is invalid or an input is not YAML; the I/O code
// (NotFound, ...) if an input cannot be read, which wins over invalid objects. Those
// statuses have an EMPTY message: everything was already printed, the summary last.
// Failing before any input is checked, with a message to print: a CRD file that cannot
// be read (I/O code) or loaded (InvalidArgument); InvalidArgument if no CRD file or no
// input is given, or "-" is used more than once.
absl::Status RunValidate(const ValidateCommandOptions& options);

// `edgekit validate FILE... --crds FILE` ($EDGEKIT_CRDS when no --crds).
Command AddValidateCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_VALIDATE_COMMAND_H_
