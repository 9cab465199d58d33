// libFuzzer target: a CEL expression -> Program::Compile -> Evaluate, as `edgekit
// validate` runs a CRD's x-kubernetes-validations rules (cli/validate/cel/cel.h). The input
// is the expression, optionally followed by a NUL byte and text whose lines become the
// strings `self` holds. `self` answers any field name: each name maps (by a hash) to a
// string, an int, a bool, a list, a nested object, or nothing, so rules reach their
// comprehensions and function calls. Beyond no crash/leak/hang: a compile error and an
// error value always carry a message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/validate/cel/cel.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using edgekit::cli::cel::ListData;
using edgekit::cli::cel::MapData;
using edgekit::cli::cel::Program;
using edgekit::cli::cel::Value;

struct Strings {
  std::vector<std::string> items;
  const std::string& at(uint64_t h) const { return items[h % items.size()]; }
};

uint64_t Mix(uint64_t h, absl::string_view s) {
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

Value Make(const std::shared_ptr<const Strings>& strings, uint64_t h, int depth);

class FuzzList : public ListData {
 public:
  FuzzList(std::shared_ptr<const Strings> strings, uint64_t h, int depth)
      : strings_(std::move(strings)), h_(h), depth_(depth) {}
  size_t size() const override { return h_ % 4; }
  Value at(size_t i) const override { return Make(strings_, Mix(h_, std::to_string(i)), depth_); }

 private:
  std::shared_ptr<const Strings> strings_;
  uint64_t h_;
  int depth_;
};

class FuzzMap : public MapData {
 public:
  FuzzMap(std::shared_ptr<const Strings> strings, uint64_t h, int depth)
      : strings_(std::move(strings)), h_(h), depth_(depth) {}
  size_t size() const override { return 3; }
  std::optional<Value> Find(const Value& key) const override {
    if (key.kind() != Value::Kind::kString) return std::nullopt;
    uint64_t h = Mix(h_, key.string_value());
    if (h % 8 == 0 && key.string_value() != "a" && key.string_value() != "b" &&
        key.string_value() != "c") {
      return std::nullopt;  // an absent field (but ForEachKey's keys are all present)
    }
    return Make(strings_, h, depth_ + 1);
  }
  void ForEachKey(const std::function<bool(const Value&)>& fn) const override {
    for (const char* k : {"a", "b", "c"}) {
      if (!fn(Value::String(k))) return;
    }
  }

 private:
  std::shared_ptr<const Strings> strings_;
  uint64_t h_;
  int depth_;
};

Value Make(const std::shared_ptr<const Strings>& strings, uint64_t h, int depth) {
  uint64_t kind = (h >> 8) % (depth >= 4 ? 3 : 5);
  switch (kind) {
    case 0:
      return Value::String(strings->at(h >> 16));
    case 1:
      return Value::Int(static_cast<int64_t>((h >> 16) % 70000) - 100);
    case 2:
      return Value::Bool((h >> 16) & 1);
    case 3:
      return Value::List(std::make_shared<FuzzList>(strings, h, depth + 1));
    default:
      return Value::Map(std::make_shared<FuzzMap>(strings, h, depth + 1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  absl::string_view expression = input.substr(0, nul);
  auto strings = std::make_shared<Strings>();
  if (nul != absl::string_view::npos) {
    for (absl::string_view line : absl::StrSplit(input.substr(nul + 1), '\n')) {
      strings->items.emplace_back(line);
    }
  }
  for (const char* s : {"web-1", "http://a.b/c?x=1", "1.2.3.4", "10.0.0.0/8", "1h30m", "/path", "",
                        "h\xC3\xA9llo", "Exact", "PathPrefix"}) {
    strings->items.emplace_back(s);
  }
  absl::StatusOr<std::unique_ptr<Program>> program = Program::Compile(expression);
  edgekit::fuzz::CheckErrorHasMessage(program.status(), "Program::Compile");
  if (!program.ok()) return 0;
  Value self = Value::Map(std::make_shared<FuzzMap>(strings, Mix(0, expression), 0));
  Value result = (*program)->Evaluate(self);
  if (result.IsError()) {
    if (result.error().ok()) {
      std::fprintf(stderr, "Evaluate: an error value with an OK status\n");
      std::abort();
    }
    edgekit::fuzz::CheckErrorHasMessage(result.error(), "Program::Evaluate");
  }
  (void)result.DebugString();
  return 0;
}
