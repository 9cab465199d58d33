// The .proto files built into the edgekit binary (google/api/annotations.proto and
// google/api/http.proto). Their text comes from proto/google/api/ at build time (see
// cli/embed_files.cmake), so the binary needs neither a googleapis checkout nor a
// particular working directory.
#ifndef EDGEKIT_CLI_PROTO_EMBEDDED_PROTOS_H_
#define EDGEKIT_CLI_PROTO_EMBEDDED_PROTOS_H_

#include <cstddef>
#include <string_view>

namespace edgekit::cli {

struct EmbeddedFile {
  std::string_view name;      // virtual path, e.g. "google/api/http.proto"
  std::string_view contents;  // the file's bytes
};

// Defined in the generated embedded_protos_data.cc.
extern const EmbeddedFile kEmbeddedProtos[];
extern const std::size_t kEmbeddedProtoCount;

// The contents of the built-in file with virtual path `name`, or nullptr if none.
const std::string_view* FindEmbeddedProto(std::string_view name);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_PROTO_EMBEDDED_PROTOS_H_
