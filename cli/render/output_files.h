// Every file `edgekit render` can write, in the order the stream and the set list them,
// with what each one is. The one place output file names are spelled: features refer to
// the constants, the writer (output_writer.h) to the table.
#ifndef EDGEKIT_CLI_RENDER_OUTPUT_FILES_H_
#define EDGEKIT_CLI_RENDER_OUTPUT_FILES_H_

#include <string_view>

namespace edgekit::cli {

inline constexpr char kGzipFile[] = "gzip.yaml";
inline constexpr char kTranscodingFile[] = "transcoding.yaml";
inline constexpr char kRoutesFile[] = "routes.yaml";
inline constexpr char kDirectResponseWasmFile[] = "direct-response-wasm.yaml";
inline constexpr char kExtAuthzFile[] = "ext-authz.yaml";
inline constexpr char kIstioOperatorFile[] = "ext-authz-istio-operator.yaml";
inline constexpr char kIstiodValuesFile[] = "ext-authz-istiod-values.yaml";
inline constexpr char kBrokerConfigFile[] = "broker.yaml";
inline constexpr char kGatewayValuesFile[] = "gateway-values.yaml";
inline constexpr char kGatewayParametersFile[] = "gateway-parameters.yaml";

struct OutputFileSpec {
  const char* name;
  // True for files of cluster objects (what `kubectl apply` takes); false for inputs of
  // other tools (istioctl, helm, the broker), which the default stream leaves out.
  bool cluster_objects;
  // For the other files: the comment line render starts them with (after "---"), which
  // marks a file as edgekit's when an earlier render's output is replaced.
  const char* first_line;
};

inline constexpr OutputFileSpec kOutputFiles[] = {
    {kGzipFile, true, nullptr},
    {kTranscodingFile, true, nullptr},
    {kRoutesFile, true, nullptr},
    {kDirectResponseWasmFile, true, nullptr},
    {kExtAuthzFile, true, nullptr},
    {kIstioOperatorFile, false,
     "# IstioOperator overlay for `istioctl install -f`: registers the ext_authz service as a"},
    {kIstiodValuesFile, false,
     "# istiod Helm values (not a Kubernetes object): `helm upgrade istiod istio/istiod"},
    {kBrokerConfigFile, false,
     "# edgekit broker config (not a Kubernetes object): the file given to the broker's"},
    {kGatewayValuesFile, false,
     "# istio/gateway Helm values (not a Kubernetes object): `helm upgrade <gateway>"},
    {kGatewayParametersFile, true, nullptr},
};

// The entry for `name`, or nullptr when render never writes such a file.
inline const OutputFileSpec* FindOutputFile(std::string_view name) {
  for (const OutputFileSpec& spec : kOutputFiles) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

// Position of `name` in kOutputFiles (files are written in this order).
inline int OutputFileRank(std::string_view name) {
  int rank = 0;
  for (const OutputFileSpec& spec : kOutputFiles) {
    if (name == spec.name) return rank;
    ++rank;
  }
  return rank;
}

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_OUTPUT_FILES_H_
