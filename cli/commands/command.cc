#include "cli/commands/command.h"

#include "absl/strings/cord.h"

namespace edgekit::cli {
namespace {

// The payload that marks a usage error (absl::Status payloads are keyed by a URL).
constexpr char kUsagePayload[] = "type.edgekit.dev/cli.usage";

}  // namespace

absl::Status UsageError(std::string_view message) {
  absl::Status status =
      absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

}  // namespace edgekit::cli
