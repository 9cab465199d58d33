// `edgekit test`'s case files (proto/edgekit/cases/v1/cases.proto): loading them with
// file:line errors, checking one case against an Explanation, and the JUnit XML report.
#ifndef EDGEKIT_CLI_EXPLAIN_TEST_CASES_H_
#define EDGEKIT_CLI_EXPLAIN_TEST_CASES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/explain/explainer.h"
#include "cli/explain/gateway_model.h"
#include "cli/explain/request.h"
#include "edgekit/cases/v1/cases.pb.h"

namespace edgekit::cli::explain {

struct CaseFile {
  std::string path;
  std::vector<cases::v1::TestCase> cases;
  std::vector<int> lines;  // of each case, 1-based
};

// Reads a case file: a YAML list of TestCase. InvalidArgument "<path>:<line>:<col>:
// [i].<key>: <problem>" for an unknown key, a missing name / request.host /
// expect, a duplicate name, an expect with nothing in it, a direct without a status,
// a route without a destination or an empty dry_run name; NotFound etc. for I/O.
absl::StatusOr<CaseFile> LoadCaseFile(const std::string& path);

HttpRequest ToHttpRequest(const cases::v1::CaseRequest& request);

// What does not hold: one line per mismatch, "route.destination: expected
// \"a.svc:80\", got \"b.svc:80\"" (empty when the case passes). `model`, the gateway
// explained (optional), lets a dry_run mismatch say when the rule named does not exist
// or is not in dry run.
std::vector<std::string> CompareExpectation(const cases::v1::Expectation& expect,
                                            const Explanation& actual,
                                            const GatewayModel* model = nullptr);

struct CaseResult {
  std::string file;
  std::string name;
  int line = 0;
  std::vector<std::string> mismatches;  // empty: passed (unless `error`)
  std::string error;                    // the request could not be explained
  std::string trace;                    // explain's text
  bool passed() const { return mismatches.empty() && error.empty(); }
};

// JUnit XML (the subset CI systems read): one <testsuite> per case file, a <failure>
// per failing case with the mismatches and the trace.
std::string JUnitXml(const std::vector<CaseResult>& results);

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_TEST_CASES_H_
