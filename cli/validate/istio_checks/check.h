// What every Istio semantic check (istio_checks.h) shares: the checker that turns a
// problem at a node into a finding, the one safe way to look into a node, and the list
// of checks. One file per kind of object, as istioctl's analyzers are, so adding a check
// for a kind is adding a file and a line in istio_checks.cc's table. Internal to
// cli/validate/.
#ifndef EDGEKIT_CLI_VALIDATE_ISTIO_CHECKS_CHECK_H_
#define EDGEKIT_CLI_VALIDATE_ISTIO_CHECKS_CHECK_H_

#include <string>

#include "cli/validate/validation_result.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::istio {

// Appends findings of one document, positioned at the node they are about.
class Checker {
 public:
  Checker(int document, ValidationResult* result) : document_(document), result_(result) {}

  // A problem Istio's validating webhook refuses the object for (`kubectl apply` fails).
  void Error(const YAML::Node& at, const std::string& path, FindingCode code,
             const std::string& message) {
    Add(at, path, code, message, Finding::Severity::kError);
  }
  // A problem the cluster accepts: the object applies, but does not do what it says.
  void Warn(const YAML::Node& at, const std::string& path, FindingCode code,
            const std::string& message) {
    Add(at, path, code, message, Finding::Severity::kWarning);
  }

 private:
  void Add(const YAML::Node& at, const std::string& path, FindingCode code,
           const std::string& message, Finding::Severity severity);

  int document_;
  ValidationResult* result_;
};

inline bool IsMap(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }
inline bool IsSeq(const YAML::Node& n) { return n.IsDefined() && n.IsSequence(); }

// The one way these checks look into a node. A document may have any shape (a schema
// error is reported by the CRD check, not here), and yaml-cpp throws on `node[key]` when
// `node` is a scalar or a sequence: anything but a mapping has no `key`.
YAML::Node Get(const YAML::Node& node, const char* key);

// The node's text if it is a scalar, else "".
std::string Scalar(const YAML::Node& n);

// The checks, one per kind; each gets its object's `spec` (a mapping), and findings'
// paths start at "spec".
//
// virtual_service.cc: header names, RE2 regexes, direct responses, unreachable routes.
void CheckVirtualService(Checker& c, const YAML::Node& spec);
// authorization_policy.cc: what action CUSTOM needs and forbids.
void CheckAuthorizationPolicy(Checker& c, const YAML::Node& spec);

}  // namespace edgekit::cli::istio

#endif  // EDGEKIT_CLI_VALIDATE_ISTIO_CHECKS_CHECK_H_
