#include "cli/render/gzip.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/defaults.h"
#include "cli/edge/edge_config.h"
#include "cli/render/gateway_attachment.h"
#include "cli/render/output_files.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

namespace {

bool IsContentType(const std::string& s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  return parts.size() == 2 && IsHttpToken(parts[0]) && IsHttpToken(parts[1]);
}

}  // namespace

void EmitCompressorPatch(Doc& d, const EdgeConfig& config) {
  const edge::v1::Gzip& gzip = config.gzip();
  BeginInsertBeforeRouter(d, "envoy.filters.http.compressor");
  d.Key("typed_config").Map();
  d.KV("@type", "type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor");
  // The current fields: the top-level content_length/content_type are deprecated and
  // ignored once a direction config is present.
  d.Key("response_direction_config").Map();
  d.Key("common_config").Map();
  d.KV("min_content_length", gzip.min_content_length());
  d.StrSeq("content_type", {gzip.content_types().begin(), gzip.content_types().end()});
  d.EndMap();  // common_config
  d.KV("disable_on_etag_header", gzip.disable_on_etag_header());
  d.KV("remove_accept_encoding_header", gzip.remove_accept_encoding_header());
  d.EndMap();  // response_direction_config
  d.Key("compressor_library").Map().KV("name", "gzip");
  d.Key("typed_config").Map();
  d.KV("@type", "type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip");
  d.KV("compression_level", absl::StrCat("COMPRESSION_LEVEL_", gzip.compression_level()));
  d.KV("memory_level", gzip.memory_level());
  d.KV("window_bits", gzip.window_bits());
  d.KV("chunk_size", gzip.chunk_size());
  d.EndMap().EndMap();  // typed_config, compressor_library
  d.EndMap();           // typed_config
  EndInsertBeforeRouter(d);
}

std::string RenderGzipFilter(const EdgeConfig& config) {
  Doc d;
  Header(d, "networking.istio.io/v1alpha3", "EnvoyFilter", config.gzip().name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  EmitGatewayAttachment(d, config, SelectorStyle::kWorkloadSelector);
  d.Key("configPatches").Seq();
  EmitCompressorPatch(d, config);
  d.EndSeq();
  d.EndMap().EndMap();  // spec, document
  return d.Text();
}

bool GzipFeature::Enabled(const EdgeConfig& config) const { return GzipEnabled(config); }

void GzipFeature::ApplyDefaults(EdgeConfig* config) const {
  if (config->has_gzip()) ApplyDeclaredDefaults(config->mutable_gzip());
}

absl::Status GzipFeature::Validate(const EdgeConfig& config, const RenderContext& context) {
  const std::string& source = context.source;
  const edge::v1::Gzip& gzip = config.gzip();
  if (absl::Status s = CheckKubernetesName(source, "gzip.name", gzip.name()); !s.ok()) return s;
  for (int i = 0; i < gzip.content_types_size(); ++i) {
    if (!IsContentType(gzip.content_types(i))) {
      return ConfigError(source, absl::StrCat("gzip.content_types[", i, "]"),
                         absl::StrCat("\"", gzip.content_types(i),
                                      "\" is not a content type of the form type/subtype"));
    }
  }
  for (absl::Status s :
       {CheckRange(source, "gzip.compression_level", gzip.compression_level(), 1, 9),
        CheckRange(source, "gzip.memory_level", gzip.memory_level(), 1, 9),
        CheckRange(source, "gzip.window_bits", gzip.window_bits(), 9, 15),
        CheckRange(source, "gzip.chunk_size", gzip.chunk_size(), 4096, 65536)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status GzipFeature::Render(const EdgeConfig& config, const RenderContext& /*context*/,
                                 std::vector<RenderedFile>* files) {
  // With transcoding the compressor is in transcoding.yaml (EmitCompressorPatch).
  if (!TranscodingEnabled(config)) files->push_back({kGzipFile, {RenderGzipFilter(config)}});
  return absl::OkStatus();
}

}  // namespace edgekit::cli
