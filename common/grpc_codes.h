// gRPC status codes as config files name them ("UNAVAILABLE", ...). GrpcCode has the wire
// numbers of the gRPC protocol, so the broker converts with a static_cast where it meets
// GrpcCode; config code (and the CLI that validates broker configs) needs no gRPC
// header. The broker's metrics use GrpcCodeName for their bounded `code` label.
#ifndef EDGEKIT_COMMON_GRPC_CODES_H_
#define EDGEKIT_COMMON_GRPC_CODES_H_

#include <optional>
#include <string_view>

namespace edgekit {

// The 17 canonical codes, numbered as on the wire (0..16).
enum class GrpcCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// The code named `name` (exact, upper case, e.g. "DEADLINE_EXCEEDED"), or nullopt.
std::optional<GrpcCode> GrpcCodeFromName(std::string_view name);

// The canonical name of `code`. Total: a value outside the 17 defined codes (an upstream
// can send any integer) yields "UNKNOWN", as gRPC itself maps unknown codes, so a metric
// label built from it stays bounded.
std::string_view GrpcCodeName(GrpcCode code);

// Every canonical name, in code order ("OK", "CANCELLED", ..., "UNAUTHENTICATED"), joined
// with ", ": for error messages that list the accepted names.
std::string_view AllGrpcCodeNames();

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_GRPC_CODES_H_
