// One-line lifecycle and error logs to stderr ("2026-11-26T15:04:05.123Z I message").
// No per-request logging: the broker sits on every request's path. Never pass header
// values or tokens here.
#ifndef EDGEKIT_BROKER_LOG_H_
#define EDGEKIT_BROKER_LOG_H_

#include "absl/strings/string_view.h"

namespace edgekit::broker {

void LogInfo(absl::string_view message);
void LogWarning(absl::string_view message);
void LogError(absl::string_view message);

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_LOG_H_
