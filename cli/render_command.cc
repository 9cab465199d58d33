#include "cli/render_command.h"

#include <algorithm>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "cli/edge_config.h"
#include "cli/file_io.h"
#include "cli/output_dir.h"
#include "cli/render_ext_authz.h"
#include "cli/render_gzip.h"
#include "cli/render_routes.h"
#include "cli/render_transcoding.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

// Every file name render can write with -o DIR (see render_command.h).
constexpr const char* kOutputFileNames[] = {
    "gzip.yaml",      "transcoding.yaml",
    "routes.yaml",    "direct-response-wasm.yaml",
    "ext-authz.yaml", "ext-authz-istio-operator.yaml",
    "ext-authz-istiod-values.yaml", "broker.yaml"};

// False for the files that are inputs to other tools, not objects to kubectl apply.
bool IsKubectlObjectFile(const std::string& name) {
  return name != "ext-authz-istio-operator.yaml" && name != "ext-authz-istiod-values.yaml" &&
         name != "broker.yaml";
}

}  // namespace

absl::StatusOr<std::vector<RenderedFile>> RenderEdgeConfig(const EdgeConfig& config,
                                                           const RenderContext& context) {
  std::vector<RenderedFile> files;
  std::vector<GrpcServiceRoute> grpc_routes;
  if (TranscodingEnabled(config)) {
    // The transcoding filter carries the compressor too (one EnvoyFilter fixes the order).
    absl::StatusOr<TranscodingOutput> transcoding = RenderTranscoding(config, context);
    if (!transcoding.ok()) return transcoding.status();
    files.insert(files.end(), transcoding->files.begin(), transcoding->files.end());
    grpc_routes = std::move(transcoding->routes);
  } else if (GzipEnabled(config)) {
    files.push_back({"gzip.yaml", {RenderGzipFilter(config)}});
  }
  if (RoutesNeeded(config)) {
    absl::StatusOr<std::vector<RenderedFile>> routes =
        RenderRoutes(config, grpc_routes, context);
    if (!routes.ok()) return routes.status();
    files.insert(files.end(), routes->begin(), routes->end());
  }
  if (ExtAuthzEnabled(config)) {
    std::vector<RenderedFile> authz = RenderExtAuthzFiles(config);
    files.insert(files.end(), authz.begin(), authz.end());
  }
  return files;
}

std::string JoinDocuments(const std::vector<std::string>& documents) {
  std::string out;
  for (const std::string& doc : documents) absl::StrAppend(&out, "---\n", doc);
  return out;
}

absl::Status RunRender(const RenderOptions& options) {
  EdgeConfig config;
  std::vector<std::string> warnings;
  RenderContext context;
  context.warnings = &warnings;
  if (options.config != nullptr) {
    config = *options.config;
  } else {
    if (options.config_file.empty()) {
      return absl::InvalidArgumentError("render: give -f edge.yaml");
    }
    context.source = options.config_file;
    const size_t slash = options.config_file.rfind('/');
    if (slash != std::string::npos) {
      context.base_dir = slash == 0 ? "/" : options.config_file.substr(0, slash);
    }
    absl::StatusOr<EdgeConfig> loaded = LoadEdgeConfig(options.config_file);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  ApplyEdgeDefaults(&config);
  if (absl::Status valid = ValidateEdgeConfig(config, context.source); !valid.ok()) {
    return valid;
  }

  absl::StatusOr<std::vector<RenderedFile>> rendered = RenderEdgeConfig(config, context);
  if (!rendered.ok()) return rendered.status();
  for (const std::string& warning : warnings) *options.err << warning << "\n";
  // Which files of the set this run writes: those named by --only, else the objects
  // for the stream or with --objects-only, else all.
  const bool to_stream = options.output == "-" || options.output.empty();
  std::set<std::string> known(std::begin(kOutputFileNames), std::end(kOutputFileNames));
  for (const std::string& name : options.only) {
    if (known.count(name) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--only ", name, ": not a file render writes (one of ",
                       absl::StrJoin(kOutputFileNames, ", "), ")"));
    }
    const bool rendered_here =
        std::any_of(rendered->begin(), rendered->end(),
                    [&](const RenderedFile& file) { return file.name == name; });
    if (!rendered_here) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--only ", name, ": ", context.source, " does not turn on the feature it is for"));
    }
  }
  auto selected = [&](const std::string& name) {
    if (!options.only.empty()) {
      return std::find(options.only.begin(), options.only.end(), name) != options.only.end();
    }
    return !(to_stream || options.objects_only) || IsKubectlObjectFile(name);
  };
  std::vector<RenderedFile> files;
  for (RenderedFile& file : *rendered) {
    if (selected(file.name)) files.push_back(std::move(file));
  }
  if (to_stream) {
    std::vector<std::string> all;
    for (const RenderedFile& file : files) {
      all.insert(all.end(), file.documents.begin(), file.documents.end());
    }
    return WriteFileOrStdout("-", JoinDocuments(all), *options.out);
  }
  // A feature turned off since the last render leaves its file behind, and `kubectl
  // apply -f DIR` would apply it again: edgekit's own files (they mention edgekit) that
  // this run does not write are dropped from the set.
  std::set<std::string> rendered_names;
  std::vector<OutputFile> outputs;
  for (const RenderedFile& file : files) {
    rendered_names.insert(file.name);
    outputs.push_back({file.name, JoinDocuments(file.documents)});
  }
  std::set<std::string> stale;
  for (const char* name : kOutputFileNames) {
    if (rendered_names.count(name) > 0) continue;
    if (!selected(name)) continue;  // not part of this run's set: not ours to judge
    absl::StatusOr<std::string> old =
        ReadFileCapped(options.output + "/" + name, kMaxInputFileBytes);
    if (old.ok() && absl::StrContains(*old, "edgekit")) stale.insert(name);
  }
  std::vector<std::string> removed;
  absl::Status replaced = ReplaceOutputDirectory(options.output, outputs, stale, &removed);
  if (!replaced.ok()) return replaced;
  for (const std::string& path : removed) *options.err << "removed " << path << ": no longer rendered\n";
  return absl::OkStatus();
}

}  // namespace edgekit::cli
