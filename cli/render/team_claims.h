// The `teams:` list of platform.yaml checked on its own, before any team file is read:
// names, files, hosts within gateway.hosts, path prefixes, proto packages, namespaces,
// and no two teams claiming overlapping hosts and paths or nested packages (a claim is
// what a team may route, answer and publish; team_composition.h holds each team to it).
#ifndef EDGEKIT_CLI_RENDER_TEAM_CLAIMS_H_
#define EDGEKIT_CLI_RENDER_TEAM_CLAIMS_H_

#include <string>

#include "absl/status/status.h"
#include "edgekit/edge/v1/edge_config.pb.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {

// Errors are "<platform>:<line>:<col>: teams[i].<key>: <problem>" (`root`: the platform
// file's YAML, for the line).
absl::Status CheckTeamClaims(const edge::v1::EdgeConfig& config, const std::string& platform,
                             const YAML::Node& root);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_TEAM_CLAIMS_H_
