#include "cli/render/pipeline.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/edge/config_paths.h"
#include "cli/edge/edge_config.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/ext_authz.h"
#include "cli/render/gateway_topology.h"
#include "cli/render/gzip.h"
#include "cli/render/output_files.h"
#include "cli/render/routes.h"
#include "cli/render/transcoding.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

RenderPipeline::RenderPipeline() {
  auto transcoding = std::make_unique<TranscodingFeature>();
  const TranscodingFeature* transcoding_feature = transcoding.get();  // outlives the moves
  auto direct = std::make_unique<DirectResponseFeature>();
  auto routes = std::make_unique<RoutesFeature>(transcoding.get(), direct.get());
  auto ext_authz = std::make_unique<ExtAuthzFeature>(direct.get());
  features_.push_back(std::make_unique<GzipFeature>());
  features_.push_back(std::move(transcoding));
  features_.push_back(std::move(direct));
  features_.push_back(std::move(routes));
  features_.push_back(std::move(ext_authz));
  features_.push_back(std::make_unique<GatewayTopologyFeature>(transcoding_feature));
}

void RenderPipeline::ApplyDefaults(EdgeConfig* config) const {
  ApplyGatewayDefaults(config);
  for (const auto& feature : features_) feature->ApplyDefaults(config);
}

absl::Status RenderPipeline::Validate(const EdgeConfig& config, const RenderContext& context) {
  validated_ = false;
  if (absl::Status s = ValidateGateway(config, context.source); !s.ok()) return s;
  bool any = false;
  for (const auto& feature : features_) {
    if (!feature->Enabled(config)) continue;
    any = true;
    if (absl::Status s = feature->Validate(config, context); !s.ok()) return s;
  }
  if (!any) {
    return absl::InvalidArgumentError(absl::StrCat(
        context.source,
        ": no feature enabled: add a routes (http or default_destination), gzip, transcoding, "
        "direct_responses or ext_authz section"));
  }
  if (config.gateway().has_path_normalization() && !ExtAuthzEnabled(config) &&
      context.warnings != nullptr) {
    context.warnings->push_back(absl::StrCat(
        context.source,
        ": gateway.path_normalization: warning: written only into the mesh config outputs of "
        "ext_authz, which is off: set meshConfig.pathNormalization.normalization: ",
        edge::v1::Gateway::PathNormalization_Name(config.gateway().path_normalization()),
        " in istiod's values yourself"));
  }
  validated_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RenderedFile>> RenderPipeline::Render(const EdgeConfig& config,
                                                                 const RenderContext& context) {
  if (!validated_) {
    return absl::FailedPreconditionError("render: the config was not validated first");
  }
  std::vector<RenderedFile> files;
  for (const auto& feature : features_) {
    if (!feature->Enabled(config)) continue;
    if (absl::Status s = feature->Render(config, context, &files); !s.ok()) return s;
  }
  std::stable_sort(files.begin(), files.end(), [](const RenderedFile& a, const RenderedFile& b) {
    return OutputFileRank(a.name) < OutputFileRank(b.name);
  });
  return files;
}

void ApplyEdgeDefaults(EdgeConfig* config) { RenderPipeline().ApplyDefaults(config); }

absl::Status ValidateEdgeConfig(const EdgeConfig& config, const std::string& source) {
  RenderContext context;
  context.source = source;
  return RenderPipeline().Validate(config, context);
}

absl::StatusOr<std::vector<RenderedFile>> RenderEdgeConfig(const EdgeConfig& config,
                                                           const RenderContext& context) {
  RenderPipeline pipeline;
  if (absl::Status s = pipeline.Validate(config, context); !s.ok()) return s;
  return pipeline.Render(config, context);
}

absl::StatusOr<RenderedEdge> RenderEdge(EdgeConfig config, const std::string& source,
                                        const std::string& base_dir) {
  RenderedEdge out;
  out.base_dir = base_dir;
  RenderContext context;
  context.source = source;
  context.base_dir = base_dir;
  context.warnings = &out.warnings;
  context.notes = &out.notes;
  // A platform file: every team's file merged in first, checked against its claims.
  absl::StatusOr<Composition> composition = ComposeTeams(source, &config);
  if (!composition.ok()) return composition.status();
  out.composition = *std::move(composition);
  if (!out.composition.teams.empty()) context.composition = &out.composition;
  RenderPipeline pipeline;
  pipeline.ApplyDefaults(&config);
  if (absl::Status valid = pipeline.Validate(config, context); !valid.ok()) return valid;
  absl::StatusOr<std::vector<RenderedFile>> rendered = pipeline.Render(config, context);
  if (!rendered.ok()) return rendered.status();
  out.files = *std::move(rendered);
  out.config = std::move(config);
  return out;
}

absl::StatusOr<RenderedEdge> RenderEdgeFile(const std::string& path) {
  absl::StatusOr<EdgeConfig> loaded = LoadEdgeConfig(path);
  if (!loaded.ok()) return loaded.status();
  const std::string dir = DirectoryOf(path);
  return RenderEdge(*std::move(loaded), path, dir.empty() ? "." : dir);
}

}  // namespace edgekit::cli
