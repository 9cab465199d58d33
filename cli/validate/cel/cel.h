// A Common Expression Language (CEL) evaluator for what Kubernetes CRD validation rules
// (x-kubernetes-validations) use: Kubernetes' CEL environment as the API server builds it
// (cel-go's standard library, cel-go's ext strings v2, and Kubernetes' lists, regex, url,
// ip/cidr and quantity libraries, as far as the rules in Istio's and Gateway API's CRDs
// need). `edgekit validate` runs each rule with `self` bound to the value the rule sits on.
//
// Semantics follow the CEL spec (github.com/google/cel-spec, langdef.md) and cel-go:
// errors are values that propagate through operators and calls; `&&` and `||` absorb an
// error when the other side decides the result (false && err == false, true || err ==
// true), and so do the `all` and `exists` macros; `exists_one`, `map` and `filter`
// propagate. Integer arithmetic that overflows int64 is an error, as is division by zero.
//
// This library knows nothing about YAML or schemas: the caller hands in `self` as a Value,
// whose lists and maps are views over the caller's own data (ListData, MapData below).
#ifndef EDGEKIT_CLI_VALIDATE_CEL_CEL_H_
#define EDGEKIT_CLI_VALIDATE_CEL_CEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace edgekit::cli::cel {

class Value;

// A list the caller owns (an array of the object being validated), read lazily.
class ListData {
 public:
  virtual ~ListData() = default;
  virtual size_t size() const = 0;
  virtual Value at(size_t i) const = 0;  // i < size()
};

// A map or an object the caller owns, read lazily. Maps and schema objects behave alike
// in CEL for what rules do (select, has(), index, `in`, iteration over keys).
class MapData {
 public:
  virtual ~MapData() = default;
  virtual size_t size() const = 0;
  // The entry under `key` ([] indexing, `in`, has() on a map); nullopt if absent.
  virtual std::optional<Value> Find(const Value& key) const = 0;
  // `.field` selection and has(x.field): `field` as written in the expression, so an
  // object can undo Kubernetes' escaping of property names (`__dash__`, `__namespace__`).
  // Default: Find(String(field)).
  virtual std::optional<Value> Select(absl::string_view field) const;
  // Calls `fn` on each key in a stable order until it returns false (comprehensions).
  virtual void ForEachKey(const std::function<bool(const Value&)>& fn) const = 0;
};

// A CEL value. Cheap to copy (lists, maps and long strings are shared).
class Value {
 public:
  enum class Kind {
    kNull,
    kBool,
    kInt,
    kUint,
    kDouble,
    kString,
    kBytes,
    kDuration,
    kTimestamp,
    kList,
    kMap,
    kType,
    kUrl,
    kIp,
    kCidr,
    kQuantity,
    kOptional,
    kError
  };

  static Value Null();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Uint(uint64_t u);
  static Value Double(double d);
  static Value String(std::string s);
  static Value Bytes(std::string b);
  static Value Duration(absl::Duration d);
  static Value Timestamp(absl::Time t);
  static Value List(std::shared_ptr<const ListData> list);
  static Value Map(std::shared_ptr<const MapData> map);
  // A CEL error value; `status` carries its message ("no such key: foo").
  static Value Error(absl::Status status);

  Kind kind() const;
  bool IsError() const { return kind() == Kind::kError; }
  // Accessors; each requires the matching kind.
  bool bool_value() const;
  int64_t int_value() const;
  const std::string& string_value() const;  // kString and kBytes
  const absl::Status& error() const;
  // For messages: the value as CEL would print it (`"a"`, `[1, 2]`, `duration("1s")`).
  std::string DebugString() const;

  // The representation is the implementation's.
  struct Rep;
  explicit Value(std::shared_ptr<const Rep> rep);
  const Rep& rep() const { return *rep_; }

 private:
  std::shared_ptr<const Rep> rep_;
};

// A parsed, checked expression. Immutable: one Program may be evaluated from many threads.
class Program {
 public:
  ~Program();

  // Parses `expression` (at most 100,000 bytes, nesting at most 250 deep, as cel-go's
  // parser limits). Errors:
  //   InvalidArgument "Syntax error at column N: ..." for text CEL does not parse;
  //   Unimplemented "unsupported function 'quantity'" (or macro, or variable) for names
  //   this evaluator does not provide, so a rule it cannot run is named at load time and
  //   never silently passed.
  // Variables are `self` and `oldSelf`.
  static absl::StatusOr<std::unique_ptr<Program>> Compile(absl::string_view expression);

  // Whether the expression reads `oldSelf` (a transition rule: it needs the object's
  // previous version, which an offline validator does not have).
  bool uses_old_self() const;

  // Evaluates with `self` bound (`oldSelf` unbound: reading it is an error value). The
  // result is any Value; a rule passes only if it is Bool(true). Evaluation stops with an
  // error value after a fixed budget of steps (comprehension iterations and calls,
  // 1,000,000), so no input runs unbounded.
  Value Evaluate(const Value& self) const;

 private:
  struct Impl;
  explicit Program(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgekit::cli::cel

#endif  // EDGEKIT_CLI_VALIDATE_CEL_CEL_H_
