// Loads YAML into a protobuf message by reflection, so each config schema is defined once
// (as a .proto) and every loader rejects unknown keys and names the bad key path.
#ifndef EDGEKIT_COMMON_YAML_PROTO_H_
#define EDGEKIT_COMMON_YAML_PROTO_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace YAML {
class Node;
}

namespace edgekit {

// Fills `message` (cleared first) from a YAML mapping. Keys are the proto field names
// (snake_case) or their JSON names (lowerCamelCase). Supports scalars of every proto
// type, enums by name (in any case, '-' for '_') or number, nested messages, repeated fields (YAML
// sequences), map<string, *> fields (YAML mappings) and proto3 `optional` presence. Errors are
// InvalidArgument: "<source>:<line>:<col>: <key.path>: <what is wrong>", e.g. "broker.yaml:4:17:
// hedging.max_attempts: expected an unsigned integer, got \"two\"", "broker.yaml:3:3:
// hedging.max_atempts: unknown key (known keys: budget, delay_max, ...)". Sequence elements appear
// in paths as `forward_methods[2]`. An empty document or a null node leaves the message empty (OK);
// a non-mapping top level is an error.
absl::Status YamlToProto(const YAML::Node& node, google::protobuf::Message* message,
                         std::string_view source_name);

// Parses `text` (one YAML document) and fills `message`. YAML syntax errors are
// InvalidArgument with the source, line and column.
absl::Status YamlTextToProto(std::string_view text, google::protobuf::Message* message,
                             std::string_view source_name);

// Reads the file at `path` and fills `message`. A missing or unreadable file is
// NotFound / PermissionDenied / Unavailable naming the path; syntax and schema errors as
// above with `path` as the source name.
absl::Status YamlFileToProto(const std::string& path, google::protobuf::Message* message);

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_YAML_PROTO_H_
