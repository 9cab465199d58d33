// Safe lookups in parsed manifests: yaml-cpp throws when a key is looked up under a key
// that is missing (node["a"]["b"] without "a"); At() gives an undefined node instead, which
// tests false and iterates as empty.
#ifndef EDGEKIT_CLI_EXPLAIN_YAML_AT_H_
#define EDGEKIT_CLI_EXPLAIN_YAML_AT_H_

#include <initializer_list>

#include "yaml-cpp/yaml.h"

namespace edgekit::cli::explain {

inline YAML::Node At(const YAML::Node& root, std::initializer_list<const char*> keys) {
  YAML::Node node = root;
  for (const char* key : keys) {
    if (!node || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    // Looked up through a const reference: the mutable operator[] would add the missing
    // key to the document.
    const YAML::Node& map = node;
    YAML::Node child = map[key];
    if (!child) return YAML::Node(YAML::NodeType::Undefined);
    node.reset(child);  // reset rebinds; = would assign into the document
  }
  return node;
}

}  // namespace edgekit::cli::explain

#endif  // EDGEKIT_CLI_EXPLAIN_YAML_AT_H_
