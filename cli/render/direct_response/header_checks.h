// Checks of header names and values shared by the conditions (condition_compiler.cc) and
// the responses (direct_response.cc) of direct-response rules. Internal to
// direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_HEADER_CHECKS_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_HEADER_CHECKS_H_

#include <string>

namespace edgekit::cli::direct_response_internal {

// An HTTP header name as Istio wants it in a match: a lowercase RFC 9110 token. "" when
// it is one, else what is wrong (a message ending a ConfigError).
std::string HeaderNameProblem(const std::string& name);

// No CR, LF or NUL.
bool IsHeaderValue(const std::string& v);

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_HEADER_CHECKS_H_
