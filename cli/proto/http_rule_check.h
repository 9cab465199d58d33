// Checks a google.api.http binding the way Envoy's gRPC-JSON transcoder will when it
// loads the filter: the path template against the grammar of google/api/http.proto, and
// every field it names (path variables, `body`, `response_body`) against the method's
// request and response messages. A binding that fails here would make Envoy reject the
// whole filter, so `edgekit routes` and `render` refuse it first.
#ifndef EDGEKIT_CLI_PROTO_HTTP_RULE_CHECK_H_
#define EDGEKIT_CLI_PROTO_HTTP_RULE_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"

namespace edgekit::cli {

// Template = "/" | "/" Segments [ Verb ] ;
// Segments = Segment { "/" Segment } ;
// Segment  = "*" | "**" | LITERAL | Variable ;
// Variable = "{" FieldPath [ "=" Segments ] "}" ;   (no variable inside a variable)
// FieldPath = IDENT { "." IDENT } ;   Verb = ":" LITERAL ;
// Only literal segments after `**`; LITERAL ends at '/', ':' or '}'. Path variables name
// a singular, non-map field of `request` (through singular message fields). InvalidArgument
// "path template \"...\": <what>" otherwise.
absl::Status CheckPathTemplate(const std::string& path,
                               const google::protobuf::Descriptor& request);

// `body` is "", "*" or a field path of `request`; `response_body` is "" or a field path
// of `response`. InvalidArgument naming the option and the message otherwise.
absl::Status CheckBodyFields(const std::string& body, const std::string& response_body,
                             const google::protobuf::Descriptor& request,
                             const google::protobuf::Descriptor& response);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_PROTO_HTTP_RULE_CHECK_H_
