// JSON string literals (common/json_text.h): escapes, and input that is not UTF-8 made
// UTF-8 so `edgekit explain -o json` and `routes -o json` always print valid JSON.
#include "common/json_text.h"

#include "gtest/gtest.h"

namespace edgekit {
namespace {

TEST(JsonTextTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonString("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
  EXPECT_EQ(JsonString(""), "\"\"");
}

TEST(JsonTextTest, Utf8PassesInvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(JsonString("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a" + fffd + "b");                                          // never valid
  EXPECT_EQ(ValidUtf8("\xC3"), fffd);                                   // truncated
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), fffd + fffd);                        // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd);             // a surrogate
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(ValidUtf8("\x80"), fffd);                                   // a lone continuation
  EXPECT_EQ(JsonString("\xFF"), "\"" + fffd + "\"");
}

}  // namespace
}  // namespace edgekit
