#include "cli/render/transcoding_backends.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/edge/config_checks.h"

namespace edgekit::cli {
namespace {

using edge::v1::Transcoding;
using edge::v1::TranscodingBackend;

bool IsProtoIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s.front())) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(c) || c == '_')) return false;
  }
  return true;
}

}  // namespace

bool IsServiceName(const std::string& s) {
  for (absl::string_view part : absl::StrSplit(s, '.')) {
    if (!IsProtoIdentifier(part)) return false;
  }
  return true;
}

std::optional<TranscodingBackend> TopLevelBackend(const Transcoding& t) {
  if (!(t.has_descriptor_set() || !t.proto_files().empty() || !t.services().empty() ||
        t.has_destination() || !t.include_paths().empty() || t.backends().empty())) {
    return std::nullopt;
  }
  TranscodingBackend top;
  *top.mutable_proto_files() = t.proto_files();
  *top.mutable_include_paths() = t.include_paths();
  if (t.has_descriptor_set()) top.set_descriptor_set(t.descriptor_set());
  *top.mutable_services() = t.services();
  if (t.has_destination()) *top.mutable_destination() = t.destination();
  return top;
}

std::vector<Backend> BackendsOf(const Transcoding& t, const std::string& source,
                                const Composition* composition) {
  std::vector<Backend> backends;
  if (std::optional<TranscodingBackend> top = TopLevelBackend(t)) {
    backends.push_back(Backend{"transcoding", *std::move(top), source, ""});
  }
  for (int i = 0; i < t.backends_size(); ++i) {
    Backend b{absl::StrCat("transcoding.backends[", i, "]"), t.backends(i), source, ""};
    if (composition != nullptr) {
      auto origin = composition->backends.find(i);
      if (origin != composition->backends.end()) {
        b.key = origin->second.key;
        b.source = origin->second.file_at;
        b.team = origin->second.team;
      }
    }
    backends.push_back(std::move(b));
  }
  return backends;
}

absl::Status ValidateBackend(const Backend& backend,
                             std::map<std::string, std::string>* listed_services) {
  const std::string& source = backend.source;
  const TranscodingBackend& t = backend.spec;
  const std::string& k = backend.key;
  if (t.has_descriptor_set() && !t.proto_files().empty()) {
    return ConfigError(source, k + ".descriptor_set",
                       "give either proto_files or descriptor_set, not both");
  }
  if (!t.has_descriptor_set() && t.proto_files().empty()) {
    return ConfigError(source, k,
                       "no descriptor: give proto_files (with include_paths) or descriptor_set");
  }
  if (t.has_descriptor_set() && t.descriptor_set().empty()) {
    return ConfigError(source, k + ".descriptor_set", "empty path");
  }
  if (t.has_descriptor_set() && !t.include_paths().empty()) {
    return ConfigError(source, k + ".include_paths",
                       "only used with proto_files, not with a prebuilt descriptor");
  }
  for (int i = 0; i < t.proto_files_size(); ++i) {
    if (t.proto_files(i).empty()) {
      return ConfigError(source, absl::StrCat(k, ".proto_files[", i, "]"), "empty path");
    }
  }
  for (int i = 0; i < t.include_paths_size(); ++i) {
    if (t.include_paths(i).empty()) {
      return ConfigError(source, absl::StrCat(k, ".include_paths[", i, "]"),
                         "empty directory name (use \".\" for the edge.yaml's directory)");
    }
  }
  for (int i = 0; i < t.services_size(); ++i) {
    const std::string key = absl::StrCat(k, ".services[", i, "]");
    if (!IsServiceName(t.services(i))) {
      return ConfigError(source, key,
                         absl::StrCat("\"", t.services(i),
                                      "\" is not a fully qualified gRPC service name such as "
                                      "\"helloworld.Greeter\""));
    }
    if (auto [it, inserted] = listed_services->emplace(t.services(i), Label(backend, key));
        !inserted) {
      return ConfigError(
          source, key,
          absl::StrCat("\"", t.services(i), "\" is listed twice (also ", it->second, ")"));
    }
  }
  if (!t.has_destination()) {
    return ConfigError(source, k + ".destination",
                       "required: the gRPC service's host and port, e.g. "
                       "{host: greeter.default.svc.cluster.local, port: 50051}");
  }
  return CheckDestination(source, k + ".destination", t.destination());
}

// What messages call a backend's key: just the key in a single edge.yaml; with the team
// and its file when composed.
std::string Label(const Backend& b, const std::string& key) {
  return b.team.empty() ? key : absl::StrCat(key, " of team ", b.team, " (", b.source, ")");
}

BackendRef Ref(const Backend& b) { return BackendRef{b.team, b.source, b.key}; }

}  // namespace edgekit::cli
