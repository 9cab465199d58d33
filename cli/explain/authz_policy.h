// The CUSTOM AuthorizationPolicy edgekit renders for ext_authz, evaluated as Istio
// translates it for Envoy (istio/istio pilot/pkg/security/authz/model/generator.go,
// matcher/string.go; Envoy source/extensions/filters/common/rbac/matchers.cc): the
// request goes to ext_authz when some rule holds; within a rule `to` and `from` are
// AND'd, the items of each OR'd, the fields of one item AND'd.
// - paths / notPaths: "*" any non-empty path, "*x" suffix, "x*" prefix, else exact;
//   case-sensitive, on the normalized path without its query string;
// - ipBlocks / notIpBlocks: the TCP peer (direct_remote_ip), never x-forwarded-for;
// - notPorts: edgekit puts the ext_authz loopback listener's port there, on which client
//   requests never arrive, so it always holds for them.
// Other fields (hosts, remoteIpBlocks, `when`, ...) are refused as not modelled.
#ifndef EDGEKIT_CLI_EXPLAIN_AUTHZ_POLICY_H_
#define EDGEKIT_CLI_EXPLAIN_AUTHZ_POLICY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/explain/gateway_model.h"
#include "cli/explain/request.h"

namespace edgekit::cli::explain {

// Whether the policy sends `request` to ext_authz; when not, `why_not` says which
// exclusion held ("the path matches notPaths \"/healthz\" (ext_authz.excluded_paths)").
absl::StatusOr<bool> CustomPolicyCalls(const AuthzModel& policy, const GatewayRequest& request,
                                       std::string* why_not);

bool AuthzPathMatches(const std::string& pattern, absl::string_view path_without_query);

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_AUTHZ_POLICY_H_
