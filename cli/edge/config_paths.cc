#include "cli/edge/config_paths.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace edgekit::cli {

std::string DirectoryOf(const std::string& file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : file.substr(0, slash);
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path == "-" || path.front() == '/' || base_dir.empty() || base_dir == ".") {
    return path;
  }
  return absl::StrCat(base_dir, base_dir.back() == '/' ? "" : "/", path);
}

std::string ResolveIncludeEntry(const std::string& base_dir, const std::string& entry) {
  std::vector<std::string> parts;
  for (absl::string_view part_view : absl::StrSplit(entry, ':', absl::SkipEmpty())) {
    std::string part(part_view);
    const size_t eq = part.find('=');
    if (eq != std::string::npos && access(ResolvePath(base_dir, part).c_str(), F_OK) != 0) {
      parts.push_back(
          absl::StrCat(part.substr(0, eq + 1), ResolvePath(base_dir, part.substr(eq + 1))));
    } else {
      parts.push_back(ResolvePath(base_dir, part));
    }
  }
  return absl::StrJoin(parts, ":");
}

}  // namespace edgekit::cli
