// Where the gateway's transcoder gets its descriptor set: inline in the EnvoyFilter
// (proto_descriptor_bin) while it fits the 256 KiB that client-side `kubectl apply` can
// store, else a ConfigMap mounted into the gateway pods, the filter pointing at the file
// (proto_descriptor); past the 1 MiB a ConfigMap holds, an error naming the largest files.
#ifndef EDGEKIT_CLI_RENDER_TRANSCODING_DESCRIPTOR_H_
#define EDGEKIT_CLI_RENDER_TRANSCODING_DESCRIPTOR_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edgekit/edge/v1/edge_config.pb.h"
#include "google/protobuf/descriptor.pb.h"

namespace edgekit::cli {

// kubectl's client-side apply copies the object into an annotation, and annotations are
// limited to 256 KiB: a base64 proto_descriptor_bin bigger than this goes to a ConfigMap.
inline constexpr size_t kClientSideApplyLimitBytes = 256 * 1024;

// A ConfigMap's data and binaryData together hold at most 1 MiB (Kubernetes'
// validation of ConfigMaps).
inline constexpr size_t kConfigMapLimitBytes = 1024 * 1024;
// Where the ConfigMap is mounted in the gateway's istio-proxy container.
inline constexpr char kDescriptorMountPath[] = "/etc/edgekit/transcoding";
inline constexpr char kDescriptorFileName[] = "descriptor.pb";

// The ConfigMap volume of a descriptor too big to inline.
struct DescriptorVolume {
  std::string config_map;   // "<transcoding.name>-descriptor"
  std::string volume_name;  // the pod volume's name (the same)
  std::string file_path;    // kDescriptorMountPath + "/" + kDescriptorFileName
};

struct DescriptorPlacement {
  std::string base64;                      // the descriptor set, base64
  std::optional<DescriptorVolume> volume;  // set: in a ConfigMap, not inline
  std::string config_map_document;         // the ConfigMap, when `volume`
};

// Decides where `bytes` (the serialized `set`) goes. `file_owner` names, by file, the
// backend (and team) it came from, for the error past 1 MiB. `warnings` gets a note when
// the ConfigMap is used (it is applied with --server-side: it is over 256 KiB too).
absl::StatusOr<DescriptorPlacement> PlaceDescriptor(
    const std::string& bytes, const google::protobuf::FileDescriptorSet& set,
    const std::map<std::string, std::string>& file_owner, const edge::v1::EdgeConfig& config,
    const std::string& source, std::vector<std::string>* warnings);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_TRANSCODING_DESCRIPTOR_H_
