// The representation behind cel::Value and the value helpers the evaluator and the
// function libraries share: list/map data the evaluator builds, equality and ordering.
#ifndef EDGEKIT_CLI_VALIDATE_CEL_VALUE_INTERNAL_H_
#define EDGEKIT_CLI_VALIDATE_CEL_VALUE_INTERNAL_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/validate/cel/cel.h"

namespace edgekit::cli::cel {

// A parsed URL (Kubernetes url library: the parts Go's url.URL exposes).
struct UrlParts {
  std::string text;          // as given to url()
  std::string scheme;        // lower-cased as Go does not; kept as written
  std::string host;          // host[:port] as written
  std::string escaped_path;  // path as written (Go's EscapedPath for valid input)
  std::string raw_query;     // after '?', before '#'
};

// One flat struct rather than a variant: values are immutable and shared, so the unused
// fields cost memory only, and accessors stay trivial.
struct Value::Rep {
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;  // string, bytes, type name
  absl::Duration dur;
  absl::Time time;
  std::shared_ptr<const ListData> list;
  std::shared_ptr<const MapData> map;
  absl::Status status;
  std::shared_ptr<const UrlParts> url;
  // ip and cidr: the address (IPv4 in the first 4 bytes), its family and the prefix.
  std::array<uint8_t, 16> addr{};
  int family = 0;  // 4 or 6
  int prefix = 0;
};

// A list the evaluator owns (literals, map/filter results, split()).
class VectorList : public ListData {
 public:
  explicit VectorList(std::vector<Value> items) : items_(std::move(items)) {}
  size_t size() const override { return items_.size(); }
  Value at(size_t i) const override { return items_[i]; }

 private:
  std::vector<Value> items_;
};

// A map the evaluator owns (literals, getQuery()). Keys keep insertion order; lookups use
// CEL equality, so 1, 1u and 1.0 find the same entry (heterogeneous equality, cel-spec).
class VectorMap : public MapData {
 public:
  explicit VectorMap(std::vector<std::pair<Value, Value>> entries) : entries_(std::move(entries)) {}
  size_t size() const override { return entries_.size(); }
  std::optional<Value> Find(const Value& key) const override;
  void ForEachKey(const std::function<bool(const Value&)>& fn) const override;

 private:
  std::vector<std::pair<Value, Value>> entries_;
};

Value MakeList(std::vector<Value> items);
Value MakeType(std::string name);
Value MakeIp(const std::array<uint8_t, 16>& addr, int family);
Value MakeCidr(const std::array<uint8_t, 16>& addr, int family, int prefix);
Value MakeUrl(std::shared_ptr<const UrlParts> url);
Value ErrorValue(absl::string_view message);
Value NoSuchOverload(absl::string_view function, const std::vector<Value>& args);

// The CEL type name of a value ("int", "string", "list", "map", "google.protobuf.Duration").
std::string TypeName(const Value& v);

struct EvalContext;

// Heterogeneous equality (cel-spec "Equality"): numbers compare by value across int, uint
// and double; values of different types are unequal, not an error. An error operand is
// returned as the result. With `ctx`, each list element and map entry compared costs a
// step (lists may share elements, so a small expression can build a huge comparison).
Value Equals(const Value& a, const Value& b, EvalContext* ctx = nullptr);
// Ordering for <, <=, >, >=: -1, 0, 1; nullopt when the pair has no ordering overload (or a
// NaN is involved, which compares false).
std::optional<int> Compare(const Value& a, const Value& b, bool* no_overload);

// The shortest text that reads back as `d` (Go's strconv.FormatFloat(d, 'g', -1, 64)).
std::string ShortestDouble(double d);

// Number of Unicode code points (invalid UTF-8 bytes count one each).
size_t CodePointCount(absl::string_view s);
// Byte offsets of each code point start in s, plus s.size() at the end.
std::vector<size_t> CodePointOffsets(absl::string_view s);

}  // namespace edgekit::cli::cel

#endif  // EDGEKIT_CLI_VALIDATE_CEL_VALUE_INTERNAL_H_
