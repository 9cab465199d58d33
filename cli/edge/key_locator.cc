#include "cli/edge/key_locator.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace edgekit::cli {
namespace {

struct Step {
  bool index = false;
  size_t n = 0;
  std::string key;
};

// "a.b[2][\"x.y\"].c" -> a, b, [2], ["x.y"], c; empty on a malformed path.
std::vector<Step> ParsePath(std::string_view path) {
  std::vector<Step> steps;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos) return {};
      std::string_view inner = path.substr(i + 1, close - i - 1);
      Step step;
      if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"') {
        step.key = std::string(inner.substr(1, inner.size() - 2));
      } else if (absl::SimpleAtoi(absl::string_view(inner.data(), inner.size()), &step.n)) {
        step.index = true;
      } else {
        return {};
      }
      steps.push_back(step);
      i = close + 1;
      continue;
    }
    size_t end = i;
    while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
    steps.push_back(Step{false, 0, std::string(path.substr(i, end - i))});
    i = end;
  }
  return steps;
}

std::string Format(const YAML::Mark& mark) {
  return absl::StrCat(mark.line + 1, ":", mark.column + 1);
}

}  // namespace

std::string LocateKeyPath(const YAML::Node& root, std::string_view path) {
  std::string found;
  // reset() rebinds a Node; `=` would overwrite the node it refers to (yaml-cpp's
  // assignment copies into the referenced node), editing the document being read.
  YAML::Node node;
  node.reset(root);
  try {
    for (const Step& step : ParsePath(path)) {
      if (step.index) {
        if (!node.IsSequence() || step.n >= node.size()) break;
        const YAML::Node& sequence = node;
        node.reset(sequence[step.n]);
        if (!node.Mark().is_null()) found = Format(node.Mark());
        continue;
      }
      if (!node.IsMap()) break;
      bool matched = false;
      for (const auto& entry : node) {
        if (entry.first.IsScalar() && entry.first.Scalar() == step.key) {
          found = Format(entry.first.Mark());
          node.reset(entry.second);
          matched = true;
          break;
        }
      }
      if (!matched) break;
    }
  } catch (const YAML::Exception&) {
    // A node yaml-cpp cannot walk: keep what was found so far.
  }
  return found;
}

absl::Status WithKeyLocation(const absl::Status& status, const std::string& source,
                             const YAML::Node& root) {
  const std::string message(status.message());
  const std::string head = source + ": ";
  if (status.ok() || !absl::StartsWith(message, head)) return status;
  const size_t path_end = message.find(": ", head.size());
  if (path_end == std::string::npos) return status;
  const std::string path = message.substr(head.size(), path_end - head.size());
  if (path.empty() || absl::ascii_isdigit(path.front()) || absl::StrContains(path, ' ')) {
    return status;  // "12:3: ..." (a location already) or prose
  }
  const std::string where = LocateKeyPath(root, path);
  if (where.empty()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(source, ":", where, ": ", message.substr(head.size())));
}

}  // namespace edgekit::cli
