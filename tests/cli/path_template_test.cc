// The transcoder's request matching (cli/explain/path_template.h) against every form of
// the google.api.http path template grammar, and the lookup order of the library Envoy
// uses (grpc-httpjson-transcoding path_matcher_node.cc): literal before `*` before `**`,
// with backtracking; custom verbs only when bound; trailing empty segments dropped; no
// percent-decoding before matching.
#include "cli/explain/path_template.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace edgekit::cli::explain {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

// One binding; returns the variables of a match, or nullopt.
std::optional<Vars> MatchOne(const std::string& tmpl, const std::string& path,
                             const std::string& method = "GET") {
  TemplateMatcher m;
  EXPECT_TRUE(m.Add("GET", tmpl, 7).ok()) << tmpl;
  std::optional<TemplateMatcher::Match> hit = m.Lookup(method, path);
  if (!hit.has_value()) return std::nullopt;
  EXPECT_EQ(hit->id, 7);
  return hit->variables;
}

struct FormCase {
  std::string tmpl;
  std::string path;
  bool matches;
  Vars vars;
};

TEST(PathTemplateTest, EveryFormOfTheGrammar) {
  const std::vector<FormCase> cases = {
      // Template = "/"
      {"/", "/", true, {}},
      {"/", "/x", false, {}},
      // LITERAL segments
      {"/v1/books", "/v1/books", true, {}},
      {"/v1/books", "/v1/book", false, {}},
      {"/v1/books", "/v1/books/1", false, {}},
      {"/v1/books", "/V1/books", false, {}},  // case-sensitive
      // "*": exactly one segment
      {"/v1/*", "/v1/a", true, {}},
      {"/v1/*", "/v1/a/b", false, {}},
      {"/v1/*", "/v1", false, {}},
      // "**": one or more segments, or none at the end
      {"/v1/**", "/v1/a/b/c", true, {}},
      {"/v1/**", "/v1", true, {}},
      {"/v1/**", "/v2/a", false, {}},
      // literals after "**"
      {"/v1/**/meta", "/v1/a/b/meta", true, {}},
      {"/v1/**/meta", "/v1/meta", false, {}},  // ** takes at least one segment here
      {"/v1/**/meta", "/v1/a/b", false, {}},
      // {var} is {var=*}
      {"/v1/books/{id}", "/v1/books/42", true, {{"id", "42"}}},
      {"/v1/books/{id}", "/v1/books/42/x", false, {}},
      {"/v1/books/{id=*}", "/v1/books/42", true, {{"id", "42"}}},
      // {var=segments} with literals and wildcards inside
      {"/v1/{name=shelves/*}", "/v1/shelves/s1", true, {{"name", "shelves/s1"}}},
      {"/v1/{name=shelves/*}", "/v1/racks/s1", false, {}},
      {"/v1/{name=shelves/*/books/*}",
       "/v1/shelves/s1/books/b2",
       true,
       {{"name", "shelves/s1/books/b2"}}},
      {"/v1/{name=**}", "/v1/a/b/c", true, {{"name", "a/b/c"}}},
      {"/v1/{name=shelves/**}", "/v1/shelves/a/b", true, {{"name", "shelves/a/b"}}},
      // nested field paths, several variables
      {"/v1/{book.shelf.id}/x", "/v1/s9/x", true, {{"book.shelf.id", "s9"}}},
      {"/v1/shelves/{shelf}/books/{book}",
       "/v1/shelves/s/books/b",
       true,
       {{"shelf", "s"}, {"book", "b"}}},
      // custom verbs
      {"/v1/books:publish", "/v1/books:publish", true, {}},
      {"/v1/books:publish", "/v1/books", false, {}},
      {"/v1/books:publish", "/v1/books:archive", false, {}},
      {"/v1/{name=books/*}:publish", "/v1/books/b1:publish", true, {{"name", "books/b1"}}},
      {"/v1/{name=books/*}:publish", "/v1/books/b1", false, {}},
      {"/v1/**:undo", "/v1/a/b:undo", true, {}},
      // The query string is not part of the path; a trailing '/' is dropped; an empty
      // segment inside stays (and matches nothing); no percent-decoding.
      {"/v1/books/{id}", "/v1/books/42?view=full", true, {{"id", "42"}}},
      {"/v1/books", "/v1/books/", true, {}},
      {"/v1/books", "/v1//books", false, {}},
      {"/v1/books/{id}", "/v1/books/a%2Fb", true, {{"id", "a%2Fb"}}},
  };
  for (const FormCase& c : cases) {
    std::optional<Vars> got = MatchOne(c.tmpl, c.path);
    EXPECT_EQ(got.has_value(), c.matches) << c.tmpl << " vs " << c.path;
    if (got.has_value() && c.matches) {
      EXPECT_EQ(*got, c.vars) << c.tmpl << " vs " << c.path;
    }
  }
}

