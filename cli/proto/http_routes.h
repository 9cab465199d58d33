// The HTTP bindings (`google.api.http`) of every gRPC method in a FileDescriptorSet:
// what Envoy's gRPC-JSON transcoder will serve. Used by `edgekit routes` and by the
// transcoding renderer (which routes each bound service).
#ifndef EDGEKIT_CLI_PROTO_HTTP_ROUTES_H_
#define EDGEKIT_CLI_PROTO_HTTP_ROUTES_H_

#include <string>
#include <vector>

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
// Problems that do not stop the listing (a binding Envoy would refuse to route, ...) are
// appended to `warnings` (when not null).
absl::StatusOr<std::vector<HttpRoute>> ListHttpRoutes(
    const google::protobuf::FileDescriptorSet& set, std::vector<std::string>* warnings = nullptr);

// Aligned, one route per line: "POST  /say  -> helloworld.Greeter/SayHello  body=*".
std::string FormatRoutesText(const std::vector<HttpRoute>& routes);

// {"routes": [{"method": ..., "verb": ..., "path": ..., "body": ...,
//   "response_body": ..., "additional_binding": false}, ...]} with stable key order.
std::string FormatRoutesJson(const std::vector<HttpRoute>& routes);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_PROTO_HTTP_ROUTES_H_
