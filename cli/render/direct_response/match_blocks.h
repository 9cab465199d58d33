// The AND-blocks a direct-response condition compiles to (direct_response.h): one block
// is one Istio HTTPMatchRequest before it is written out, a Dnf their OR. Merging two
// blocks (AND), deciding whether one block covers another, and the CoverIndex that finds
// the earlier rules' blocks covering a new one (shadowing). Internal to direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_MATCH_BLOCKS_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_MATCH_BLOCKS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "cli/render/direct_response/direct_response.h"

namespace edgekit::cli::direct_response_internal {

// The tests of one AND-block on one header.
struct HeaderTests {
  bool present = false;
  bool absent = false;
  std::optional<StringMatch> match;  // present and passing
  std::set<StringMatch> not_match;   // present and failing each
};

// One AND-block, normalized: at most one test per path / method / header value.
struct Block {
  std::optional<StringMatch> path;
  std::optional<StringMatch> method;
  std::map<std::string, HeaderTests> headers;
  // The rule's hosts (Rule.hosts), sorted; empty: every host. Set on the blocks after the
  // condition is compiled (conditions do not test the host), rendered as `authority`.
  std::vector<std::string> hosts;
};

// An OR of AND-blocks (disjunctive normal form).
using Dnf = std::vector<Block>;

enum class MergeResult { kOk, kContradiction, kInexpressible };

// Intersects `into` with `m`; `what` names the target in `why`.
MergeResult MergeMatch(std::optional<StringMatch>* into, const StringMatch& m,
                       const std::string& what, std::string* why);

// `*out` = a AND b. kContradiction: no request passes both; kInexpressible: one Istio
// match cannot hold the result, and `why` says why.
MergeResult AndBlocks(const Block& a, const Block& b, Block* out, std::string* why);

// `outer` matches every request `inner` matches (sound, incomplete).
bool Covers(const Block& outer, const Block& inner);

// `blocks` without those another of them already covers (keeping the first of equal
// ones), in order.
Dnf RemoveRedundantBlocks(const Dnf& blocks);

// `blocks` is one block testing nothing: it matches every request.
bool MatchesEveryRequest(const Dnf& blocks);

// The blocks of earlier rules, indexed so that finding one that covers a new block does
// not compare it with all of them (10,000 rules of `header: {name: x-id, exact: ...}` are
// a real blocklist). A block with an exact test (path, method or a header) can only cover
// blocks with the same exact test (Implies(x, exact v) holds only for x = exact v), so it
// is filed under its first one; the others (prefix, regex, presence) are few and always
// compared.
class CoverIndex {
 public:
  void Add(const Block& block, int rule);

  // The lowest rule index with a block covering `inner`, or -1.
  int FirstCovering(const Block& inner) const;

 private:
  struct Entry {
    Block block;
    int rule;
  };

  absl::flat_hash_map<std::string, std::vector<Entry>> by_exact_;
  std::vector<Entry> others_;
};

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_MATCH_BLOCKS_H_
