#include "cli/render_transcoding.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;

bool TranscodingEnabled(const EdgeConfig& config) {
  return config.has_transcoding() &&
         (!config.transcoding().has_enabled() || config.transcoding().enabled());
}

void ApplyTranscodingDefaults(EdgeConfig* config) {}

absl::Status ValidateTranscodingConfig(const EdgeConfig& config, const std::string& source) {
  return absl::OkStatus();
}

absl::StatusOr<TranscodingOutput> RenderTranscoding(const EdgeConfig& config,
                                                    const RenderContext& context) {
  return absl::UnimplementedError("transcoding: not implemented yet");
}

}  // namespace edgekit::cli
