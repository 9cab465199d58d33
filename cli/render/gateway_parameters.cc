// gateway-parameters.yaml (gateway_parameters.h).
#include "cli/render/gateway_parameters.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "cli/edge/edge_config.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"

namespace edgekit::cli {
namespace {

// The broker's config volume, named as the chart names it (its container mounts it).
constexpr char kBrokerConfigVolume[] = "edgekit-broker-config";
constexpr char kBrokerConfigDir[] = "/etc/edgekit-broker";
constexpr uint32_t kBrokerMetricsPort = 9464;  // broker.yaml's metrics_listen default

void EmitProbe(Doc& d, const char* key, const char* path, uint32_t failures, uint32_t period) {
  d.Key(key).Map();
  d.Key("httpGet").Map().KV("path", path).KV("port", kBrokerMetricsPort).EndMap();
  d.KV("failureThreshold", failures).KV("initialDelaySeconds", 0u);
  d.KV("periodSeconds", period).KV("timeoutSeconds", 2u);
  d.EndMap();
}

// The container charts/edgekit-gateway renders with its default values (the chart test
// compares the two field by field), with ext_authz.broker_image.
void EmitBrokerContainer(Doc& d, const edge::v1::EdgeConfig& config) {
  d.Map().KV("name", "edgekit-broker").KV("image", config.ext_authz().broker_image());
  d.KV("imagePullPolicy", "IfNotPresent");
  d.StrSeq("command", {"/usr/local/bin/edgekit-broker"});
  // Keep answering Checks for 5s after SIGTERM: istio-proxy drains for its
  // terminationDrainDuration (default 5s) and still calls ext_authz meanwhile.
  d.StrSeq("args",
           {absl::StrCat("--config=", kBrokerConfigDir, "/broker.yaml"), "--shutdown-delay=5s"});
  d.Key("ports").Seq().Map().KV("name", "broker-metrics").KV("containerPort", kBrokerMetricsPort);
  d.KV("protocol", "TCP").EndMap().EndSeq();
  EmitProbe(d, "livenessProbe", "/healthz", 3, 10);
  EmitProbe(d, "readinessProbe", "/readyz", 2, 5);  // 503 while no auth endpoint is connected
  // Sized as the chart's (README, "Sizing the broker").
  d.Key("resources").Map();
  d.Key("limits").Map().KV("cpu", "2").KV("memory", "256Mi").EndMap();
  d.Key("requests").Map().KV("cpu", "500m").KV("memory", "64Mi").EndMap();
  d.EndMap();
  d.Key("securityContext").Map().KV("allowPrivilegeEscalation", false);
  d.Key("capabilities").Map().StrSeq("drop", {"ALL"}).EndMap();
  d.KV("privileged", false).KV("readOnlyRootFilesystem", true);
  d.KV("runAsGroup", 65532u).KV("runAsNonRoot", true).KV("runAsUser", 65532u);
  d.Key("seccompProfile").Map().KV("type", "RuntimeDefault").EndMap();
  d.EndMap();
  d.Key("volumeMounts").Seq().Map().KV("name", kBrokerConfigVolume);
  d.KV("mountPath", kBrokerConfigDir).KV("readOnly", true).EndMap().EndSeq();
  d.EndMap();
}

const RenderedFile* Find(const std::vector<RenderedFile>& files, const char* name) {
  for (const RenderedFile& f : files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

bool GatewayNeedsBrokerContainer(const edge::v1::EdgeConfig& config) {
  return IsGatewayApi(config) && ExtAuthzEnabled(config) && !IsLoopbackMode(config.ext_authz());
}

RenderedFile RenderGatewayParameters(const edge::v1::EdgeConfig& config,
                                     const std::optional<DescriptorVolume>& volume,
                                     const std::vector<RenderedFile>& rendered) {
  const edge::v1::Gateway& gateway = config.gateway();
  const std::string name = absl::StrCat(gateway.name(), "-edgekit");
  // Named after the Gateway: two gateways' brokers in one namespace keep their configs.
  const std::string broker_config_map = absl::StrCat(gateway.name(), "-edgekit-broker");
  const RenderedFile* broker_config =
      GatewayNeedsBrokerContainer(config) ? Find(rendered, kBrokerConfigFile) : nullptr;

  Doc overlay;
  overlay.Map().Key("spec").Map().Key("template").Map();
  if (gateway.has_num_trusted_proxies()) {
    overlay.Key("metadata").Map().Key("annotations").Map();
    overlay.KV("proxy.istio.io/config",
               absl::StrCat("{\"gatewayTopology\": {\"numTrustedProxies\": ",
                            gateway.num_trusted_proxies(), "}}"));
    overlay.EndMap().EndMap();
  }
  if (volume.has_value() || broker_config != nullptr) {
    overlay.Key("spec").Map();
    overlay.Key("containers").Seq();
    if (volume.has_value()) {  // merged into Istio's container by name
      overlay.Map().KV("name", "istio-proxy");
      overlay.Key("volumeMounts").Seq().Map().KV("name", volume->volume_name);
      overlay.KV("mountPath", kDescriptorMountPath).KV("readOnly", true);
      overlay.EndMap().EndSeq().EndMap();
    }
    if (broker_config != nullptr) EmitBrokerContainer(overlay, config);
    overlay.EndSeq();
    overlay.Key("volumes").Seq();
    if (volume.has_value()) {
      overlay.Map().KV("name", volume->volume_name);
      overlay.Key("configMap").Map().KV("name", volume->config_map).EndMap().EndMap();
    }
    if (broker_config != nullptr) {
      overlay.Map().KV("name", kBrokerConfigVolume);
      overlay.Key("configMap").Map().KV("name", broker_config_map).EndMap().EndMap();
    }
    overlay.EndSeq();
    // The broker's shutdown delay (5s) + drain_timeout (10s) + margin, as the chart's.
    if (broker_config != nullptr) overlay.KV("terminationGracePeriodSeconds", 30u);
    overlay.EndMap();
  }
  overlay.EndMap().EndMap().EndMap();

  Doc d;
  Header(d, "v1", "ConfigMap", name, gateway.namespace_());
  d.Key("data").Map().Literal("deployment", overlay.Text()).EndMap();
  d.EndMap();
  RenderedFile file{
      kGatewayParametersFile,
      {d.Text(absl::StrCat("# Customises the gateway Istio deploys for the Gateway ",
                           gateway.namespace_(), "/", gateway.name(),
                           " (Istio >= 1.26).\n# The Gateway must name it:\n"
                           "#   spec:\n#     infrastructure:\n#       parametersRef: {group: \"\", "
                           "kind: ConfigMap, name: ",
                           name, "}\n"))}};
  if (broker_config != nullptr) {
    Doc c;
    Header(c, "v1", "ConfigMap", broker_config_map, gateway.namespace_());
    c.Key("data").Map().Literal("broker.yaml", broker_config->documents.at(0)).EndMap();
    c.EndMap();
    file.documents.push_back(
        c.Text("# The broker's config (broker.yaml), mounted into its container; the broker\n"
               "# reloads it when the ConfigMap changes.\n"));
  }
  return file;
}

}  // namespace edgekit::cli
