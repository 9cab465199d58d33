// See grpc_metadata.h.
#include "common/grpc_metadata.h"

#include "absl/strings/ascii.h"

namespace edgekit {

bool IsValidMetadataKey(absl::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace edgekit
