// File input/output with exit-code-ready statuses and atomic replacement of outputs.
#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <ostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file_read.h"

namespace edgekit {
namespace {

// Removes the temporary file unless Release() was called: every early return of
// WriteFileAtomically cleans up after itself.
class TempFileGuard {
 public:
  TempFileGuard(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~TempFileGuard() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;

  int fd() const { return fd_; }
  // Closes the descriptor; returns errno on failure (close reports delayed write errors).
  int Close() {
    int rc = close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void Release() { path_.clear(); }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path, std::istream& stdin_stream) {
  if (path == "-") return ReadStreamCapped(stdin_stream, "<stdin>", kMaxInputFileBytes);
  return ReadFileCapped(path, kMaxInputFileBytes);
}

namespace {

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "cannot write", path);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return absl::OkStatus();
}

// Writes straight into an existing non-regular file (/dev/stdout, a FIFO): those cannot
// be replaced by rename, and renaming over them would be wrong anyway.
absl::Status WriteInPlace(const std::string& path, std::string_view data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot write", path);
  absl::Status status = WriteAll(fd, data, path);
  if (close(fd) != 0 && status.ok()) status = ErrnoToStatus(errno, "cannot write", path);
  return status;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& requested_path, std::string_view data) {
  std::string path = requested_path;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    // Replace the file the link points to, as a plain write would, not the link.
    if (char* resolved = realpath(path.c_str(), nullptr); resolved != nullptr) {
      path = resolved;
      std::free(resolved);
    }
  }
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return WriteInPlace(path, data);
  }

  // The temporary file must be in the target's directory: rename() is only atomic
  // within one file system.
  std::string::size_type slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("output path ", path, " names a directory"));
  }
  std::string temp_template =
      absl::StrCat(dir, slash == std::string::npos ? "/" : "", ".", base, ".edgekit-XXXXXX");
  std::vector<char> temp_path(temp_template.begin(), temp_template.end());
  temp_path.push_back('\0');
  int fd = mkstemp(temp_path.data());
  if (fd < 0) return ErrnoToStatus(errno, "cannot write", path);
  TempFileGuard guard(fd, temp_path.data());

  // mkstemp creates 0600; give the file the mode an ordinary create would (umask() can
  // only be read by setting it, so set it back at once).
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) return ErrnoToStatus(errno, "cannot write", path);

  if (absl::Status status = WriteAll(fd, data, path); !status.ok()) return status;
  // fsync before rename: otherwise a crash can leave the new name on an empty file.
  if (fsync(fd) != 0) return ErrnoToStatus(errno, "cannot write", path);
  if (int err = guard.Close(); err != 0) return ErrnoToStatus(err, "cannot write", path);
  if (rename(temp_path.data(), path.c_str()) != 0) {
    return ErrnoToStatus(errno, "cannot write", path);
  }
  guard.Release();
  return absl::OkStatus();
}

absl::Status WriteFileOrStdout(const std::string& path, std::string_view data,
                               std::ostream& stdout_stream) {
  if (path == "-") {
    stdout_stream.write(data.data(), static_cast<std::streamsize>(data.size()));
    stdout_stream.flush();
    if (!stdout_stream) return absl::UnavailableError("cannot write to stdout");
    return absl::OkStatus();
  }
  return WriteFileAtomically(path, data);
}

}  // namespace edgekit
