// File input/output with the error codes the programs turn into exit codes (reading:
// common/file_read.h): NotFound / PermissionDenied / Unavailable name the path and the OS reason.
// Output files are written to a temporary file in the same directory and renamed into
// place, so a failed or interrupted run never leaves a half-written file behind.
#ifndef EDGEKIT_COMMON_FILE_IO_H_
#define EDGEKIT_COMMON_FILE_IO_H_

#include <iosfwd>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/file_read.h"

namespace edgekit {

// Reads a whole file of at most kMaxInputFileBytes. `path` "-" reads `stdin_stream` to
// its end.
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path, std::istream& stdin_stream);

// Replaces the file at `path` with `data` atomically (temporary file + fsync + rename).
// The new file gets mode 0666 minus the umask, as a plain open() would give it.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data);

// Writes `data` to `path`, or to `stdout_stream` when `path` is "-".
absl::Status WriteFileOrStdout(const std::string& path, std::string_view data,
                               std::ostream& stdout_stream);

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_FILE_IO_H_
