// Semantic checks of Istio objects that their CRD schemas do not express (or express
// only as CEL rules, which edgekit does not run), run by `edgekit validate` after the
// structural check. Each is something istiod or Envoy would silently get wrong or reject
// at run time:
//
// VirtualService (spec.http[]):
//   - header names in match headers / withoutHeaders are lowercase HTTP tokens (Envoy
//     lowercases request header names: an uppercase name never matches);
//   - every `regex` (uri, method, authority, scheme, headers, withoutHeaders,
//     queryParams) compiles with RE2, the engine Envoy uses;
//   - directResponse: status in 200..599, body warned over 100 KB and refused over 1 MB,
//     and no route / redirect / rewrite / delegate on the same route;
//   - no route that can never match: a route after one that matches every request, or
//     whose every match block repeats one of an earlier route (first match wins).
// AuthorizationPolicy with action CUSTOM: a provider name; rules use no principals or
// namespaces (nor notPrincipals / notNamespaces, nor the `when` keys source.principal
// and source.namespace): CUSTOM rules cannot; a provider on a non-CUSTOM policy is an
// error too.
//
// Each kind's checks are in istio_checks/<kind>.cc; istio_checks.cc picks them by the
// document's apiVersion group and kind.
#ifndef EDGEKIT_CLI_VALIDATE_ISTIO_CHECKS_H_
#define EDGEKIT_CLI_VALIDATE_ISTIO_CHECKS_H_

#include "cli/validate/validation_result.h"

namespace YAML {
class Node;
}

namespace edgekit::cli {

// Checks one parsed document (any kind; only the kinds above are looked at) and appends
// findings with paths like "spec.http[1].match[0].headers.X-Foo".
void CheckIstioSemantics(const YAML::Node& document, int document_index, ValidationResult* result);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_VALIDATE_ISTIO_CHECKS_H_
