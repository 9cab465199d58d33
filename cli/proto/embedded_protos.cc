// Lookup over the built-in .proto files; the table itself is generated at build time.
#include "cli/proto/embedded_protos.h"

namespace edgekit::cli {

const std::string_view* FindEmbeddedProto(std::string_view name) {
  // Two files: a linear scan is the simplest thing that is fast enough.
  for (std::size_t i = 0; i < kEmbeddedProtoCount; ++i) {
    if (kEmbeddedProtos[i].name == name) return &kEmbeddedProtos[i].contents;
  }
  return nullptr;
}

}  // namespace edgekit::cli
