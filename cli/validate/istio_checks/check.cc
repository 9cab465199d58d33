// The helpers every Istio semantic check shares (check.h).
#include "cli/validate/istio_checks/check.h"

#include <string>
#include <utility>

#include "yaml-cpp/yaml.h"

namespace edgekit::cli::istio {

void Checker::Add(const YAML::Node& at, const std::string& path, FindingCode code,
                  const std::string& message, Finding::Severity severity) {
  Finding finding;
  finding.document = document_;
  finding.path = path;
  finding.message = message;
  finding.severity = severity;
  finding.code = code;
  const YAML::Mark mark = at.Mark();
  if (!mark.is_null()) {
    finding.line = mark.line + 1;
    finding.column = mark.column + 1;
  }
  result_->findings.push_back(std::move(finding));
}

YAML::Node Get(const YAML::Node& node, const char* key) {
  if (!IsMap(node)) return YAML::Node(YAML::NodeType::Undefined);
  return node[key];
}

std::string Scalar(const YAML::Node& n) {
  return n.IsDefined() && n.IsScalar() ? n.Scalar() : std::string();
}

}  // namespace edgekit::cli::istio
