// Where a key path of an error message ("routes.http[2].match.prefix") is in the YAML it
// came from, so messages about a team's file can say file:line:col for every error, not
// only for the syntax and schema errors the loader reports itself.
#ifndef EDGEKIT_CLI_EDGE_KEY_LOCATOR_H_
#define EDGEKIT_CLI_EDGE_KEY_LOCATOR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {

// "line:col" (1-based) of the deepest node along `path` in `root` (a map key's own
// position for a key, the element's for a sequence index), or "" when not even the first
// step is there. Path syntax: keys joined by '.', `[N]` for sequence elements, `["k"]`
// for map keys holding dots.
std::string LocateKeyPath(const YAML::Node& root, std::string_view path);

// `status` ("<source>: <key.path>: <what>") with the key path's line:col after
// `source` ("<source>:<line>:<col>: <key.path>: <what>"); unchanged when the message has
// another shape, already carries a location, or the path is not in `root`.
absl::Status WithKeyLocation(const absl::Status& status, const std::string& source,
                             const YAML::Node& root);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_KEY_LOCATOR_H_
