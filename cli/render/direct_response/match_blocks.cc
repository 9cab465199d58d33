#include "cli/render/direct_response/match_blocks.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/edge/hosts.h"
#include "cli/render/direct_response/string_match.h"

namespace edgekit::cli::direct_response_internal {
namespace {

MergeResult NormalizeHeader(HeaderTests* h) {
  if (h->absent && (h->present || h->match.has_value() || !h->not_match.empty())) {
    return MergeResult::kContradiction;
  }
  if (h->match.has_value()) {
    for (auto it = h->not_match.begin(); it != h->not_match.end();) {
      if (Implies(*h->match, *it)) return MergeResult::kContradiction;
      // An exact value the negated test refuses anyway: the negation adds nothing.
      if (h->match->kind == StringMatch::Kind::kExact) {
        it = h->not_match.erase(it);
      } else {
        ++it;
      }
    }
    h->present = false;  // implied
  }
  if (!h->not_match.empty()) h->present = false;  // implied
  return MergeResult::kOk;
}

// CoverIndex keys: one per exact test ('p'ath, 'm'ethod or 'h'eader `name`, and value).
bool IsExact(const std::optional<StringMatch>& m) {
  return m.has_value() && m->kind == StringMatch::Kind::kExact;
}

std::string Key(char what, const std::string& name, const std::string& value) {
  return absl::StrCat(std::string(1, what), name.size(), ":", name, value);
}

std::optional<std::string> FirstExactKey(const Block& b) {
  if (IsExact(b.path)) return Key('p', "", b.path->value);
  if (IsExact(b.method)) return Key('m', "", b.method->value);
  for (const auto& [name, tests] : b.headers) {
    if (IsExact(tests.match)) return Key('h', name, tests.match->value);
  }
  return std::nullopt;
}

}  // namespace

MergeResult MergeMatch(std::optional<StringMatch>* into, const StringMatch& m,
                       const std::string& what, std::string* why) {
  if (!into->has_value()) {
    *into = m;
    return MergeResult::kOk;
  }
  const StringMatch& a = **into;
  if (Implies(a, m)) return MergeResult::kOk;
  if (Implies(m, a)) {
    *into = m;
    return MergeResult::kOk;
  }
  if (a.kind == StringMatch::Kind::kExact || m.kind == StringMatch::Kind::kExact) {
    return MergeResult::kContradiction;  // an exact value the other test refuses
  }
  if (a.kind == StringMatch::Kind::kPrefix && m.kind == StringMatch::Kind::kPrefix) {
    return MergeResult::kContradiction;  // neither prefix extends the other
  }
  *why = absl::StrCat("it needs ", what, " to pass both ", Describe(a), " and ", Describe(m),
                      " at once, and an Istio match holds one test per ", what);
  return MergeResult::kInexpressible;
}

MergeResult AndBlocks(const Block& a, const Block& b, Block* out, std::string* why) {
  *out = a;
  if (!b.hosts.empty() && b.hosts != a.hosts) {
    if (!a.hosts.empty()) {
      *why = "two different host scopes in one match";
      return MergeResult::kInexpressible;
    }
    out->hosts = b.hosts;
  }
  if (b.path && MergeMatch(&out->path, *b.path, "the path", why) != MergeResult::kOk) {
    return why->empty() ? MergeResult::kContradiction : MergeResult::kInexpressible;
  }
  if (b.method && MergeMatch(&out->method, *b.method, "the method", why) != MergeResult::kOk) {
    return why->empty() ? MergeResult::kContradiction : MergeResult::kInexpressible;
  }
  for (const auto& [name, tests] : b.headers) {
    HeaderTests& h = out->headers[name];
    h.present |= tests.present;
    h.absent |= tests.absent;
    if (tests.match) {
      MergeResult r = MergeMatch(&h.match, *tests.match, "header " + name, why);
      if (r != MergeResult::kOk) return r;
    }
    h.not_match.insert(tests.not_match.begin(), tests.not_match.end());
    MergeResult r = NormalizeHeader(&h);
    if (r != MergeResult::kOk) return r;
  }
  return MergeResult::kOk;
}

bool Covers(const Block& outer, const Block& inner) {
  if (!outer.hosts.empty()) {
    if (inner.hosts.empty()) return false;
    for (const std::string& host : inner.hosts) {
      if (std::none_of(outer.hosts.begin(), outer.hosts.end(),
                       [&](const std::string& pattern) { return HostCovers(pattern, host); })) {
        return false;
      }
    }
  }
  if (outer.path && !(inner.path && Implies(*inner.path, *outer.path))) return false;
  if (outer.method && !(inner.method && Implies(*inner.method, *outer.method))) return false;
  for (const auto& [name, o] : outer.headers) {
    auto it = inner.headers.find(name);
    const HeaderTests empty;
    const HeaderTests& i = it == inner.headers.end() ? empty : it->second;
    const bool inner_present = i.present || i.match.has_value() || !i.not_match.empty();
    if (o.absent && !i.absent) return false;
    if (o.present && !inner_present) return false;
    if (o.match && !(i.match && Implies(*i.match, *o.match))) return false;
    for (const StringMatch& n : o.not_match) {
      // inner refuses every value `n` accepts: it fails a test `m` that n implies (a value
      // failing m fails n), or it holds an exact value n refuses.
      bool refused =
          i.match && i.match->kind == StringMatch::Kind::kExact && !Matches(n, i.match->value);
      for (auto m = i.not_match.begin(); m != i.not_match.end() && !refused; ++m) {
        refused = Implies(n, *m);
      }
      if (!refused) return false;
    }
  }
  return true;
}

Dnf RemoveRedundantBlocks(const Dnf& blocks) {
  Dnf kept;
  for (size_t b = 0; b < blocks.size(); ++b) {
    bool redundant = false;
    for (size_t o = 0; o < blocks.size() && !redundant; ++o) {
      if (o == b || !Covers(blocks[o], blocks[b])) continue;
      redundant = !Covers(blocks[b], blocks[o]) || o < b;
    }
    if (!redundant) kept.push_back(blocks[b]);
  }
  return kept;
}

bool MatchesEveryRequest(const Dnf& blocks) {
  return blocks.size() == 1 && blocks[0].path == std::nullopt && blocks[0].method == std::nullopt &&
         blocks[0].headers.empty() && blocks[0].hosts.empty();
}

void CoverIndex::Add(const Block& block, int rule) {
  std::optional<std::string> key = FirstExactKey(block);
  std::vector<Entry>& list = key ? by_exact_[*key] : others_;
  list.push_back(Entry{block, rule});
}

int CoverIndex::FirstCovering(const Block& inner) const {
  int first = -1;
  auto scan = [&](const std::vector<Entry>& list) {
    for (const Entry& e : list) {
      if ((first < 0 || e.rule < first) && Covers(e.block, inner)) first = e.rule;
    }
  };
  scan(others_);
  auto lookup = [&](const std::string& key) {
    auto it = by_exact_.find(key);
    if (it != by_exact_.end()) scan(it->second);
  };
  if (IsExact(inner.path)) lookup(Key('p', "", inner.path->value));
  if (IsExact(inner.method)) lookup(Key('m', "", inner.method->value));
  for (const auto& [name, tests] : inner.headers) {
    if (IsExact(tests.match)) lookup(Key('h', name, tests.match->value));
  }
  return first;
}

}  // namespace edgekit::cli::direct_response_internal
