#include "cache/cache_key.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/str_split.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"

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

void Append(std::string& out, Tag tag, absl::string_view value) {
  out.push_back(tag);
  const uint32_t size = static_cast<uint32_t>(value.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  out.append(value.data(), value.size());
}

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

KeyBuilder::KeyBuilder(KeySpec spec, const Secret& secret)
    : spec_(std::move(spec)), secret_(secret) {}

std::optional<CacheKey> KeyBuilder::Build(const rules::RequestView& request) const {
  std::string encoded = "edgekit-cache-v1";
  bool any_header = false;
  for (const std::string& name : spec_.headers) {
    const std::optional<absl::string_view> value = request.header(name);
    if (value.has_value()) {
      any_header = true;
      Append(encoded, kHeaderPresent, *value);
    } else {
      Append(encoded, kHeaderAbsent, "");
    }
  }
  if (!any_header) return std::nullopt;
  if (spec_.method) Append(encoded, kMethod, request.method());
  if (spec_.host) Append(encoded, kHost, request.host());
  switch (spec_.path) {
    case KeySpec::Path::kNone:
      break;
    case KeySpec::Path::kExact:
      Append(encoded, kPath, request.path());
      break;
    case KeySpec::Path::kPrefix:
      Append(encoded, kPath, NormalisedPathPrefix(request.path(), spec_.path_segments));
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
      Append(encoded, kSource, absl::string_view(bytes, sizeof(bytes)));
    } else {
      Append(encoded, kSourceUnknown, "");
    }
  }
  CacheKey key;
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size(), key.data(), &size);
  return key;
}

}  // namespace edgekit::cache
