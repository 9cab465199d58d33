// Checks rendered output the way the cluster would: every Kubernetes object in a YAML
// stream against the Istio CRD schemas and edgekit's semantic checks (cli/validate/istio_checks.h),
// each finding a test failure. Shared by the render tests.
#ifndef EDGEKIT_TESTS_CLI_ISTIO_TEST_UTIL_H_
#define EDGEKIT_TESTS_CLI_ISTIO_TEST_UTIL_H_

#include <string>
#include <vector>

#include "cli/validate/crd_validator.h"
#include "cli/validate/istio_checks.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::testing {

inline std::string IstioCrdFile() { return EDGEKIT_SHARED_SCHEMAS "/istio-crds.gen.yaml"; }

// Checks every document of `yaml_stream` that is an object to apply: documents without
// apiVersion/kind (istiod Helm values, the broker config), IstioOperator (an istioctl
// input; no CRD ships with Istio's schemas) and core objects (ConfigMaps) are left out. Returns the
// kinds checked, in order.
inline std::vector<std::string> ExpectValidIstioObjects(const CrdRegistry& registry,
                                                        const std::string& yaml_stream,
                                                        const std::string& source) {
  std::vector<std::string> kinds;
  const std::vector<YAML::Node> docs = YAML::LoadAll(yaml_stream);
  for (size_t i = 0; i < docs.size(); ++i) {
    if (!docs[i]["apiVersion"] || !docs[i]["kind"]) continue;
    const std::string api_version = docs[i]["apiVersion"].as<std::string>();
    const std::string kind = docs[i]["kind"].as<std::string>();
    if (api_version == "install.istio.io/v1alpha1") continue;
    if (api_version == "v1") continue;  // core kinds (ConfigMap): no CRD describes them
    EXPECT_TRUE(registry.Has(api_version, kind)) << source << ": " << api_version << " " << kind;
    ValidationResult result;
    registry.ValidateObject(docs[i], static_cast<int>(i), ValidateOptions{}, &result);
    CheckIstioSemantics(docs[i], static_cast<int>(i), &result);
    EXPECT_EQ(result.objects_validated, 1) << source << ": " << kind;
    for (const Finding& f : result.findings) ADD_FAILURE() << FormatFinding(source, f);
    kinds.push_back(kind);
  }
  return kinds;
}

}  // namespace edgekit::cli::testing

#endif  // EDGEKIT_TESTS_CLI_ISTIO_TEST_UTIL_H_
