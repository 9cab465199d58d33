#include "cli/render/output_writer.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/render/output_dir.h"
#include "cli/render/output_files.h"
#include "common/file_io.h"
#include "common/yaml_stream.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

bool ManagedByEdgekit(const YAML::Node& document) {
  if (!document.IsMap()) return false;
  const YAML::Node metadata = document["metadata"];
  if (!metadata.IsMap()) return false;
  const YAML::Node labels = metadata["labels"];
  if (!labels.IsMap()) return false;
  const YAML::Node managed_by = labels["app.kubernetes.io/managed-by"];
  return managed_by.IsScalar() && managed_by.Scalar() == "edgekit";
}

std::vector<std::string> AllNames() {
  std::vector<std::string> names;
  for (const OutputFileSpec& spec : kOutputFiles) names.push_back(spec.name);
  return names;
}

}  // namespace

std::string JoinDocuments(const std::vector<std::string>& documents) {
  std::string out;
  for (const std::string& doc : documents) absl::StrAppend(&out, "---\n", doc);
  return out;
}

bool IsEdgekitOutput(std::string_view name, std::string_view contents) {
  const OutputFileSpec* spec = FindOutputFile(name);
  if (spec == nullptr) return false;
  if (!spec->cluster_objects) {
    const std::string header = absl::StrCat("---\n", spec->first_line, "\n");
    return contents.substr(0, header.size()) == header;
  }
  absl::StatusOr<std::vector<YAML::Node>> documents =
      ParseYamlStream(absl::string_view(contents.data(), contents.size()),
                      absl::string_view(name.data(), name.size()), kManifestYamlLimits);
  if (!documents.ok()) return false;
  int objects = 0;
  for (const YAML::Node& document : *documents) {
    if (!document.IsDefined() || document.IsNull()) continue;
    if (!ManagedByEdgekit(document)) return false;
    ++objects;
  }
  return objects > 0;
}

absl::Status WriteRenderedFiles(std::vector<RenderedFile> files, const OutputSelection& selection,
                                const std::string& source, std::ostream& out, std::ostream& err) {
  const bool to_stream = selection.output == "-" || selection.output.empty();
  for (const std::string& name : selection.only) {
    if (FindOutputFile(name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--only ", name,
                                                     ": not a file render writes (one of ",
                                                     absl::StrJoin(AllNames(), ", "), ")"));
    }
    const bool rendered = std::any_of(files.begin(), files.end(),
                                      [&](const RenderedFile& file) { return file.name == name; });
    if (!rendered) {
      return absl::InvalidArgumentError(
          absl::StrCat("--only ", name, ": ", source, " does not turn on the feature it is for"));
    }
  }
  // Which files of the set this run writes: those named by --only, else the objects for
  // the stream or with --objects-only, else all.
  auto selected = [&](const std::string& name) {
    if (!selection.only.empty()) {
      return std::find(selection.only.begin(), selection.only.end(), name) != selection.only.end();
    }
    const OutputFileSpec* spec = FindOutputFile(name);
    return !(to_stream || selection.objects_only) || (spec != nullptr && spec->cluster_objects);
  };
  std::vector<RenderedFile> chosen;
  for (RenderedFile& file : files) {
    if (selected(file.name)) chosen.push_back(std::move(file));
  }

  if (to_stream) {
    std::vector<std::string> all;
    for (const RenderedFile& file : chosen) {
      all.insert(all.end(), file.documents.begin(), file.documents.end());
    }
    return WriteFileOrStdout("-", JoinDocuments(all), out);
  }

  // A feature turned off since the last render leaves its file behind, and `kubectl apply
  // -f DIR` would apply it again: edgekit's own files that this run does not write are
  // dropped from the set.
  std::set<std::string> written;
  std::vector<OutputFile> outputs;
  for (const RenderedFile& file : chosen) {
    written.insert(file.name);
    outputs.push_back({file.name, JoinDocuments(file.documents)});
  }
  std::set<std::string> stale;
  for (const OutputFileSpec& spec : kOutputFiles) {
    if (written.count(spec.name) > 0) continue;
    if (!selected(spec.name)) continue;  // not part of this run's set: not ours to judge
    absl::StatusOr<std::string> old =
        ReadFileCapped(absl::StrCat(selection.output, "/", spec.name), kMaxInputFileBytes);
    if (old.ok() && IsEdgekitOutput(spec.name, *old)) stale.insert(spec.name);
  }
  std::vector<std::string> removed;
  absl::Status replaced = ReplaceOutputDirectory(selection.output, outputs, stale, &removed);
  if (!replaced.ok()) return replaced;
  for (const std::string& path : removed) err << "removed " << path << ": no longer rendered\n";
  return absl::OkStatus();
}

}  // namespace edgekit::cli
