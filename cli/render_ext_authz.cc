#include "cli/render_ext_authz.h"

#include "absl/strings/str_cat.h"
#include "cli/manifest_doc.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

std::string RenderServiceEntry(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  Header(d, "networking.istio.io/v1", "ServiceEntry", authz.service_entry_name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  d.StrSeq("hosts", {authz.host()});
  d.KV("location", "MESH_INTERNAL");
  d.Key("ports").Seq().Map().KV("name", "grpc-broker").KV("number", authz.port());
  d.KV("protocol", "GRPC").EndMap().EndSeq();
  d.KV("resolution", "STATIC");
  d.Key("endpoints").Seq().Map().KV("address", "127.0.0.1").EndMap().EndSeq();
  d.EndMap().EndMap();
  return d.Text();
}

std::string RenderAuthorizationPolicy(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  Header(d, "security.istio.io/v1", "AuthorizationPolicy", authz.policy_name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  d.Key("selector").Map().Labels("matchLabels", Sorted(config.gateway().selector())).EndMap();
  d.KV("action", "CUSTOM");
  d.Key("provider").Map().KV("name", authz.provider_name()).EndMap();
  // One rule: the provider is asked unless the path or the client is excluded. Within a
  // rule `to` and `from` are AND'd, so "not excluded path AND not excluded client".
  d.Key("rules").Seq().Map();
  if (authz.excluded_paths_size() > 0) {
    d.Key("to").Seq().Map().Key("operation").Map();
    d.StrSeq("notPaths", {authz.excluded_paths().begin(), authz.excluded_paths().end()});
    d.EndMap().EndMap().EndSeq();
  }
  if (authz.excluded_cidrs_size() > 0) {
    d.Key("from").Seq().Map().Key("source").Map();
    d.StrSeq("notIpBlocks", {authz.excluded_cidrs().begin(), authz.excluded_cidrs().end()});
    d.EndMap().EndMap().EndSeq();
  }
  d.EndMap().EndSeq();
  d.EndMap().EndMap();
  return d.Text();
}

void ExtensionProviders(Doc& d, const edge::v1::ExtAuthz& authz) {
  d.Key("extensionProviders").Seq().Map().KV("name", authz.provider_name());
  d.Key("envoyExtAuthzGrpc").Map();
  d.KV("service", authz.host());
  d.KV("port", authz.port());
  d.KV("timeout", authz.timeout());
  d.KV("failOpen", authz.fail_open());
  d.KV("statusOnError", absl::StrCat(authz.status_on_error()));
  d.EndMap().EndMap().EndSeq();
}

std::string RenderIstioOperator(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  Header(d, "install.istio.io/v1alpha1", "IstioOperator", authz.provider_name(),
         authz.istio_namespace());
  d.Key("spec").Map().Key("meshConfig").Map();
  ExtensionProviders(d, authz);
  d.EndMap().EndMap().EndMap();
  return d.Text(
      "# IstioOperator overlay for `istioctl install -f`: registers the edgekit broker as a\n"
      "# meshConfig extension provider. extensionProviders is a list and overlays replace\n"
      "# it: merge in any providers you already have.\n");
}

std::string RenderIstiodValues(const EdgeConfig& config) {
  Doc d;
  d.Map().Key("meshConfig").Map();
  ExtensionProviders(d, config.ext_authz());
  d.EndMap().EndMap();
  return d.Text(
      "# istiod Helm values (not a Kubernetes object): `helm upgrade istiod istio/istiod\n"
      "# -n " + config.ext_authz().istio_namespace() +
      " --reuse-values -f` this file. Registers the edgekit broker as a\n"
      "# meshConfig extension provider; merge in any providers you already have.\n");
}

std::string RenderBrokerConfig(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  d.Map().KV("listen", absl::StrCat("127.0.0.1:", authz.port()));
  d.Key("upstream").Map().KV("target", authz.upstream_target()).EndMap();
  d.EndMap();
  return d.Text(
      "# edgekit broker config (not a Kubernetes object): the file given to the broker's\n"
      "# --config, e.g. from a ConfigMap mounted in the gateway pod. `listen` must match\n"
      "# the ServiceEntry port.\n");
}

}  // namespace

std::vector<RenderedFile> RenderExtAuthzFiles(const EdgeConfig& config) {
  return {
      {"ext-authz.yaml", {RenderServiceEntry(config), RenderAuthorizationPolicy(config)}},
      {"ext-authz-istio-operator.yaml", {RenderIstioOperator(config)}},
      {"ext-authz-istiod-values.yaml", {RenderIstiodValues(config)}},
      {"broker.yaml", {RenderBrokerConfig(config)}},
  };
}

}  // namespace edgekit::cli
