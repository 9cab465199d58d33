// A gRPC message's bytes as one contiguous view, the one way every part of the broker
// reads a ByteBuffer (the Check request's parse, the health check, the cache's copy of an
// answer). gRPC may hold a message in several slices; when it holds one, the view is that
// slice and nothing is copied.
#ifndef EDGEKIT_BROKER_GRPC_BYTES_H_
#define EDGEKIT_BROKER_GRPC_BYTES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace edgekit::broker {

// The bytes of `buffer`: `*slices` keeps them alive (a single slice is viewed in place),
// `*joined` holds them when there are several. nullopt when gRPC cannot read them.
std::optional<absl::string_view> ContiguousBytes(const grpc::ByteBuffer& buffer,
                                                 std::vector<grpc::Slice>* slices,
                                                 std::string* joined);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_GRPC_BYTES_H_
