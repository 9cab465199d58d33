// POSIX I/O rather than iostreams for files: errno tells "missing" from "forbidden".
#include "common/file_read.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>

#include "absl/strings/str_cat.h"

namespace edgekit {
namespace {

absl::Status TooLarge(absl::string_view name, size_t max_bytes) {
  return absl::ResourceExhaustedError(absl::StrCat(name, ": larger than ",
                                                   max_bytes / (1024 * 1024),
                                                   " MiB, the most edgekit reads from one input"));
}

}  // namespace

absl::Status ErrnoToStatus(int err, absl::string_view what, absl::string_view path) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

absl::StatusOr<std::string> ReadFileCapped(const std::string& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open", path);
  std::string data;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;  // EISDIR for a directory: an I/O error like any other
      close(fd);
      return ErrnoToStatus(err, "cannot read", path);
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > max_bytes) {
      close(fd);
      return TooLarge(path, max_bytes);
    }
    data.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

absl::StatusOr<std::string> ReadStreamCapped(std::istream& in, absl::string_view name,
                                             size_t max_bytes) {
  std::string data;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    const size_t n = static_cast<size_t>(in.gcount());
    if (data.size() + n > max_bytes) return TooLarge(name, max_bytes);
    data.append(buffer, n);
  }
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", name));
  return data;
}

}  // namespace edgekit
