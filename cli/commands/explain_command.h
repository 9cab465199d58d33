// `edgekit explain` and `edgekit test`: what the gateway an edge.yaml (or platform.yaml)
// renders will do with a request, worked out offline from the rendered files
// (cli/explain/). explain prints one request's path through the gateway; test checks case
// files of expected outcomes and exits 1 when one fails.
#ifndef EDGEKIT_CLI_COMMANDS_EXPLAIN_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_EXPLAIN_COMMAND_H_

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands/command.h"
#include "cli/explain/gateway_model.h"
#include "cli/render/pipeline.h"

namespace edgekit::cli {

struct ExplainOptions {
  std::string config_file;  // -f
  std::string method = "GET";
  std::string host;
  std::string path = "/";
  std::vector<std::string> headers;  // -H "name: value", repeatable
  std::string client_ip;             // --client-ip: the TCP peer
  std::string xff;                   // --xff: x-forwarded-for as received
  bool xff_given = false;
  std::string format = "text";  // -o text|json
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;  // render's warnings
};

absl::Status RunExplain(const ExplainOptions& options);

struct TestOptions {
  std::string config_file;         // -f
  std::vector<std::string> files;  // CASES.yaml...; a platform's team cases are added
  std::string junit;               // --junit FILE
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
};

// Exit status: OK when every case holds; FailedPrecondition (already reported, empty
// message) when one fails; InvalidArgument for a bad case file; NotFound etc. for I/O.
absl::Status RunTest(const TestOptions& options);

// The gateway a rendered edge describes (what explain and test evaluate).
absl::StatusOr<explain::GatewayModel> GatewayOf(const RenderedEdge& rendered);

Command AddExplainCommand(CLI::App& app);
Command AddTestCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_EXPLAIN_COMMAND_H_
