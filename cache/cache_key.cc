#include "cache/cache_key.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_split.h"
// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP_MD_CTX, which is
// heap-allocated; the plain context can be copied, which is what a precomputed HMAC key
// needs.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "openssl/sha.h"

namespace edgekit::cache {
namespace {

// Tags of the encoded elements; a new kind of element gets a new tag.
enum Tag : char {
  kHeaderPresent = 'H',
  kHeaderAbsent = 'h',
  kMethod = 'M',
  kHost = 'A',
  kPath = 'P',
  kSource = 'S',
  kSourceUnknown = 's',
};

// Feeds one element: its tag, its length (4 bytes, big-endian), its bytes.
void Append(SHA256_CTX& sha, Tag tag, absl::string_view value) {
  const uint32_t size = static_cast<uint32_t>(value.size());
  const unsigned char header[5] = {
      static_cast<unsigned char>(tag), static_cast<unsigned char>(size >> 24),
      static_cast<unsigned char>(size >> 16), static_cast<unsigned char>(size >> 8),
      static_cast<unsigned char>(size)};
  SHA256_Update(&sha, header, sizeof(header));
  SHA256_Update(&sha, value.data(), value.size());
}

constexpr char kVersion[] = "edgekit-cache-v1";

}  // namespace

bool KeySpec::operator==(const KeySpec& other) const {
  return headers == other.headers && method == other.method && host == other.host &&
         path == other.path && path_segments == other.path_segments &&
         source_address == other.source_address;
}

Secret RandomSecret() {
  Secret secret;
  size_t filled = 0;
  while (filled < secret.size()) {
    const ssize_t got = getrandom(secret.data() + filled, secret.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no kernel randomness: a guessable secret is worse than no broker
    }
    filled += static_cast<size_t>(got);
  }
  return secret;
}

std::string NormalisedPathPrefix(absl::string_view path, uint32_t segments) {
  const size_t end = path.find_first_of("?#");
  if (end != absl::string_view::npos) path = path.substr(0, end);
  std::vector<absl::string_view> kept;
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  std::string out;
  for (size_t i = 0; i < kept.size() && i < segments; ++i) {
    out.push_back('/');
    out.append(kept[i].data(), kept[i].size());
  }
  if (out.empty()) out = "/";
  return out;
}

KeyBuilder::KeyBuilder(KeySpec spec, const Secret& secret) : spec_(std::move(spec)) {
  static_assert(sizeof(SHA256_CTX) <= sizeof(Sha256State::bytes));
  // RFC 2104 with a key no longer than SHA-256's 64-byte block: K xor ipad, K xor opad.
  static_assert(sizeof(Secret) <= SHA256_CBLOCK);
  unsigned char inner_pad[SHA256_CBLOCK], outer_pad[SHA256_CBLOCK];
  for (size_t i = 0; i < SHA256_CBLOCK; ++i) {
    const unsigned char k = i < secret.size() ? secret[i] : 0;
    inner_pad[i] = k ^ 0x36;
    outer_pad[i] = k ^ 0x5c;
  }
  SHA256_CTX inner, outer;
  SHA256_Init(&inner);
  SHA256_Update(&inner, inner_pad, sizeof(inner_pad));
  SHA256_Init(&outer);
  SHA256_Update(&outer, outer_pad, sizeof(outer_pad));
  std::memcpy(inner_.bytes, &inner, sizeof(inner));
  std::memcpy(outer_.bytes, &outer, sizeof(outer));
}

std::optional<CacheKey> KeyBuilder::Build(const rules::RequestView& request) const {
  SHA256_CTX sha;
  std::memcpy(&sha, inner_.bytes, sizeof(sha));
  SHA256_Update(&sha, kVersion, sizeof(kVersion) - 1);
  bool any_header = false;
  for (const std::string& name : spec_.headers) {
    const std::optional<absl::string_view> value = request.header(name);
    if (value.has_value()) {
      any_header = true;
      Append(sha, kHeaderPresent, *value);
    } else {
      Append(sha, kHeaderAbsent, "");
    }
  }
  if (!any_header) return std::nullopt;
  if (spec_.method) Append(sha, kMethod, request.method());
  if (spec_.host) Append(sha, kHost, request.host());
  switch (spec_.path) {
    case KeySpec::Path::kNone:
      break;
    case KeySpec::Path::kExact:
      Append(sha, kPath, request.path());
      break;
    case KeySpec::Path::kPrefix:
      Append(sha, kPath, NormalisedPathPrefix(request.path(), spec_.path_segments));
      break;
  }
  if (spec_.source_address) {
    const std::optional<rules::IpAddress> ip = request.client_ip();
    if (ip.has_value()) {
      char bytes[16];
      for (int i = 0; i < 8; ++i) {
        bytes[i] = static_cast<char>(ip->hi >> (56 - 8 * i));
        bytes[8 + i] = static_cast<char>(ip->lo >> (56 - 8 * i));
      }
      Append(sha, kSource, absl::string_view(bytes, sizeof(bytes)));
    } else {
      Append(sha, kSourceUnknown, "");
    }
  }
  unsigned char inner_digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner_digest, &sha);
  std::memcpy(&sha, outer_.bytes, sizeof(sha));
  SHA256_Update(&sha, inner_digest, sizeof(inner_digest));
  CacheKey key;
  static_assert(sizeof(CacheKey) == SHA256_DIGEST_LENGTH);
  SHA256_Final(key.data(), &sha);
  return key;
}

}  // namespace edgekit::cache
