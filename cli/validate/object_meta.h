// The checks of a Kubernetes object's metadata (ObjectMeta). CRD schemas leave metadata
// out (the API server validates it itself, the same for every kind), so without these a
// bad name, label or annotation would pass `edgekit validate` and fail on apply.
#ifndef EDGEKIT_CLI_VALIDATE_OBJECT_META_H_
#define EDGEKIT_CLI_VALIDATE_OBJECT_META_H_

#include <string>

#include "cli/validate/schema_checker.h"
#include "cli/validate/yaml_value.h"

namespace edgekit::cli::crd {

// Checks `object`'s metadata (`prefix` is the object's path: "" or "items[N]"): a name
// that is a DNS subdomain, a namespace that is a DNS label, only ObjectMeta's fields,
// label and annotation keys and values as the API server accepts them, annotations within
// the server's total size. Findings go to `checker`.
void CheckMetadata(const Value& object, const std::string& prefix, Checker* checker);

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_OBJECT_META_H_
