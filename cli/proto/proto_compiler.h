// Compiles .proto files in-process with libprotoc into a FileDescriptorSet that is
// byte-for-byte what `protoc --include_imports --descriptor_set_out` writes for the
// same inputs and include path. Shared by `edgekit descriptor` and `edgekit routes`.
//
// Where imports come from, first match wins:
//   1. the include path (-I), in the order given ("." when none is given), like protoc;
//   2. edgekit's built-in google/api/annotations.proto and google/api/http.proto, so
//      no googleapis checkout is needed (a copy on the include path takes precedence);
//   3. google/protobuf/*.proto of the installed protobuf (the directory protoc itself
//      falls back to), i.e. the well-known types.
#ifndef EDGEKIT_CLI_PROTO_PROTO_COMPILER_H_
#define EDGEKIT_CLI_PROTO_PROTO_COMPILER_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.pb.h"

namespace edgekit::cli {

struct CompileOptions {
  // Files to compile: disk paths inside an include directory, or virtual paths
  // relative to one (protoc's rules).
  std::vector<std::string> inputs;
  // -I / --proto_path values as given on the command line: each may be a
  // ':'-separated list, and an entry may be VIRTUAL=DISK, as protoc accepts.
  std::vector<std::string> proto_paths;
  // Keep comments and source locations (protoc's --include_source_info).
  bool include_source_info = false;
  // Warnings (unused imports, missing include directories) go here; nullptr drops them.
  std::ostream* warnings = nullptr;
};

// Compiles `options.inputs` and returns every file they need, dependencies before
// dependents in protoc's order, with json_name filled in as protoc does.
// Errors: InvalidArgument with one "file:line:col: message" line per problem for bad
// protos (the file is the disk path when the file came from disk); NotFound /
// PermissionDenied for an input that does not exist or cannot be read; InvalidArgument
// for an input outside every include directory.
absl::StatusOr<google::protobuf::FileDescriptorSet> CompileProtos(const CompileOptions& options);

// Parses a FileDescriptorSet given either as binary (what protoc and `edgekit descriptor`
// write) or as the base64 text of `edgekit descriptor --base64` / `proto_descriptor_bin`.
// Returns the binary form, or nullopt if `bytes` is neither.
std::optional<std::string> DecodeDescriptorSet(std::string bytes,
                                               google::protobuf::FileDescriptorSet* set);

// Serializes deterministically, the way protoc writes --descriptor_set_out.
std::string SerializeDescriptorSet(const google::protobuf::FileDescriptorSet& set);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_PROTO_PROTO_COMPILER_H_
