// See output_dir.h. The order of the steps is the design: nothing visible changes until
// the one exchange, and every failure before it removes only the staging directory.
#include "cli/render/output_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28 with _GNU_SOURCE)
#include <cstdlib>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_io.h"
#include "common/file_read.h"

namespace edgekit::cli {
namespace {

enum class Carry { kLink, kSymlink };

std::string Realpath(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return "";
  std::string out = resolved;
  std::free(resolved);
  return out;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot write", dir);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoToStatus(err, "cannot write", dir);
}

// Lists a directory's entries (no "." or "..") with their lstat modes.
absl::Status ListEntries(const std::string& dir, std::map<std::string, mode_t>* out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoToStatus(errno, "cannot read", dir);
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (lstat((dir + "/" + name).c_str(), &st) != 0) {
      const int err = errno;
      closedir(d);
      return ErrnoToStatus(err, "cannot read", dir + "/" + name);
    }
    (*out)[name] = st.st_mode;
  }
  closedir(d);
  return absl::OkStatus();
}

// Removes a directory of files and links (what staging and old sets are).
void RemoveFlatDirectory(const std::string& dir) {
  std::map<std::string, mode_t> entries;
  if (ListEntries(dir, &entries).ok()) {
    for (const auto& [name, mode] : entries) unlink((dir + "/" + name).c_str());
  }
  rmdir(dir.c_str());
}

// Removes the staging directory unless released: every early return cleans up.
class StagingGuard {
 public:
  explicit StagingGuard(std::string dir) : dir_(std::move(dir)) {}
  ~StagingGuard() {
    if (!dir_.empty()) RemoveFlatDirectory(dir_);
  }
  StagingGuard(const StagingGuard&) = delete;
  StagingGuard& operator=(const StagingGuard&) = delete;
  void Release() { dir_.clear(); }

