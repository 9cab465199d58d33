#include "cli/render/gateway_topology.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cli/edge/edge_config.h"
#include "cli/render/gateway_parameters.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"

namespace edgekit::cli {

bool GatewayTopologyFeature::Enabled(const edge::v1::EdgeConfig& config) const {
  return config.gateway().has_num_trusted_proxies() ||
         (transcoding_ != nullptr && transcoding_->descriptor_volume().has_value()) ||
         GatewayNeedsBrokerContainer(config);
}

absl::Status GatewayTopologyFeature::Render(const edge::v1::EdgeConfig& config,
                                            const RenderContext& /*context*/,
                                            std::vector<RenderedFile>* files) {
  const edge::v1::Gateway& gateway = config.gateway();
  if (IsGatewayApi(config)) {
    const std::optional<DescriptorVolume> none;
    files->push_back(RenderGatewayParameters(
        config, transcoding_ != nullptr ? transcoding_->descriptor_volume() : none, *files));
    return absl::OkStatus();
  }
  std::string comment = absl::StrCat(FindOutputFile(kGatewayValuesFile)->first_line, "\n",
                                     "# istio/gateway -n ", gateway.namespace_(),
                                     " --reuse-values -f` this file (merge into your values;\n"
                                     "# Helm replaces lists, so merge `volumes` and "
                                     "`volumeMounts` with yours).\n");
  Doc d;
  d.Map();
  if (gateway.has_num_trusted_proxies()) {
    d.Key("podAnnotations").Map();
    // The annotation's value is a ProxyConfig; it replaces meshConfig.defaultConfig's
    // gatewayTopology for these pods only.
    d.KV("proxy.istio.io/config", absl::StrCat("{\"gatewayTopology\": {\"numTrustedProxies\": ",
                                               gateway.num_trusted_proxies(), "}}"));
    d.EndMap();
    absl::StrAppend(&comment, "# The gateway takes the client address from x-forwarded-for past ",
                    gateway.num_trusted_proxies(),
                    " trusted\n# proxies (Istio gatewayTopology.numTrustedProxies); restart its "
                    "pods to apply.\n");
  }
  if (transcoding_ != nullptr && transcoding_->descriptor_volume().has_value()) {
    const DescriptorVolume& volume = *transcoding_->descriptor_volume();
    d.Key("volumes").Seq().Map().KV("name", volume.volume_name);
    d.Key("configMap").Map().KV("name", volume.config_map).EndMap();
    d.EndMap().EndSeq();
    // istio/gateway's `volumeMounts` go to the istio-proxy container: Envoy reads the file.
    d.Key("volumeMounts").Seq().Map().KV("name", volume.volume_name);
    d.KV("mountPath", kDescriptorMountPath).KV("readOnly", true);
    d.EndMap().EndSeq();
    absl::StrAppend(&comment, "# The transcoder's descriptor set is ConfigMap ", volume.config_map,
                    ", mounted at\n# ", kDescriptorMountPath,
                    " in istio-proxy (the EnvoyFilter reads ", volume.file_path, ").\n");
  }
  d.EndMap();
  files->push_back({kGatewayValuesFile, {d.Text(comment)}});
  return absl::OkStatus();
}

}  // namespace edgekit::cli
