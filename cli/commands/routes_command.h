// `edgekit routes`: lists the HTTP bindings (`google.api.http`) of every gRPC method,
// i.e. what Envoy's gRPC-JSON transcoder will serve, from .proto files or from a
// compiled FileDescriptorSet. Both inputs give the same listing.
#ifndef EDGEKIT_CLI_COMMANDS_ROUTES_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_ROUTES_COMMAND_H_

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands/command.h"
#include "cli/proto/http_routes.h"

namespace edgekit::cli {

struct RoutesOptions {
  std::vector<std::string> inputs;       // PROTO...
  std::vector<std::string> proto_paths;  // -I / --proto_path, protoc syntax
  std::string descriptor;                // --descriptor FILE ("-" = stdin), instead of PROTO
  std::string format = "text";           // --output: "text" or "json"
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;  // warnings
  std::istream* in = &std::cin;    // read for --descriptor -
};

absl::Status RunRoutes(const RoutesOptions& options);

// `edgekit routes PROTO... | --descriptor FILE`.
Command AddRoutesCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_ROUTES_COMMAND_H_
