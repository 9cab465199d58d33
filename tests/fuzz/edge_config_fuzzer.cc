// libFuzzer target: edge.yaml text through what `edgekit render -f edge.yaml` does
// (cli/commands/render_command.cc): load (LoadEdgeConfigText, the text half of LoadEdgeConfig),
// apply defaults, ValidateEdgeConfig, then render. Transcoding is left out of the run: it
// compiles the .proto files edge.yaml names from disk (protobuf's own compiler), which
// would make runs depend on the machine's files.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/edge/edge_config.h"
#include "cli/render/pipeline.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string source = "edge.yaml";
  absl::StatusOr<edgekit::edge::v1::EdgeConfig> loaded =
      edgekit::cli::LoadEdgeConfigText(text, source);
  if (!loaded.ok()) {
    edgekit::fuzz::CheckErrorHasMessage(loaded.status(), "LoadEdgeConfigText");
    return 0;
  }
  edgekit::edge::v1::EdgeConfig config = *std::move(loaded);
  config.clear_transcoding();
  edgekit::cli::ApplyEdgeDefaults(&config);
  absl::Status valid = edgekit::cli::ValidateEdgeConfig(config, source);
  edgekit::fuzz::CheckErrorHasMessage(valid, "ValidateEdgeConfig");
  if (!valid.ok()) return 0;
  std::vector<std::string> warnings;
  edgekit::cli::RenderContext context;
  context.base_dir = "/nonexistent-edgekit-fuzz";  // no file the input names is found
  context.warnings = &warnings;
  context.source = source;
  edgekit::fuzz::CheckErrorHasMessage(edgekit::cli::RenderEdgeConfig(config, context).status(),
                                      "RenderEdgeConfig");
  return 0;
}
