// A YAML document as the JSON the Kubernetes API server would receive: the value model
// the CRD validator checks. Scalars are typed by YAML 1.1 rules, as kubectl's decoder
// (go-yaml v2) types them, so an unquoted `on` is a boolean here as it is in the cluster.
// yaml-cpp is touched only while ValueBuilder builds a tree, and its exceptions are
// caught by the callers of Build; everything downstream works on plain values.
#ifndef EDGEKIT_CLI_VALIDATE_YAML_VALUE_H_
#define EDGEKIT_CLI_VALIDATE_YAML_VALUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli/validate/validation_result.h"

namespace YAML {
class Node;
}

namespace edgekit::cli::crd {

struct Field;

struct Value {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;        // kInt
  long double number = 0;     // kInt and kFloat (long double holds every int64 exactly)
  std::string text;           // kString: the string; other scalars: their source text
  bool plain = false;         // an unquoted scalar, for "quote it" hints
  std::vector<Value> items;   // kArray
  std::vector<Field> fields;  // kObject, in document order
  int line = 0;               // 1-based; 0 if unknown
  int column = 0;

  const Field* Find(absl::string_view name) const;
  bool IsNumber() const { return kind == Kind::kInt || kind == Kind::kFloat; }
};

struct Field {
  std::string name;
  Value value;
  int line = 0;  // of the key
  int column = 0;
};

// An integer as Kubernetes sees one: kInt, or a float with no fraction within 2^53.
bool IsIntegral(const Value& v);
// "string \"foo\"", "integer 42", for "expected X, got Y".
std::string Describe(const Value& v);
// The value as it would be written in YAML, for enum lists and duplicates.
std::string Literal(const Value& v);
// JSON equality: numbers by value (1 == 1.0), objects regardless of field order.
bool Equal(const Value& a, const Value& b);

// Builds value trees from yaml-cpp nodes. Problems that belong to the document (duplicate
// keys, non-scalar keys, nesting too deep) become findings.
class ValueBuilder {
 public:
  ValueBuilder(int document, std::vector<Finding>* findings)
      : document_(document), findings_(findings) {}

  // True once a depth or size cap cut the tree short: the value is then incomplete and
  // checking it against a schema would only add noise.
  bool truncated() const { return truncated_; }

  // Throws YAML::Exception only on yaml-cpp internal errors; callers catch.
  Value Build(const YAML::Node& node, const std::string& path, int depth);

 private:
  void Report(int line, int column, const std::string& path, std::string message);

  int document_;
  std::vector<Finding>* findings_;
  int64_t nodes_ = 0;
  bool truncated_ = false;
};

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_YAML_VALUE_H_
