// Checks of header names and values in direct-response rules, shared by their conditions
// and responses, by the broker's rule compiler (rule_set.h) and by the CLI's route
// compiler (cli/render/direct_response/).
#ifndef EDGEKIT_RULES_HEADER_SYNTAX_H_
#define EDGEKIT_RULES_HEADER_SYNTAX_H_

#include <string>

#include "edgekit/rules/v1/rules.pb.h"

namespace edgekit::rules {

// An HTTP header name as Istio and the broker want it in a test: a lowercase RFC 9110 token. ""
// when it is one, else what is wrong (a message ending a ConfigError).
std::string HeaderNameProblem(const std::string& name);

// No CR, LF or NUL.
bool IsHeaderValue(const std::string& v);

// "" when the RE2 regex `regex` (already known to compile) can fully match some request
// path, that is a string starting with "/"; else why it never can (a message ending a
// ConfigError). RE2's PossibleMatchRange bounds every string the regex matches: a regex
// whose matches all sort before "/" or from "0" on never matches a path. Used by the
// rules (both engines) and the CLI's HTTP routes, where "v1/.*" is an easy slip.
std::string PathRegexProblem(const std::string& regex);

// A path test with ignore_case as the RE2 regex both engines run: "(?i)" and the exact
// path quoted, the prefix quoted then ".*", or the regex grouped.
std::string CaseInsensitivePathRegex(const v1::StringCondition& test);

// The literal start every string the RE2 regex matches shares (the common prefix of the
// bounds of PossibleMatchRange); "" when unknown.
std::string RegexLiteralPrefix(const std::string& regex);

}  // namespace edgekit::rules

#endif  // EDGEKIT_RULES_HEADER_SYNTAX_H_