TEST(PathTemplateTest, AColonIsAVerbOnlyWhenSomeBindingDeclaresIt) {
  // Without a binding declaring ":b", "a:b" is one segment, bound whole.
  std::optional<Vars> got = MatchOne("/v1/{x}", "/v1/a:b");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, (Vars{{"x", "a:b"}}));
  // A colon before the last '/' is never a verb.
  TemplateMatcher m;
  ASSERT_TRUE(m.Add("GET", "/v1/{x}/c:go", 1).ok());
  ASSERT_TRUE(m.Add("GET", "/v1/{x}/{y}", 2).ok());
  EXPECT_EQ(m.Lookup("GET", "/v1/a:go/c")->id, 2);
  EXPECT_EQ(m.Lookup("GET", "/v1/a/c:go")->id, 1);
  EXPECT_EQ(m.Lookup("GET", "/v1/a/d:go"), std::nullopt);  // verb bound, no template for it
}

TEST(PathTemplateTest, LiteralsBeforeWildcardsWhateverTheOrder) {
  TemplateMatcher m;
  ASSERT_TRUE(m.Add("GET", "/v1/books/{id}", 1).ok());
  ASSERT_TRUE(m.Add("GET", "/v1/books/default", 2).ok());
  ASSERT_TRUE(m.Add("GET", "/v1/{rest=**}", 3).ok());
  EXPECT_EQ(m.Lookup("GET", "/v1/books/default")->id, 2);
  EXPECT_EQ(m.Lookup("GET", "/v1/books/7")->id, 1);
  EXPECT_EQ(m.Lookup("GET", "/v1/books/7/pages")->id, 3);  // * leads nowhere: ** takes it
  EXPECT_EQ(m.Lookup("GET", "/v1/authors")->id, 3);
}

TEST(PathTemplateTest, BacktracksWhenTheLiteralBranchLeadsNowhere) {
  TemplateMatcher m;
  ASSERT_TRUE(m.Add("GET", "/a/b/d", 1).ok());
  ASSERT_TRUE(m.Add("GET", "/a/*/c", 2).ok());
  EXPECT_EQ(m.Lookup("GET", "/a/b/c")->id, 2);
  EXPECT_EQ(m.Lookup("GET", "/a/b/d")->id, 1);
  EXPECT_EQ(m.Lookup("GET", "/a/x/d"), std::nullopt);
}

TEST(PathTemplateTest, MethodsAreKeysAndStarMatchesAny) {
  TemplateMatcher m;
  ASSERT_TRUE(m.Add("GET", "/v1/x", 1).ok());
  ASSERT_TRUE(m.Add("POST", "/v1/x", 2).ok());
  ASSERT_TRUE(m.Add("*", "/v1/any", 3).ok());
  ASSERT_TRUE(m.Add("HEAD", "/v1/custom", 4).ok());  // custom: {kind: HEAD}
  EXPECT_EQ(m.Lookup("GET", "/v1/x")->id, 1);
  EXPECT_EQ(m.Lookup("POST", "/v1/x")->id, 2);
  EXPECT_EQ(m.Lookup("DELETE", "/v1/x"), std::nullopt);
  EXPECT_EQ(m.Lookup("PATCH", "/v1/any")->id, 3);
  EXPECT_EQ(m.Lookup("HEAD", "/v1/custom")->id, 4);
  EXPECT_EQ(m.Lookup("GET", "/v1/custom"), std::nullopt);
}

// The library keys results by method + verb and falls back to "*" alone: a `*` binding
// without a verb answers any method and verb; a `*` binding with a verb is never found.
TEST(PathTemplateTest, StarMethodFallbackIgnoresTheVerbAsTheLibraryDoes) {
  TemplateMatcher m;
  ASSERT_TRUE(m.Add("*", "/v1/{x}", 1).ok());
  ASSERT_TRUE(m.Add("*", "/v2/{x}:go", 2).ok());
  ASSERT_TRUE(m.Add("POST", "/v3/{x}:go", 3).ok());
  EXPECT_EQ(m.Lookup("GET", "/v1/a:go")->id, 1);  // "go" is a verb here (binding 2, 3)
  EXPECT_EQ(m.Lookup("GET", "/v2/a:go"), std::nullopt);
  EXPECT_EQ(m.Lookup("POST", "/v3/a:go")->id, 3);
}

TEST(PathTemplateTest, TheSameMethodAndTemplateTwiceIsRefused) {
  TemplateMatcher m;
  ASSERT_TRUE(m.Add("GET", "/v1/{a}", 1).ok());
  absl::Status again = m.Add("GET", "/v1/{b}", 2);  // the same trie path: * then end
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_TRUE(m.Add("POST", "/v1/{b}", 3).ok());
}

TEST(PathTemplateTest, GrammarErrorsNameTheTemplate) {
  for (const char* bad : {"v1/books", "/v1/{a=**}/{b}", "/v1/**/*", "/v1/{a={b}}", "/v1/{a",
                          "/v1//x", "/v1/x:", "/v1/{}", "/v1/{a..b}", "/v1/x}"}) {
    absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find(bad), std::string::npos) << parsed.status();
    }
  }
  for (const char* good : {"/", "/a", "/a/*/b/**", "/{a.b=c/*}/d:e", "/v1/**:verb"}) {
    EXPECT_TRUE(PathTemplate::Parse(good).ok()) << good;
  }
}

}  // namespace
}  // namespace edgekit::cli::explain
