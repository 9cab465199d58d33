// Canonical gRPC status code names ("UNAVAILABLE", ...) to and from grpc::StatusCode.
// Config files name codes this way, the broker's metrics use GrpcCodeName for their
// bounded `code` label.
#ifndef EDGEKIT_COMMON_GRPC_CODES_H_
#define EDGEKIT_COMMON_GRPC_CODES_H_

#include <optional>
#include <string_view>

#include "grpcpp/support/status_code_enum.h"

namespace edgekit {

// The code named `name` (exact, upper case, e.g. "DEADLINE_EXCEEDED"), or nullopt.
std::optional<grpc::StatusCode> GrpcCodeFromName(std::string_view name);

// The canonical name of `code`. Total: a value outside the 17 defined codes (an upstream
// can send any integer) yields "UNKNOWN", as gRPC itself maps unknown codes, so a metric
// label built from it stays bounded.
std::string_view GrpcCodeName(grpc::StatusCode code);

// Every canonical name, in code order ("OK", "CANCELLED", ..., "UNAUTHENTICATED"), joined
// with ", ": for error messages that list the accepted names.
std::string_view AllGrpcCodeNames();

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_GRPC_CODES_H_
