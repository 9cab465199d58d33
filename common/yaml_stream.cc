// The guarded YAML loader (see yaml_stream.h). yaml-cpp throws; its exceptions, and the
// guard's own, become absl::Status here.
#include "common/yaml_stream.h"

#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_read.h"
#include "yaml-cpp/eventhandler.h"

namespace edgekit {
namespace {

// Thrown by the guard out of yaml-cpp's parser (which is exception-safe: it unwinds like
// on its own errors) to stop a stream at once.
struct GuardStop {
  absl::Status status;
};

// Sees the parse as events and counts what building nodes from them would mean.
class StreamGuard : public YAML::EventHandler {
 public:
  StreamGuard(absl::string_view text, absl::string_view source, const YamlLimits& limits)
      : text_(text), source_(source), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // The 0.7.0 loop: a token the document parser does not take is left in the stream,
    // so every following "document" starts at the same place and holds one null.
    if (documents_ > 0 && mark.pos == last_document_start_) {
      std::string what = "unexpected text after the end of a document";
      if (mark.pos >= 0 && static_cast<size_t>(mark.pos) < text_.size() &&
          absl::ascii_isgraph(static_cast<unsigned char>(text_[mark.pos]))) {
        what = absl::StrCat("unexpected '", std::string(1, text_[mark.pos]),
                            "' after the end of a collection");
      }
      Stop(absl::InvalidArgumentError(
          absl::StrCat(YamlLocation(source_, mark), "invalid YAML: ", what)));
    }
    last_document_start_ = mark.pos;
    ++documents_;
    // Anchor numbers restart with each document.
    anchor_sizes_.clear();
    open_anchors_.clear();
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { Leaf(anchor); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (open_anchors_.count(anchor) > 0) {
      Stop(absl::InvalidArgumentError(
          absl::StrCat(YamlLocation(source_, mark),
                       "invalid YAML: an alias refers to a node that contains it (a cycle)")));
    }
    auto it = anchor_sizes_.find(anchor);
    Add(it == anchor_sizes_.end() ? 1 : it->second);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct OpenCollection {
    int64_t nodes_before;
    YAML::anchor_t anchor;
  };

  [[noreturn]] void Stop(absl::Status status) { throw GuardStop{std::move(status)}; }

  void Add(int64_t n) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes) {
      Stop(absl::ResourceExhaustedError(
          absl::StrCat(source_, ": more than ", limits_.max_nodes,
                       " YAML nodes (aliases count as the nodes they stand for), the most edgekit "
                       "reads from one input")));
    }
  }
  void Leaf(YAML::anchor_t anchor) {
    Add(1);
    if (anchor != YAML::NullAnchor) anchor_sizes_[anchor] = 1;
  }
  void Open(YAML::anchor_t anchor) {
    open_.push_back({nodes_, anchor});
    Add(1);
    if (anchor != YAML::NullAnchor) open_anchors_.insert(anchor);
  }
  void Close() {
    if (open_.empty()) return;
    const OpenCollection done = open_.back();
    open_.pop_back();
    if (done.anchor != YAML::NullAnchor) {
      open_anchors_.erase(done.anchor);
      anchor_sizes_[done.anchor] = nodes_ - done.nodes_before;
    }
  }

  absl::string_view text_;
  absl::string_view source_;
  YamlLimits limits_;
  int64_t nodes_ = 0;
  int documents_ = 0;
  int last_document_start_ = -1;
  std::vector<OpenCollection> open_;
  std::unordered_map<YAML::anchor_t, int64_t> anchor_sizes_;
  std::unordered_set<YAML::anchor_t> open_anchors_;
};

// yaml-cpp reports a tab in the indentation as whatever it makes of the line ("illegal
// map value", "end of map not found"): name the tab when the line it points at, or the
// one before, indents with one.
std::string TabHint(absl::string_view text, const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (int line = mark.line; line >= 0 && line >= mark.line - 1; --line) {
    if (line >= static_cast<int>(lines.size())) continue;
    const absl::string_view l = lines[line];
    const size_t indent_end = l.find_first_not_of(" \t");
    const absl::string_view indent =
        l.substr(0, indent_end == absl::string_view::npos ? l.size() : indent_end);
    if (absl::StrContains(indent, '\t')) {
      return absl::StrCat(" (line ", line + 1,
                          " is indented with a tab: YAML indents with spaces only)");
    }
  }
  return "";
}

absl::Status SyntaxError(absl::string_view source, absl::string_view text,
                         const YAML::Exception& e) {
  return absl::InvalidArgumentError(
      absl::StrCat(YamlLocation(source, e.mark), "invalid YAML: ", e.msg, TabHint(text, e.mark)));
}

}  // namespace

std::string YamlLocation(absl::string_view source, const YAML::Mark& mark) {
  std::string out(source);
  if (!mark.is_null()) {
    absl::StrAppend(&out, out.empty() ? "" : ":", mark.line + 1, ":", mark.column + 1);
  }
  if (!out.empty()) out += ": ";
  return out;
}

absl::StatusOr<std::vector<YAML::Node>> ParseYamlStream(absl::string_view text,
                                                        absl::string_view source,
                                                        const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(source, ": larger than ", limits.max_bytes / (1024 * 1024),
                     " MiB, the most edgekit reads from one input"));
  }
  const std::string owned(text);
  try {
    std::istringstream in(owned);
    YAML::Parser parser(in);
    StreamGuard guard(owned, source, limits);
    while (parser.HandleNextDocument(guard)) {
    }
  } catch (const GuardStop& stop) {
    return stop.status;
  } catch (const YAML::Exception& e) {
    return SyntaxError(source, owned, e);
  }
  try {
    return YAML::LoadAll(owned);
  } catch (const YAML::Exception& e) {
    return SyntaxError(source, owned, e);
  }
}

absl::StatusOr<std::vector<YAML::Node>> ReadYamlFile(const std::string& path,
                                                     const YamlLimits& limits) {
  absl::StatusOr<std::string> text = ReadFileCapped(path, limits.max_bytes);
  if (!text.ok()) return text.status();
  return ParseYamlStream(*text, path, limits);
}

}  // namespace edgekit
