#include "cli/render/gateway_topology.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"

namespace edgekit::cli {

bool GatewayTopologyFeature::Enabled(const edge::v1::EdgeConfig& config) const {
  return config.gateway().has_num_trusted_proxies();
}

absl::Status GatewayTopologyFeature::Render(const edge::v1::EdgeConfig& config,
                                            const RenderContext& /*context*/,
                                            std::vector<RenderedFile>* files) {
  Doc d;
  d.Map().Key("podAnnotations").Map();
  // The annotation's value is a ProxyConfig; it replaces meshConfig.defaultConfig's
  // gatewayTopology for these pods only.
  d.KV("proxy.istio.io/config", absl::StrCat("{\"gatewayTopology\": {\"numTrustedProxies\": ",
                                             config.gateway().num_trusted_proxies(), "}}"));
  d.EndMap().EndMap();
  files->push_back(
      {kGatewayValuesFile,
       {d.Text(absl::StrCat(FindOutputFile(kGatewayValuesFile)->first_line, "\n",
                            "# istio/gateway -n ", config.gateway().namespace_(),
                            " --reuse-values -f` this file (merge into your values). The\n"
                            "# gateway then takes the client address from x-forwarded-for past ",
                            config.gateway().num_trusted_proxies(),
                            " trusted\n# proxies (Istio gatewayTopology.numTrustedProxies); "
                            "restart its pods to apply.\n"))}});
  return absl::OkStatus();
}

}  // namespace edgekit::cli
