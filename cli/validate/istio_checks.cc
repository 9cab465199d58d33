// The Istio semantic checks (istio_checks.h): which check runs on which kind of object.
// The checks themselves are in istio_checks/, one file per kind; this table is the one
// place that knows them all, as istioctl's analyzer list is.
#include "cli/validate/istio_checks.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cli/validate/istio_checks/check.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

// The check of one kind, given its object's spec.
struct KindCheck {
  const char* group;
  const char* kind;
  void (*check)(istio::Checker& c, const YAML::Node& spec);
};

constexpr KindCheck kKindChecks[] = {
    {"networking.istio.io", "VirtualService", istio::CheckVirtualService},
    {"security.istio.io", "AuthorizationPolicy", istio::CheckAuthorizationPolicy},
};

// The API group of "group/version" ("" for core "v1").
std::string Group(const std::string& api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

}  // namespace

void CheckIstioSemantics(const YAML::Node& document, int document_index, ValidationResult* result) {
  using istio::Get;
  using istio::IsMap;
  using istio::Scalar;
  if (!IsMap(document)) return;
  const std::string group = Group(Scalar(Get(document, "apiVersion")));
  const std::string kind = Scalar(Get(document, "kind"));
  const YAML::Node spec = Get(document, "spec");
  if (!IsMap(spec)) return;
  istio::Checker checker(document_index, result);
  // Every access above goes through Get(), so nothing should throw; should a yaml-cpp
  // call still do so, it is a finding about this document, never an abort of validate.
  try {
    for (const KindCheck& check : kKindChecks) {
      if (group == check.group && kind == check.kind) check.check(checker, spec);
    }
  } catch (const YAML::Exception& e) {
    checker.Error(spec, "spec", FindingCode::kUnreadableDocument,
                  absl::StrCat("cannot check this object: ", e.what()));
  }
}

}  // namespace edgekit::cli
