// Core kinds `edgekit validate` checks without a CRD: only v1 ConfigMap, which edgekit
// renders itself (the transcoder's descriptor, a Gateway API Gateway's parameters and the
// broker's config) and which no CRD file describes. Checked as the API server does
// (k8s.io/kubernetes pkg/apis/core/validation, ValidateConfigMap): only ConfigMap's
// fields, `data` values strings and `binaryData` values base64, keys of both config keys
// ([-._a-zA-Z0-9]+, at most 253 characters, not "." or "..") and never in both, and at
// most 1 MiB of data in all. A CRD for the kind, when loaded, takes precedence.
#ifndef EDGEKIT_CLI_VALIDATE_CORE_KINDS_H_
#define EDGEKIT_CLI_VALIDATE_CORE_KINDS_H_

#include <string>

#include "cli/validate/schema_checker.h"
#include "cli/validate/yaml_value.h"

namespace edgekit::cli::crd {

// `object` is a v1 ConfigMap (its metadata checked apart); findings go to `checker`.
void CheckConfigMap(const Value& object, const std::string& prefix, Checker* checker);

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_CORE_KINDS_H_
