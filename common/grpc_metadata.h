// gRPC's rule for metadata keys, shared by the tools that take "key=value" flags.
#ifndef EDGEKIT_COMMON_GRPC_METADATA_H_
#define EDGEKIT_COMMON_GRPC_METADATA_H_

#include "absl/strings/string_view.h"

namespace edgekit {

// True if `key` is a legal gRPC metadata key: non-empty, only lower-case letters,
// digits, '-', '_' and '.' (gRPC rejects the call otherwise).
bool IsValidMetadataKey(absl::string_view key);

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_GRPC_METADATA_H_