 private:
  std::string dir_;
};

// Puts `from` (a file of the old set) into the staging directory as `to`: a hard link
// (same file, no copy), or a copy where the file system refuses links.
absl::Status CarryFile(const std::string& from, const std::string& to, Carry how) {
  if (how == Carry::kSymlink) {
    std::string target(4096, '\0');
    const ssize_t n = readlink(from.c_str(), target.data(), target.size());
    if (n < 0) return ErrnoToStatus(errno, "cannot read", from);
    target.resize(static_cast<size_t>(n));
    if (symlink(target.c_str(), to.c_str()) != 0) return ErrnoToStatus(errno, "cannot write", to);
    return absl::OkStatus();
  }
  if (link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
  absl::StatusOr<std::string> contents = ReadFileCapped(from, kMaxInputFileBytes);
  if (!contents.ok()) return contents.status();
  absl::Status written = WriteFileAtomically(to, *contents);
  if (!written.ok()) return written;
  struct stat st;
  if (stat(from.c_str(), &st) == 0) chmod(to.c_str(), st.st_mode & 07777);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReplaceOutputDirectory(const std::string& dir, const std::vector<OutputFile>& files,
                                    const std::set<std::string>& drop,
                                    std::vector<std::string>* dropped) {
  // Where the set lives: a link to a directory is followed, so the link stays a link.
  struct stat st;
  const bool exists = stat(dir.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) return ErrnoToStatus(errno, "cannot create directory", dir);
  if (exists && !S_ISDIR(st.st_mode)) {
    return ErrnoToStatus(ENOTDIR, "cannot create directory", dir);
  }
  const std::string target = exists ? Realpath(dir) : dir;
  if (target.empty()) return ErrnoToStatus(errno, "cannot read", dir);
  const std::string parent = Parent(target);
  struct stat parent_st;
  if (stat(parent.c_str(), &parent_st) != 0) {
    return ErrnoToStatus(errno, "cannot create directory", dir);
  }

  std::map<std::string, Carry> carried;
  if (exists) {
    const std::string cwd = Realpath(".");
    if (cwd == target || absl::StartsWith(cwd, target + "/")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "-o ", dir,
          ": this is the working directory or contains it; render replaces "
          "the output directory as a whole (so a failed run leaves the old files), which "
          "would leave this shell in a deleted directory: run it from another directory"));
    }
    if (st.st_dev != parent_st.st_dev || target == "/") {
      return absl::FailedPreconditionError(
          absl::StrCat("-o ", dir,
                       ": a mount point cannot be replaced as a whole; write to a "
                       "directory inside it"));
    }
    std::map<std::string, mode_t> entries;
    if (absl::Status listed = ListEntries(target, &entries); !listed.ok()) return listed;
    std::set<std::string> rendered;
    for (const OutputFile& f : files) rendered.insert(f.name);
    for (const auto& [name, mode] : entries) {
      const std::string path = dir + "/" + name;
      if (rendered.count(name) > 0) {
        if (!S_ISREG(mode)) {
          return ErrnoToStatus(S_ISDIR(mode) ? EISDIR : EEXIST, "cannot replace", path);
        }
      } else if (drop.count(name) > 0) {
        dropped->push_back(path);
      } else if (S_ISREG(mode)) {
        carried[name] = Carry::kLink;
      } else if (S_ISLNK(mode)) {
        carried[name] = Carry::kSymlink;
      } else {
        return absl::FailedPreconditionError(absl::StrCat(
            path, ": -o DIR takes a directory of files: a ",
            S_ISDIR(mode) ? "subdirectory" : "special file",
            " cannot be carried over when the set of rendered files is replaced; move it "
            "out of ",
            dir));
      }
    }
  }

  // Build the new set next to the old one (same file system: rename is atomic).
  std::string templ = absl::StrCat(parent, "/.", BaseName(target), ".edgekit-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) return ErrnoToStatus(errno, "cannot write", dir);
  const std::string staging = templ;
  StagingGuard guard(staging);
  mode_t mode = st.st_mode & 07777;
  if (!exists) {
    mode = umask(0);
    umask(mode);
    mode = 0777 & ~mode;
  }
  if (chmod(staging.c_str(), mode) != 0) return ErrnoToStatus(errno, "cannot write", dir);
  for (const auto& [name, how] : carried) {
    absl::Status s = CarryFile(target + "/" + name, staging + "/" + name, how);
    if (!s.ok()) return s;
  }
  for (const OutputFile& f : files) {
    absl::Status written = WriteFileAtomically(staging + "/" + f.name, f.contents);
    if (!written.ok()) {
      // Name the file as the user knows it, not by its staging path.
      return absl::Status(written.code(), absl::StrReplaceAll(written.message(), {{staging, dir}}));
    }
  }
  if (absl::Status s = SyncDirectory(staging); !s.ok()) return s;

  // The one visible step.
  if (!exists) {
    if (rename(staging.c_str(), target.c_str()) != 0) {
      return ErrnoToStatus(errno, "cannot create directory", dir);
    }
    guard.Release();
    return SyncDirectory(parent);
  }
  if (renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) return ErrnoToStatus(errno, "cannot replace", dir);
    // A file system without the exchange: two renames. DIR is missing for an instant,
    // but it never holds a mix, and a failure puts the old set back.
    const std::string aside = staging + ".old";
    if (rename(target.c_str(), aside.c_str()) != 0) {
      return ErrnoToStatus(errno, "cannot replace", dir);
    }
    if (rename(staging.c_str(), target.c_str()) != 0) {
      const int err = errno;
      rename(aside.c_str(), target.c_str());
      return ErrnoToStatus(err, "cannot replace", dir);
    }
    if (rename(aside.c_str(), staging.c_str()) != 0) RemoveFlatDirectory(aside);
  }
  // `staging` now names the old set. Anything written into DIR since it was listed is
  // moved over, so the exchange loses nothing; then the old set goes.
  std::map<std::string, mode_t> old_entries;
  if (ListEntries(staging, &old_entries).ok()) {
    std::set<std::string> known;
    for (const auto& [name, how] : carried) known.insert(name);
    for (const OutputFile& f : files) known.insert(f.name);
    for (const std::string& path : *dropped) known.insert(BaseName(path));
    for (const auto& [name, m] : old_entries) {
      if (known.count(name) == 0) {
        renameat2(AT_FDCWD, (staging + "/" + name).c_str(), AT_FDCWD, (target + "/" + name).c_str(),
                  RENAME_NOREPLACE);
      }
    }
  }
  return SyncDirectory(parent);  // the guard removes the old set
}

}  // namespace edgekit::cli
