// Canonical gRPC status code names; see grpc_codes.h.
#include "common/grpc_codes.h"

#include <array>
#include <string>

namespace edgekit {
namespace {

// Indexed by the numeric code: gRPC's codes are 0..16 with no gaps, and the numbers are
// part of the wire protocol, so they will not move.
constexpr std::array<std::string_view, 17> kNames = {
    "OK",                   // 0
    "CANCELLED",            // 1
    "UNKNOWN",              // 2
    "INVALID_ARGUMENT",     // 3
    "DEADLINE_EXCEEDED",    // 4
    "NOT_FOUND",            // 5
    "ALREADY_EXISTS",       // 6
    "PERMISSION_DENIED",    // 7
    "RESOURCE_EXHAUSTED",   // 8
    "FAILED_PRECONDITION",  // 9
    "ABORTED",              // 10
    "OUT_OF_RANGE",         // 11
    "UNIMPLEMENTED",        // 12
    "INTERNAL",             // 13
    "UNAVAILABLE",          // 14
    "DATA_LOSS",            // 15
    "UNAUTHENTICATED",      // 16
};

}  // namespace

std::optional<GrpcCode> GrpcCodeFromName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<GrpcCode>(i);
  }
  return std::nullopt;
}

std::string_view GrpcCodeName(GrpcCode code) {
  const int value = static_cast<int>(code);
  if (value < 0 || value >= static_cast<int>(kNames.size())) return "UNKNOWN";
  return kNames[value];
}

std::string_view AllGrpcCodeNames() {
  // Built from kNames so the list cannot drift from the lookup table; never freed, so it
  // is safe to use during static destruction.
  static const std::string* const kAll = [] {
    auto* all = new std::string;
    for (std::string_view name : kNames) {
      if (!all->empty()) all->append(", ");
      all->append(name);
    }
    return all;
  }();
  return *kAll;
}

}  // namespace edgekit
