// Reading input files for every program here, with one errno -> absl::Status mapping and
// a size cap, so an unreadable input is the same error (and the same exit code) wherever
// it is read, and `/dev/zero` or a huge file cannot exhaust memory.
#ifndef EDGEKIT_COMMON_FILE_READ_H_
#define EDGEKIT_COMMON_FILE_READ_H_

#include <cstddef>
#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgekit {

// The most any input is read: edge.yaml, broker config, manifests, CRD dumps, descriptor
// sets. Real ones are a few MB at most.
inline constexpr size_t kMaxInputFileBytes = 64u << 20;

// An absl::Status for a failed system call on `path`: ENOENT/ENOTDIR -> NotFound,
// EACCES/EPERM/EROFS -> PermissionDenied, anything else (EISDIR, EIO, ...) -> Unavailable.
// All three are I/O errors to the programs' exit-code maps. The message is
// "<what> <path>: <strerror(err)>", e.g. "cannot read edge.yaml: Is a directory".
absl::Status ErrnoToStatus(int err, absl::string_view what, absl::string_view path);

// Reads the whole file at `path`. More than `max_bytes` is ResourceExhausted naming the
// path and the cap (the read stops there: a device that never ends cannot fill memory).
absl::StatusOr<std::string> ReadFileCapped(const std::string& path, size_t max_bytes);

// Reads `in` to its end under the same cap; `name` ("<stdin>") names it in errors.
absl::StatusOr<std::string> ReadStreamCapped(std::istream& in, absl::string_view name,
                                             size_t max_bytes);

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_FILE_READ_H_
