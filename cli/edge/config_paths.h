// Paths written in an edge.yaml (or a team's file) are relative to that file's directory:
// the one way they are resolved, for rendering (transcoding) and for composing team files
// into the platform's config.
#ifndef EDGEKIT_CLI_EDGE_CONFIG_PATHS_H_
#define EDGEKIT_CLI_EDGE_CONFIG_PATHS_H_

#include <string>

namespace edgekit::cli {

// The directory of `file` ("" when it has none: the working directory).
std::string DirectoryOf(const std::string& file);

// `path` relative to `base_dir` ("" or "." is the working directory); absolute paths,
// "" and "-" (stdin) are kept as they are.
std::string ResolvePath(const std::string& base_dir, const std::string& path);

// An include path entry in protoc syntax (DIR1:DIR2, VIRTUAL=DIR) with every directory
// resolved against `base_dir` (a part holding '=' that names an existing directory is a
// directory, as protoc reads it).
std::string ResolveIncludeEntry(const std::string& base_dir, const std::string& entry);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_CONFIG_PATHS_H_
