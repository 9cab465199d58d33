// `edgekit routes`: lists the HTTP bindings (`google.api.http`) of every gRPC method,
// i.e. what Envoy's gRPC-JSON transcoder will serve, from .proto files or from a
// compiled FileDescriptorSet. Both inputs give the same listing.
#ifndef EDGEKIT_CLI_ROUTES_COMMAND_H_
#define EDGEKIT_CLI_ROUTES_COMMAND_H_

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.pb.h"

namespace edgekit::cli {

// One verb + path template bound to a method.
struct HttpRoute {
  std::string method;         // "package.Service/Method" (the gRPC path minus its '/')
  std::string verb;           // GET, PUT, POST, DELETE, PATCH, or a custom kind as written
  std::string path;           // the URL path template, e.g. "/v1/{name=books/*}"
  std::string body;           // request field mapped to the body; "*" = all; "" = none
  std::string response_body;  // response field sent as the body; "" = whole response
  bool additional = false;    // from additional_bindings rather than the rule itself

  bool operator==(const HttpRoute& other) const;
};

// Every binding in `set`: files in set order, services and methods in declaration
// order, a method's own binding before its additional_bindings (one level, as the
// google.api.http contract allows). The option is read by field number from the set's
// own google.api definitions, so any wire-compatible annotations.proto works.
// InvalidArgument if the set does not build (e.g. made without --include_imports).
absl::StatusOr<std::vector<HttpRoute>> ListHttpRoutes(
    const google::protobuf::FileDescriptorSet& set);

// Aligned, one route per line: "POST  /say  -> helloworld.Greeter/SayHello  body=*".
std::string FormatRoutesText(const std::vector<HttpRoute>& routes);

// {"routes": [{"method": ..., "verb": ..., "path": ..., "body": ...,
//   "response_body": ..., "additional_binding": false}, ...]} with stable key order.
std::string FormatRoutesJson(const std::vector<HttpRoute>& routes);

struct RoutesOptions {
  std::vector<std::string> inputs;       // PROTO...
  std::vector<std::string> proto_paths;  // -I / --proto_path, protoc syntax
  std::string descriptor;                // --descriptor FILE ("-" = stdin), instead of PROTO
  std::string format = "text";           // --output: "text" or "json"
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;        // warnings
  std::istream* in = &std::cin;          // read for --descriptor -
};

absl::Status RunRoutes(const RoutesOptions& options);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_ROUTES_COMMAND_H_
