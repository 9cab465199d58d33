// The transcoding feature of `edgekit render`: an EnvoyFilter inserting
// envoy.filters.http.grpc_json_transcoder with the descriptor set embedded as
// proto_descriptor_bin (and the compressor first in the same filter when gzip is on),
// plus the gRPC services the VirtualService must route after transcoding.
#ifndef EDGEKIT_CLI_RENDER_TRANSCODING_H_
#define EDGEKIT_CLI_RENDER_TRANSCODING_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/render/feature.h"
#include "cli/render/rendered_file.h"
#include "cli/render/transcoding_descriptor.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

// Fills the unset fields of config->transcoding() (if present) with their defaults.
void ApplyTranscodingDefaults(edge::v1::EdgeConfig* config);

// The checks that need no descriptor: "<source>: transcoding.<path>: <problem>".
absl::Status ValidateTranscodingConfig(const edge::v1::EdgeConfig& config,
                                       const std::string& source,
                                       const Composition* composition = nullptr);

// A gRPC service ("package.Service") the VirtualService sends to `destination` once the
// transcoder has rewritten the path to /package.Service/Method.
struct GrpcServiceRoute {
  std::string service;
  edge::v1::Destination destination;
  std::string team;  // the owning team when composed from team files ("" otherwise)
  // The team's hosts: its gRPC route serves those only (empty: every host), so its
  // transcoded and gRPC traffic reaches it only where its rules run too.
  std::vector<std::string> hosts;
};

struct TranscodingOutput {
  // The EnvoyFilter file (it carries the compressor too when gzip is enabled, and the
  // descriptor's ConfigMap when it is too big to inline).
  std::vector<RenderedFile> files;
  std::vector<GrpcServiceRoute> routes;
  // Set when the descriptor is a ConfigMap the gateway pods must mount.
  std::optional<DescriptorVolume> descriptor_volume;
};

// Builds the descriptor set (compiling transcoding.proto_files, or reading
// transcoding.descriptor; relative paths against context.base_dir), checks the services
// exist, renders transcoding.yaml. Called only when TranscodingEnabled(config), after
// defaults and ValidateTranscodingConfig. Errors: InvalidArgument
// "<source>: transcoding.<path>: <problem>" (proto compile errors come first as
// "file:line:col: message" lines); NotFound / PermissionDenied / Unavailable naming the
// file for I/O. Warnings (descriptor over kClientSideApplyLimitBytes, a listed service
// without bindings, compiler warnings) go to context.warnings.
absl::StatusOr<TranscodingOutput> RenderTranscoding(const edge::v1::EdgeConfig& config,
                                                    const RenderContext& context);

// The feature: Render runs RenderTranscoding and keeps the services for the routes.
class TranscodingFeature final : public Feature {
 public:
  bool Enabled(const edge::v1::EdgeConfig& config) const override;
  void ApplyDefaults(edge::v1::EdgeConfig* config) const override;
  absl::Status Validate(const edge::v1::EdgeConfig& config, const RenderContext& context) override;
  absl::Status Render(const edge::v1::EdgeConfig& config, const RenderContext& context,
                      std::vector<RenderedFile>* files) override;

  // After Render: the gRPC services the VirtualService must route (empty when disabled).
  const std::vector<GrpcServiceRoute>& routes() const { return routes_; }
  // After Render: the ConfigMap volume the gateway pods must mount, if any.
  const std::optional<DescriptorVolume>& descriptor_volume() const { return descriptor_volume_; }

 private:
  std::vector<GrpcServiceRoute> routes_;
  std::optional<DescriptorVolume> descriptor_volume_;
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_TRANSCODING_H_
