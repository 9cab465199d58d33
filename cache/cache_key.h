// The decision cache's key: what the operator declares the auth service's decision
// depends on (header values, and optionally method, host, path, client address), reduced
// to an HMAC-SHA256 with a per-process secret. Only that digest is ever stored, so the
// cache holds no token, and a digest seen elsewhere (a core dump, a log) says nothing
// about the request without the secret, which never leaves the process.
#ifndef EDGEKIT_CACHE_CACHE_KEY_H_
#define EDGEKIT_CACHE_CACHE_KEY_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rules/rule_set.h"

namespace edgekit::cache {

using CacheKey = std::array<uint8_t, 32>;
using Secret = std::array<uint8_t, 32>;

struct CacheKeyHash {
  size_t operator()(const CacheKey& key) const {
    size_t h;  // the digest is uniformly distributed: any 8 of its bytes are a hash
    std::memcpy(&h, key.data(), sizeof(h));
    return h;
  }
};

struct KeySpec {
  enum class Path { kNone, kExact, kPrefix };
  std::vector<std::string> headers;  // lowercase names
  bool method = false;
  bool host = false;
  Path path = Path::kNone;
  uint32_t path_segments = 0;  // with kPrefix
  bool source_address = false;

  bool operator==(const KeySpec& other) const;
};

// 32 bytes from the kernel's CSPRNG (getrandom).
Secret RandomSecret();

// The first `segments` segments of `path` after normalising: the query and fragment
// dropped, empty and "." segments removed, ".." removing the one before. Always starts
// with "/"; e.g. ("/a//b/./c/../d?x", 2) -> "/a/b".
std::string NormalisedPathPrefix(absl::string_view path, uint32_t segments);

class KeyBuilder {
 public:
  KeyBuilder(KeySpec spec, const Secret& secret);

  // The key of `request`, or nullopt when it carries none of the key headers (such a
  // request is not cached). Every element is length-prefixed and tagged, so no two
  // different inputs encode alike (an absent header differs from an empty one).
  std::optional<CacheKey> Build(const rules::RequestView& request) const;

 private:
  // HMAC-SHA256 (RFC 2104) with the secret: the SHA-256 states after the inner and the
  // outer padded key, computed once. A key is then fed element by element into a copy of
  // the inner state: no encoded copy of the request, no allocation.
  struct Sha256State {
    alignas(8) unsigned char bytes[112];  // a SHA256_CTX (static_assert in cache_key.cc)
  };

  KeySpec spec_;
  Sha256State inner_;
  Sha256State outer_;
};

}  // namespace edgekit::cache

#endif  // EDGEKIT_CACHE_CACHE_KEY_H_
