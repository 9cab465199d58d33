// What one Istio StringMatch (exact, prefix, regex) accepts, as far as the direct-response
// compiler needs to know: whether it accepts a value, whether one implies another, and how
// to write it in a message or as a regex alternative. Internal to direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_STRING_MATCH_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_STRING_MATCH_H_

#include <string>

#include "absl/strings/string_view.h"
#include "cli/render/direct_response/direct_response.h"

namespace edgekit::cli::direct_response_internal {

// `m` accepts `value` (a regex with RE2's full-match semantics, as Envoy's safe_regex).
bool Matches(const StringMatch& m, absl::string_view value);

// a implies b: every value `a` accepts, `b` accepts (a sound, incomplete check).
bool Implies(const StringMatch& a, const StringMatch& b);

// `exact "v"`, `prefix "v"`, `regex "v"` (for messages).
std::string Describe(const StringMatch& m);

// A regex accepting exactly what `m` accepts, safe to join with "|".
std::string ToRegex(const StringMatch& m);

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_STRING_MATCH_H_
