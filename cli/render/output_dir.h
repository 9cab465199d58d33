// Replacing the set of files `edgekit render -o DIR` writes as one unit: after a run DIR
// holds either the whole new set or, on any error, exactly what it held before.
// The new set is built in a fresh sibling directory (with DIR's other files linked in),
// then the two directories trade places with one renameat2(RENAME_EXCHANGE), so even a
// crash or a concurrent `kubectl apply -f DIR` never sees new and old files mixed.
#ifndef EDGEKIT_CLI_RENDER_OUTPUT_DIR_H_
#define EDGEKIT_CLI_RENDER_OUTPUT_DIR_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace edgekit::cli {

struct OutputFile {
  std::string name;  // a plain file name, no '/'
  std::string contents;
};

// Makes `dir` hold `files`, plus every other regular file or symbolic link it held
// except those named in `drop` (files of features turned off). Names in `drop` that
// existed are appended to `*dropped`. Refused before anything changes: a `dir` that is
// the working directory or contains it (swapping it would strand the caller's shell in
// a deleted directory), that is a mount point, or that holds a subdirectory or another
// entry that is neither a file nor a link (it cannot be carried over atomically).
// I/O errors are NotFound / PermissionDenied / Unavailable naming the path.
absl::Status ReplaceOutputDirectory(const std::string& dir, const std::vector<OutputFile>& files,
                                    const std::set<std::string>& drop,
                                    std::vector<std::string>* dropped);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_OUTPUT_DIR_H_
