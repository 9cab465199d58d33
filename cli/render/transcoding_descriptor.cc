#include "cli/render/transcoding_descriptor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/edge/config_checks.h"
#include "cli/render/manifest_doc.h"

namespace edgekit::cli {
namespace {

std::string KiB(size_t bytes) { return absl::StrCat((bytes + 1023) / 1024, " KiB"); }

}  // namespace

absl::StatusOr<DescriptorPlacement> PlaceDescriptor(
    const std::string& bytes, const google::protobuf::FileDescriptorSet& set,
    const std::map<std::string, std::string>& file_owner, const edge::v1::EdgeConfig& config,
    const std::string& source, std::vector<std::string>* warnings) {
  DescriptorPlacement out;
  out.base64 = absl::Base64Escape(bytes);
  // kubectl's client-side apply stores the whole object in the
  // kubectl.kubernetes.io/last-applied-configuration annotation, and annotations are
  // limited to 256 KiB in total: a bigger proto_descriptor_bin makes `kubectl apply` fail.
  if (out.base64.size() <= kClientSideApplyLimitBytes) return out;

  const edge::v1::Transcoding& t = config.transcoding();
  // The key and the object's metadata take a little of the 1 MiB too.
  if (bytes.size() + 1024 > kConfigMapLimitBytes) {
    std::vector<std::pair<size_t, std::string>> sizes;
    for (const auto& file : set.file()) {
      auto owner = file_owner.find(file.name());
      sizes.emplace_back(file.ByteSizeLong(),
                         absl::StrCat(file.name(), " (", KiB(file.ByteSizeLong()),
                                      owner == file_owner.end() ? "" : ", " + owner->second, ")"));
    }
    std::sort(sizes.rbegin(), sizes.rend());
    std::vector<std::string> largest;
    for (size_t i = 0; i < sizes.size() && i < 5; ++i) largest.push_back(sizes[i].second);
    return ConfigError(source, "transcoding",
                       absl::StrCat("the descriptor set is ", KiB(bytes.size()),
                                    t.prune_descriptor() ? " after pruning" : "",
                                    ", over the 1 MiB a ConfigMap holds; largest files: ",
                                    absl::StrJoin(largest, "; "),
                                    t.prune_descriptor() ? "" : "; turn prune_descriptor on, or",
                                    " transcode fewer services or split the API"));
  }
  DescriptorVolume volume;
  volume.config_map = absl::StrCat(t.name(), "-descriptor");
  volume.volume_name = volume.config_map;
  volume.file_path = absl::StrCat(kDescriptorMountPath, "/", kDescriptorFileName);

  Doc d;
  Header(d, "v1", "ConfigMap", volume.config_map, config.gateway().namespace_());
  d.Key("binaryData").Map().KV(kDescriptorFileName, out.base64).EndMap();
  d.EndMap();
  out.config_map_document = d.Text(absl::StrCat(
      "# The transcoder's descriptor set (", KiB(bytes.size()),
      "): over the 256 KiB client-side `kubectl apply`\n# can store, so it is a file "
      "mounted into the gateway pods (gateway-values.yaml).\n# Apply with `kubectl apply "
      "--server-side`, and roll the gateway pods after a change.\n"));
  out.volume = std::move(volume);
  warnings->push_back(
      absl::StrCat(source, ": transcoding: note: the descriptor set is ", KiB(bytes.size()),
                   " (base64 ", KiB(out.base64.size()),
                   "), over the 256 KiB client-side `kubectl apply` stores: rendered as ConfigMap ",
                   out.volume->config_map, " mounted at ", kDescriptorMountPath,
                   " in the gateway pods (see gateway-values.yaml); apply it with `kubectl apply "
                   "--server-side`"));
  return out;
}

}  // namespace edgekit::cli
