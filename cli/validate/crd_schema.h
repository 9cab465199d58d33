// The OpenAPI v3 schemas of CRD versions, as the validator holds them: the subset of
// JSON Schema that Kubernetes structural schemas use, with the x-kubernetes-* extensions,
// read once from a CRD's value tree (yaml_value.h) into a form the checker
// (schema_checker.h) walks without re-reading keywords. Patterns are compiled here, so a
// CRD whose `pattern` RE2 cannot compile is refused when it is loaded, not on first use.
#ifndef EDGEKIT_CLI_VALIDATE_CRD_SCHEMA_H_
#define EDGEKIT_CLI_VALIDATE_CRD_SCHEMA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/validate/yaml_value.h"
#include "re2/re2.h"

namespace edgekit::cli::cel {
class Program;
}

namespace edgekit::cli::crd {

// One x-kubernetes-validations entry, compiled when the CRD is loaded.
struct CelRule {
  std::string rule;
  std::string message;                          // "" = the API server's "failed rule: <rule>"
  std::string message_expression;               // evaluated for the message when it yields a string
  std::string field_path;                       // ".x.y" relative to the value, where to report
  std::shared_ptr<const cel::Program> program;  // null: cannot run (not_run says)
  std::shared_ptr<const cel::Program> message_program;  // null if none or cannot run
  std::string not_run;  // why the evaluator cannot run the rule (Compile's error)
  // Reads oldSelf: runs only on update, against the stored object; never on create.
  bool transition = false;
};

struct Schema {
  std::string type;  // "" = any
  std::string format;
  bool nullable = false;
  bool int_or_string = false;
  bool preserve_unknown_fields = false;
  bool embedded_resource = false;
  std::map<std::string, std::unique_ptr<Schema>> properties;
  std::unique_ptr<Schema> items;
  std::unique_ptr<Schema> additional_properties;
  bool additional_properties_allowed = false;  // `additionalProperties: true`
  std::vector<std::string> required;
  bool has_enum = false;
  std::vector<Value> enum_values;
  std::optional<long double> minimum;
  std::optional<long double> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  std::optional<long double> multiple_of;
  std::optional<int64_t> min_length;
  std::optional<int64_t> max_length;
  std::optional<int64_t> min_items;
  std::optional<int64_t> max_items;
  std::optional<int64_t> min_properties;
  std::optional<int64_t> max_properties;
  bool unique_items = false;
  std::string pattern;
  std::unique_ptr<RE2> pattern_re;
  std::vector<std::unique_ptr<Schema>> all_of;
  std::vector<std::unique_ptr<Schema>> any_of;
  std::vector<std::unique_ptr<Schema>> one_of;
  std::unique_ptr<Schema> not_schema;
  std::string list_type;
  std::vector<std::string> list_map_keys;
  std::vector<CelRule> cel_rules;
  // `default`: the API server sets an absent property of an object to its schema's
  // default before validating (CEL rules read defaulted fields).
  std::optional<Value> default_value;

  // Keywords other than documentation ones; shapes below are recognised by it.
  int keyword_count = 0;
  // Istio expresses each proto oneof as
  //   oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}}, {required: [a]},
  //           {required: [b]}]
  // i.e. "at most one of a, b". When oneOf has that shape these hold its field names, so
  // a violation can say which fields clash instead of "matched 2 schemas".
  std::vector<std::string> oneof_fields;
  bool oneof_allows_none = false;
};

// The schema of property `name` of an object under `s`: the property's, else
// additionalProperties' (null if neither).
inline const Schema* ChildSchema(const Schema& s, const std::string& name) {
  auto it = s.properties.find(name);
  if (it != s.properties.end()) return it->second.get();
  return s.additional_properties.get();
}

// Reads schemas out of CRD value trees. Errors name the CRD, the schema path and the
// source position.
class SchemaParser {
 public:
  // `context` prefixes every error's text ("CustomResourceDefinition <name>: ").
  SchemaParser(absl::string_view source, std::string context)
      : source_(source), context_(std::move(context)) {}

  // InvalidArgument "<source>:<line>:<col>: <context><path>: <problem>" for a keyword with
  // the wrong shape, an unsupported type, a pattern RE2 rejects, or nesting too deep.
  absl::StatusOr<std::unique_ptr<Schema>> Parse(const Value& v, const std::string& path,
                                                int depth) const;

 private:
  absl::Status Error(const Value& at, const std::string& path, absl::string_view what) const;
  absl::Status String(const Value& x, const std::string& path, std::string* out) const;
  absl::Status Bool(const Value& x, const std::string& path, bool* out) const;
  absl::Status Count(const Value& x, const std::string& path, std::optional<int64_t>* out) const;
  absl::Status Strings(const Value& x, const std::string& path,
                       std::vector<std::string>* out) const;
  absl::Status Child(const Value& x, const std::string& path, int depth,
                     std::unique_ptr<Schema>* out) const;
  absl::Status Rules(const Value& x, const std::string& path, std::vector<CelRule>* out) const;

  std::string source_;
  std::string context_;
};

}  // namespace edgekit::cli::crd

#endif  // EDGEKIT_CLI_VALIDATE_CRD_SCHEMA_H_
