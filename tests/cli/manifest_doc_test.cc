// cli/manifest_doc: every string edgekit writes into a manifest must read back as the
// same string, whatever it holds (bodies, header values, label values), and never as a
// number, boolean or null; raw control characters and YAML 1.1 line breaks never appear
// in the output.
#include "cli/render/manifest_doc.h"

#include <string>
#include <vector>

#include "edgekit/broker/v1/broker_config.pb.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

std::string Emit(const std::string& value, bool literal) {
  Doc d;
  d.Map();
  if (literal) {
    d.Literal("k", value);
  } else {
    d.KV("k", value);
  }
  d.EndMap();
  return d.Text();
}

TEST(ManifestDocTest, StringsRoundTripExactly) {
  const std::vector<std::string> values = {"This is direct response!",
                                           "line1\nline2",
                                           "a\n\n\n",
                                           "\n\nlead",
                                           "a\r\nb\r\n",
                                           "  indented\nnext\n",
                                           "x\ay\n",
                                           "a\rb",
                                           "del\x7f",
                                           "nel\xc2\x85x",
                                           "ls\xe2\x80\xa8x",
                                           "bom\xef\xbb\xbfx",
                                           "trailing ",
                                           " leading",
                                           "yes",
                                           "No",
                                           "null",
                                           "~",
                                           "1.30",
                                           "0x1F",
                                           ".inf",
                                           "12:30",
                                           "<<",
                                           "=",
                                           "- item",
                                           "? key",
                                           ": x",
                                           "a: b",
                                           "a #b",
                                           "#c",
                                           "[x]",
                                           "{y}",
                                           "*alias",
                                           "&anchor",
                                           "!tag",
                                           "%dir",
                                           "@at",
                                           "`tick",
                                           "|",
                                           ">",
                                           "'q'",
                                           "\"dq\"",
                                           "ends:",
                                           "tab\tinside",
                                           "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93",
                                           "",
                                           "0",
                                           "-1",
                                           "+1",
                                           "1e3",
                                           "true"};
  for (const std::string& value : values) {
    for (bool literal : {false, true}) {
      const std::string text = Emit(value, literal);
      YAML::Node node;
      ASSERT_NO_THROW(node = YAML::Load(text)) << text;
      ASSERT_TRUE(node["k"].IsScalar()) << text;
      EXPECT_EQ(node["k"].as<std::string>(), value) << text;
      // A plain scalar that a reader could take for another type must have been quoted.
      if (value == "yes" || value == "null" || value == "1.30" || value == "true") {
        EXPECT_NE(text.find('"'), std::string::npos) << text;
      }
      for (unsigned char c : text.substr(0, text.size() - 1)) {
        EXPECT_TRUE(c >= 0x20 || c == '\n') << "raw control character " << int(c) << " in " << text;
        EXPECT_NE(c, 0x7f) << text;
      }
      EXPECT_EQ(text.find("\xe2\x80\xa8"), std::string::npos) << text;
      EXPECT_EQ(text.find("\xc2\x85"), std::string::npos) << text;
    }
  }
}

TEST(ManifestDocTest, MessageWritesSetFieldsInTheBrokersOwnSchema) {
  edgekit::broker::v1::Hedging hedging;
  hedging.set_max_attempts(3);
  hedging.set_quantile(0.95);
  hedging.set_budget(0.1);
  hedging.set_delay_min("2ms");
  hedging.add_non_fatal_codes("UNAVAILABLE");
  hedging.mutable_throttling()->set_max_tokens(20);
  Doc d;
  d.Message(hedging);
  EXPECT_EQ(d.Text(),
            "max_attempts: 3\n"
            "quantile: 0.95\n"
            "delay_min: \"2ms\"\n"
            "budget: 0.1\n"
            "non_fatal_codes:\n"
            "  - UNAVAILABLE\n"
            "throttling:\n"
            "  max_tokens: 20\n");
}

}  // namespace
}  // namespace edgekit::cli
