// The gzip feature of `edgekit render`: an EnvoyFilter inserting
// envoy.filters.http.compressor (gzip library) before the router on the gateway.
#ifndef EDGEKIT_CLI_RENDER_GZIP_H_
#define EDGEKIT_CLI_RENDER_GZIP_H_

#include <string>

#include "cli/manifest_doc.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Emits one `configPatches` item (a map) inserting the compressor before the router.
// Shared with transcoding, which puts it in the same EnvoyFilter as the transcoder.
void EmitCompressorPatch(Doc& d, const edge::v1::EdgeConfig& config);

// The gzip EnvoyFilter document on its own (networking.istio.io/v1alpha3).
std::string RenderGzipFilter(const edge::v1::EdgeConfig& config);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_GZIP_H_
