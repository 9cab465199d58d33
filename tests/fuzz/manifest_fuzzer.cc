// libFuzzer target: `edgekit validate` on one input's text against Istio's real CRDs
// (loaded once): the YAML loader, the CRD schema checker, the Istio semantic checks and
// the finding messages (ValidateManifestText, what RunValidate does per file).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "cli/validate/crd_validator.h"
#include "cli/validate/manifest_validation.h"
#include "tests/fuzz/fuzz_check.h"

namespace {
const edgekit::cli::CrdRegistry* registry = nullptr;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* from_env = std::getenv("EDGEKIT_CRDS");
  const std::string path = from_env != nullptr ? from_env : EDGEKIT_ISTIO_CRDS;
  auto loaded = edgekit::cli::CrdRegistry::FromFile(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "manifest_fuzzer: cannot load the CRDs (%s); set EDGEKIT_CRDS\n",
                 std::string(loaded.status().message()).c_str());
    std::exit(1);
  }
  registry = new edgekit::cli::CrdRegistry(*std::move(loaded));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  edgekit::cli::ValidationResult result;
  int documents = 0;
  const absl::Status status =
      edgekit::cli::ValidateManifestText(*registry, text, "fuzz.yaml", {}, &result, &documents);
  edgekit::fuzz::CheckErrorHasMessage(status, "ValidateManifestText");
  // The messages are built from the input (paths, quoted values): build them too.
  for (const edgekit::cli::Finding& finding : result.findings) {
    if (edgekit::cli::FormatFinding("fuzz.yaml", finding).empty()) std::abort();
  }
  return 0;
}
