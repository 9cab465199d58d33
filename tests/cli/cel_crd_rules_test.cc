// Every CEL rule (x-kubernetes-validations[].rule) in the Istio and Gateway API CRDs that
// `edgekit validate` loads must compile with the CEL evaluator: a rule it could not run
// would otherwise be skipped silently. The CRDs live next to the repository
// (../shared/schemas); without them this test fails rather than skips.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/validate/cel/cel.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli::cel {
namespace {

void CollectRules(const YAML::Node& node, std::vector<std::string>* rules) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (entry.first.Scalar() == "x-kubernetes-validations" && entry.second.IsSequence()) {
        for (const auto& v : entry.second) {
          if (v.IsMap() && v["rule"]) rules->push_back(v["rule"].as<std::string>());
        }
      }
      CollectRules(entry.second, rules);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) CollectRules(item, rules);
  }
}

void CheckFile(const std::string& name, size_t expected_at_least) {
  std::string path = std::string(EDGEKIT_SHARED_SCHEMAS) + "/" + name;
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAllFromFile(path);
  } catch (const YAML::Exception& e) {
    FAIL() << "cannot read " << path << ": " << e.what();
  }
  std::vector<std::string> rules;
  for (const YAML::Node& doc : docs) CollectRules(doc, &rules);
  ASSERT_GE(rules.size(), expected_at_least) << path;
  int compiled = 0;
  int old_self = 0;
  for (const std::string& rule : rules) {
    absl::StatusOr<std::unique_ptr<Program>> p = Program::Compile(rule);
    if (!p.ok()) {
      ADD_FAILURE() << name << ": rule does not compile: " << p.status() << "\n  " << rule;
      continue;
    }
    ++compiled;
    if ((*p)->uses_old_self()) ++old_self;
  }
  std::printf("%s: %d rules compiled, %d use oldSelf\n", name.c_str(), compiled, old_self);
  EXPECT_EQ(static_cast<size_t>(compiled), rules.size());
}

TEST(CelCrdRulesTest, IstioRulesCompile) { CheckFile("istio-crds.gen.yaml", 362); }

TEST(CelCrdRulesTest, GatewayApiRulesCompile) {
  CheckFile("gateway-api-crds.v1.5.1-standard.yaml", 283);
}

}  // namespace
}  // namespace edgekit::cli::cel
