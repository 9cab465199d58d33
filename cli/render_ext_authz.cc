#include "cli/render_ext_authz.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
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
  d.Key("ports").Seq().Map();
  d.KV("name", IsLoopbackMode(authz) ? "grpc-authz-loopback" : "grpc-broker");
  d.KV("number", authz.port());
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
  // In loopback mode the loopback listener's own requests (the Check calls) are excluded
  // by port, or each Check would be sent to ext_authz again.
  d.Key("rules").Seq().Map();
  const bool loopback = IsLoopbackMode(authz);
  if (authz.excluded_paths_size() > 0 || loopback) {
    d.Key("to").Seq().Map().Key("operation").Map();
    if (authz.excluded_paths_size() > 0) {
      d.StrSeq("notPaths", {authz.excluded_paths().begin(), authz.excluded_paths().end()});
    }
    if (loopback) d.StrSeq("notPorts", {absl::StrCat(authz.port())});
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
      "# IstioOperator overlay for `istioctl install -f`: registers the ext_authz service as a\n"
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
      " --reuse-values -f` this file. Registers the ext_authz service as a\n"
      "# meshConfig extension provider; merge in any providers you already have.\n");
}

// Written from the very message ValidateEdgeConfig checks with the broker's own
// ValidateBrokerConfig: what is checked is what is written.
std::string RenderBrokerConfig(const EdgeConfig& config) {
  Doc d;
  d.Message(BrokerConfigFor(config.ext_authz()));
  return d.Text(
      "# edgekit broker config (not a Kubernetes object): the file given to the broker's\n"
      "# --config, e.g. from a ConfigMap mounted in the gateway pod. `listen` must match\n"
      "# the ServiceEntry port.\n");
}

// --- mode "loopback" (see ExtAuthzLoopback in edge_config.proto for why and its limits)

constexpr char kLoopbackComment[] =
    "# ext_authz \"loopback\" mode: Check calls go to a listener of this gateway (port\n"
    "# below, reached at 127.0.0.1 through the ServiceEntry) whose route hedges them with\n"
    "# Envoy's hedge_policy. Limits: the hedge delay is the fixed per-try timeout, not the\n"
    "# observed p95; there is no hedge budget; each Check crosses the gateway twice; the\n"
    "# port also listens on the pod IP (keep it out of the gateway Service, restrict it\n"
    "# with a NetworkPolicy). The edgekit broker (mode \"broker\") has none of these.\n";

std::string RenderLoopbackGateway(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  Header(d, "networking.istio.io/v1", "Gateway", authz.loopback().name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  d.Labels("selector", Sorted(config.gateway().selector()));
  d.Key("servers").Seq().Map();
  d.Key("port").Map().KV("number", authz.port()).KV("name", "grpc-authz-loopback");
  d.KV("protocol", "GRPC").EndMap();
  d.StrSeq("hosts", {authz.host()});
  d.EndMap().EndSeq();
  d.EndMap().EndMap();
  return d.Text(kLoopbackComment);
}

std::string RenderLoopbackVirtualService(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  const edge::v1::ExtAuthzLoopback& loopback = authz.loopback();
  absl::StatusOr<HostPort> upstream = UpstreamHostPort(authz.upstream_target());
  Doc d;
  Header(d, "networking.istio.io/v1", "VirtualService", loopback.name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  d.StrSeq("hosts", {authz.host()});
  d.StrSeq("gateways", {loopback.name()});
  d.Key("http").Seq().Map().KV("name", "authz");
  d.Key("route").Seq().Map().Key("destination").Map().KV("host", upstream->host);
  d.Key("port").Map().KV("number", upstream->port).EndMap();
  d.EndMap().EndMap().EndSeq();  // destination, route item, route
  // Envoy hedges on the per-try timeout: a try unanswered by then gets a second one
  // alongside (the VirtualHost's hedge_policy, below), the first answer wins.
  d.Key("retries").Map().KV("attempts", loopback.attempts() - 1);
  d.KV("perTryTimeout", loopback.per_try_timeout()).KV("retryOn", loopback.retry_on());
  d.EndMap();
  d.KV("timeout", authz.timeout());
  d.EndMap().EndSeq();  // http item, http
  d.EndMap().EndMap();
  return d.Text();
}

std::string RenderLoopbackHedgeFilter(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  Header(d, "networking.istio.io/v1alpha3", "EnvoyFilter", authz.loopback().name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  d.Key("workloadSelector").Map().Labels("labels", Sorted(config.gateway().selector())).EndMap();
  d.Key("configPatches").Seq().Map();
  d.KV("applyTo", "VIRTUAL_HOST");
  d.Key("match").Map().KV("context", "GATEWAY");
  // Istio names a gateway's virtual hosts "<host>:<port>".
  d.Key("routeConfiguration").Map().KV("portNumber", authz.port());
  d.Key("vhost").Map().KV("name", absl::StrCat(authz.host(), ":", authz.port())).EndMap();
  d.EndMap().EndMap();  // routeConfiguration, match
  d.Key("patch").Map().KV("operation", "MERGE");
  d.Key("value").Map().Key("hedge_policy").Map().KV("hedge_on_per_try_timeout", true);
  d.EndMap().EndMap().EndMap();  // hedge_policy, value, patch
  d.EndMap().EndSeq();
  d.EndMap().EndMap();
  return d.Text();
}

}  // namespace

bool IsLoopbackMode(const edge::v1::ExtAuthz& authz) { return authz.mode() == "loopback"; }

absl::StatusOr<HostPort> UpstreamHostPort(const std::string& target) {
  absl::string_view rest = target;
  absl::ConsumePrefix(&rest, "dns:///");
  absl::StatusOr<HostPort> parsed = ParseHostPort(rest);
  if (!parsed.ok() || parsed->port == 0 || absl::StrContains(rest, '/')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", target, "\" is not HOST:PORT or dns:///HOST:PORT (loopback mode routes to it "
        "through Istio, which needs a host and port)"));
  }
  HostPort result = *std::move(parsed);
  for (char c : result.host) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '.')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", target, "\" is not HOST:PORT or dns:///HOST:PORT with a DNS name (loopback "
          "mode routes to it through Istio, which needs one host and port)"));
    }
  }
  return result;
}

std::vector<RenderedFile> RenderExtAuthzFiles(const EdgeConfig& config) {
  if (IsLoopbackMode(config.ext_authz())) {
    return {
        {"ext-authz.yaml",
         {RenderServiceEntry(config), RenderAuthorizationPolicy(config),
          RenderLoopbackGateway(config), RenderLoopbackVirtualService(config),
          RenderLoopbackHedgeFilter(config)}},
        {"ext-authz-istio-operator.yaml", {RenderIstioOperator(config)}},
        {"ext-authz-istiod-values.yaml", {RenderIstiodValues(config)}},
    };
  }
  return {
      {"ext-authz.yaml", {RenderServiceEntry(config), RenderAuthorizationPolicy(config)}},
      {"ext-authz-istio-operator.yaml", {RenderIstioOperator(config)}},
      {"ext-authz-istiod-values.yaml", {RenderIstiodValues(config)}},
      {"broker.yaml", {RenderBrokerConfig(config)}},
  };
}

edgekit::broker::v1::BrokerConfig BrokerConfigFor(const edge::v1::ExtAuthz& authz) {
  edgekit::broker::v1::BrokerConfig broker;
  broker.set_listen(absl::StrCat("127.0.0.1:", authz.port()));
  broker.mutable_upstream()->set_target(authz.upstream_target());
  if (authz.has_hedging()) *broker.mutable_hedging() = authz.hedging();
  return broker;
}

}  // namespace edgekit::cli
