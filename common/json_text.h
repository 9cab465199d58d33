// JSON text for the CLI's machine-readable outputs (`edgekit routes -o json`, `edgekit
// explain -o json`): one string escaper, so every JSON edgekit prints quotes the same way.
#ifndef EDGEKIT_COMMON_JSON_TEXT_H_
#define EDGEKIT_COMMON_JSON_TEXT_H_

#include <string>
#include <string_view>

namespace edgekit {

// `text` as a JSON string literal, quotes included: '"', '\\' and control characters
// escaped, UTF-8 passed through, bytes that are not UTF-8 as U+FFFD (JSON must be UTF-8).
std::string JsonString(std::string_view text);

// `text` with every byte that does not start or continue a valid UTF-8 sequence replaced
// by U+FFFD, for outputs that must be UTF-8 (JSON, XML) whatever the input held.
std::string ValidUtf8(std::string_view text);

}  // namespace edgekit

#endif  // EDGEKIT_COMMON_JSON_TEXT_H_
