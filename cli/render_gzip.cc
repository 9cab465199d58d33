#include "cli/render_gzip.h"

#include "absl/strings/str_cat.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

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
  d.Key("workloadSelector").Map().Labels("labels", Sorted(config.gateway().selector())).EndMap();
  d.Key("configPatches").Seq();
  EmitCompressorPatch(d, config);
  d.EndSeq();
  d.EndMap().EndMap();  // spec, document
  return d.Text();
}

}  // namespace edgekit::cli
