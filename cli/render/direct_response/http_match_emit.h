// Compiled match blocks as Istio HTTPMatchRequests, and those as VirtualService YAML
// (EmitHttpMatch, declared in direct_response.h, is defined here too). Internal to
// direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_HTTP_MATCH_EMIT_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_HTTP_MATCH_EMIT_H_

#include <optional>

#include "cli/render/direct_response/direct_response.h"
#include "cli/render/direct_response/match_blocks.h"
#include "cli/render/manifest_doc.h"

namespace edgekit::cli::direct_response_internal {

// Writes one StringMatch ({exact|prefix|regex: v}); nullopt is `{}`.
void EmitStringMatch(Doc& d, const std::optional<StringMatch>& m);

// The HTTPMatchRequest matching exactly the requests `b` matches, on every Istio version
// (see the negation facts in http_match_emit.cc).
HttpMatch ToHttpMatch(const Block& b);

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_HTTP_MATCH_EMIT_H_
