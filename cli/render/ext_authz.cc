#include "cli/render/ext_authz.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "broker/config.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/defaults.h"
#include "cli/edge/edge_config.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/gateway_attachment.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"

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
  EmitGatewayAttachment(d, config, SelectorStyle::kSelector);
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

// meshConfig.pathNormalization, when gateway.path_normalization is set.
void PathNormalization(Doc& d, const EdgeConfig& config) {
  if (!config.gateway().has_path_normalization()) return;
  d.Key("pathNormalization").Map();
  d.KV("normalization",
       edge::v1::Gateway::PathNormalization_Name(config.gateway().path_normalization()));
  d.EndMap();
}

std::string RenderIstioOperator(const EdgeConfig& config) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  Doc d;
  Header(d, "install.istio.io/v1alpha1", "IstioOperator", authz.provider_name(),
         authz.istio_namespace());
  d.Key("spec").Map().Key("meshConfig").Map();
  ExtensionProviders(d, authz);
  PathNormalization(d, config);
  d.EndMap().EndMap().EndMap();
  return d.Text(absl::StrCat(
      FindOutputFile(kIstioOperatorFile)->first_line, "\n",
      "# meshConfig extension provider. extensionProviders is a list and overlays replace\n"
      "# it: merge in any providers you already have.\n"));
}

std::string RenderIstiodValues(const EdgeConfig& config) {
  Doc d;
  d.Map().Key("meshConfig").Map();
  ExtensionProviders(d, config.ext_authz());
  PathNormalization(d, config);
  d.EndMap().EndMap();
  return d.Text(
      absl::StrCat(FindOutputFile(kIstiodValuesFile)->first_line, "\n", "# -n ",
                   config.ext_authz().istio_namespace(),
                   " --reuse-values -f` this file. Registers the ext_authz service as a\n"
                   "# meshConfig extension provider; merge in any providers you already have.\n"));
}

// Written from the very message ValidateEdgeConfig checks with the broker's own
// ValidateBrokerConfig: what is checked is what is written.
std::string RenderBrokerConfig(const EdgeConfig& config, bool with_rules) {
  Doc d;
  d.Message(BrokerConfigFor(config, with_rules));
  return d.Text(absl::StrCat(
      FindOutputFile(kBrokerConfigFile)->first_line, "\n",
      "# --config, e.g. from a ConfigMap mounted in the gateway pod. `listen` must match\n"
      "# the ServiceEntry port.\n"));
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
  EmitGatewayAttachment(d, config, SelectorStyle::kWorkloadSelector);
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

absl::Status ValidateLoopback(const edge::v1::ExtAuthz& authz, const std::string& source) {
  const edge::v1::ExtAuthzLoopback& loopback = authz.loopback();
  if (authz.has_hedging()) {
    return ConfigError(source, "ext_authz.hedging",
                       "broker hedging settings do not apply to mode \"loopback\" (use "
                       "ext_authz.loopback.per_try_timeout and attempts)");
  }
  if (absl::Status s = CheckKubernetesName(source, "ext_authz.loopback.name", loopback.name());
      !s.ok()) {
    return s;
  }
  absl::Duration per_try;
  if (!ParseIstioDuration(loopback.per_try_timeout(), &per_try)) {
    return ConfigError(source, "ext_authz.loopback.per_try_timeout",
                       absl::StrCat("\"", loopback.per_try_timeout(), "\" ", kIstioDurationRule));
  }
  absl::Duration timeout;
  if (absl::ParseDuration(authz.timeout(), &timeout) && per_try >= timeout) {
    return ConfigError(source, "ext_authz.loopback.per_try_timeout",
                       absl::StrCat(loopback.per_try_timeout(), " is not below ext_authz.timeout (",
                                    authz.timeout(), "): no hedge could ever be sent"));
  }
  if (absl::Status s = CheckRange(source, "ext_authz.loopback.attempts", loopback.attempts(), 2, 5);
      !s.ok()) {
    return s;
  }
  for (absl::string_view condition : absl::StrSplit(loopback.retry_on(), ',')) {
    if (!IsHttpToken(condition)) {
      return ConfigError(
          source, "ext_authz.loopback.retry_on",
          absl::StrCat("\"", loopback.retry_on(),
                       "\" is not a comma-separated list of Envoy retry conditions"));
    }
  }
  absl::StatusOr<HostPort> upstream = UpstreamHostPort(authz.upstream_target());
  if (!upstream.ok()) {
    return ConfigError(source, "ext_authz.upstream_target",
                       std::string(upstream.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostPort> UpstreamHostPort(const std::string& target) {
  absl::string_view rest = target;
  absl::ConsumePrefix(&rest, "dns:///");
  absl::StatusOr<HostPort> parsed = ParseHostPort(rest);
  if (!parsed.ok() || parsed->port == 0 || absl::StrContains(rest, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", target,
                     "\" is not HOST:PORT or dns:///HOST:PORT (loopback mode routes to it "
                     "through Istio, which needs a host and port)"));
  }
  HostPort result = *std::move(parsed);
  for (char c : result.host) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '.')) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", target,
                       "\" is not HOST:PORT or dns:///HOST:PORT with a DNS name (loopback "
                       "mode routes to it through Istio, which needs one host and port)"));
    }
  }
  return result;
}

std::vector<RenderedFile> RenderExtAuthzFiles(const EdgeConfig& config, bool with_rules) {
  if (IsLoopbackMode(config.ext_authz())) {
    return {
        {kExtAuthzFile,
         {RenderServiceEntry(config), RenderAuthorizationPolicy(config),
          RenderLoopbackGateway(config), RenderLoopbackVirtualService(config),
          RenderLoopbackHedgeFilter(config)}},
        {kIstioOperatorFile, {RenderIstioOperator(config)}},
        {kIstiodValuesFile, {RenderIstiodValues(config)}},
    };
  }
  return {
      {kExtAuthzFile, {RenderServiceEntry(config), RenderAuthorizationPolicy(config)}},
      {kIstioOperatorFile, {RenderIstioOperator(config)}},
      {kIstiodValuesFile, {RenderIstiodValues(config)}},
      {kBrokerConfigFile, {RenderBrokerConfig(config, with_rules)}},
  };
}

edgekit::broker::v1::BrokerConfig BrokerConfigFor(const EdgeConfig& config, bool with_rules) {
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  edgekit::broker::v1::BrokerConfig broker;
  broker.set_listen(absl::StrCat("127.0.0.1:", authz.port()));
  const bool rules_only = IsRulesOnlyBroker(config);
  if (!rules_only) broker.mutable_upstream()->set_target(authz.upstream_target());
  if (authz.has_hedging()) *broker.mutable_hedging() = authz.hedging();
  if (with_rules) {
    edgekit::broker::v1::DirectResponses* direct = broker.mutable_direct_responses();
    *direct->mutable_hosts() = config.gateway().hosts();
    *direct->mutable_rules() = config.direct_responses().rules();
    if (config.gateway().has_num_trusted_proxies()) {
      direct->set_num_trusted_proxies(config.gateway().num_trusted_proxies());
    }
    if (rules_only) direct->set_rules_only(true);
    // Per rule, dry_run is in the rules copied above; this is the whole section's.
    if (config.direct_responses().dry_run()) direct->set_dry_run(true);
  }
  return broker;
}

bool ExtAuthzFeature::RulesInBroker(const EdgeConfig& config) const {
  return DirectResponsesEnabled(config) && direct_ != nullptr && direct_->compiled().in_broker;
}

bool ExtAuthzFeature::Enabled(const EdgeConfig& config) const { return ExtAuthzEnabled(config); }

void ExtAuthzFeature::ApplyDefaults(EdgeConfig* config) const {
  // A rules-only broker is wired as ext_authz through the broker, with no auth service.
  if (!config->has_ext_authz() && DirectResponsesEnabled(*config) &&
      config->direct_responses().engine() == edge::v1::DirectResponses::BROKER) {
    config->mutable_ext_authz();
  }
  if (!config->has_ext_authz()) return;
  edge::v1::ExtAuthz* authz = config->mutable_ext_authz();
  ApplyDeclaredDefaults(authz);
  const bool loopback = IsLoopbackMode(*authz);
  if (loopback) ApplyDeclaredDefaults(authz->mutable_loopback());
  // The two defaults that depend on the mode: the ServiceEntry is named after what it
  // puts in the registry, the broker (named as its extension provider) or the gateway's
  // own loopback listener, and its host is that name under .local.
  const std::string entry_name =
      loopback ? DeclaredDefault(edge::v1::ExtAuthzLoopback::descriptor(), "name")
               : DeclaredDefault(edge::v1::ExtAuthz::descriptor(), "provider_name");
  if (!authz->has_service_entry_name()) authz->set_service_entry_name(entry_name);
  if (!authz->has_host()) authz->set_host(entry_name + ".local");
}

absl::Status ExtAuthzFeature::Validate(const EdgeConfig& config, const RenderContext& context) {
  const std::string& source = context.source;
  const edge::v1::ExtAuthz& authz = config.ext_authz();
  if (IsLoopbackMode(authz) && IsGatewayApi(config)) {
    // The loopback listener is an Istio Gateway selecting the gateway's pods, and its
    // hedging a VirtualService bound to it: neither exists for a Gateway API Gateway.
    return ConfigError(source, "ext_authz.mode",
                       "loopback needs an Istio Gateway for its listener: on gateway.api "
                       "gateway-api use mode broker (the default)");
  }
  if (absl::Status s =
          CheckKubernetesName(source, "ext_authz.provider_name", authz.provider_name());
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckKubernetesName(source, "ext_authz.service_entry_name", authz.service_entry_name());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckKubernetesName(source, "ext_authz.policy_name", authz.policy_name());
      !s.ok()) {
    return s;
  }
  if (!IsDns1123Label(authz.istio_namespace())) {
    return ConfigError(source, "ext_authz.istio_namespace",
                       absl::StrCat("\"", authz.istio_namespace(),
                                    "\" is not a valid Kubernetes namespace (RFC 1123 label)"));
  }
  if (absl::Status s = CheckRange(source, "ext_authz.port", authz.port(), 1, 65535); !s.ok()) {
    return s;
  }
  if (!IsDns1123Subdomain(authz.host()) || absl::StrContains(authz.host(), '*')) {
    return ConfigError(source, "ext_authz.host",
                       absl::StrCat("\"", authz.host(), "\" is not a lowercase DNS name"));
  }
  absl::Duration timeout;
  if (!ParseIstioDuration(authz.timeout(), &timeout)) {
    return ConfigError(source, "ext_authz.timeout",
                       absl::StrCat("\"", authz.timeout(), "\" ", kIstioDurationRule));
  }
  if (absl::Status s =
          CheckRange(source, "ext_authz.status_on_error", authz.status_on_error(), 200, 599);
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < authz.excluded_paths_size(); ++i) {
    const std::string& path = authz.excluded_paths(i);
    const std::string key = absl::StrCat("ext_authz.excluded_paths[", i, "]");
    if (path == "*") continue;
    if (!absl::StartsWith(path, "/") && !absl::StartsWith(path, "*")) {
      return ConfigError(source, key, absl::StrCat("\"", path, "\" must start with \"/\""));
    }
    const std::string inner = path.size() > 2 ? path.substr(1, path.size() - 2) : "";
    if (absl::StrContains(inner, '*') || absl::StrContains(path, "**")) {
      return ConfigError(
          source, key,
          absl::StrCat("\"", path,
                       "\": Istio allows \"*\" only at the start or the end of a path"));
    }
  }
  for (int i = 0; i < authz.excluded_cidrs_size(); ++i) {
    if (!IsCidr(authz.excluded_cidrs(i))) {
      return ConfigError(source, absl::StrCat("ext_authz.excluded_cidrs[", i, "]"),
                         absl::StrCat("\"", authz.excluded_cidrs(i),
                                      "\" is not an IP address or CIDR (\"10.0.0.0/8\")"));
    }
  }
  if (authz.upstream_target().empty() && !IsRulesOnlyBroker(config)) {
    return ConfigError(source, "ext_authz.upstream_target",
                       "required: the broker's auth service, e.g. "
                       "\"dns:///authz.auth.svc.cluster.local:8080\" (only a rules-only broker, "
                       "direct_responses.engine: broker, has none)");
  }
  if (authz.mode() == edge::v1::ExtAuthz::MODE_UNSPECIFIED) {
    return ConfigError(source, "ext_authz.mode", "must be broker or loopback");
  }
  if (IsLoopbackMode(authz)) {
    if (absl::Status s = ValidateLoopback(authz, source); !s.ok()) return s;
  } else if (authz.has_loopback()) {
    return ConfigError(source, "ext_authz.loopback", "only for mode \"loopback\"");
  } else {
    // broker.yaml is checked with the broker's own rules, so what render writes is what
    // the broker accepts; its key paths are relative to broker.yaml.
    // Files it names (client_ip.cidrs_file) are the broker's to read, not ours.
    broker::FileAccess files;
    files.read_files = false;
    absl::StatusOr<broker::BrokerSettings> broker =
        broker::ValidateBrokerConfig(BrokerConfigFor(config, RulesInBroker(config)), files);
    if (!broker.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": ext_authz: the broker config would be rejected by the broker: ",
                       broker.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ExtAuthzFeature::Render(const EdgeConfig& config, const RenderContext& /*context*/,
                                     std::vector<RenderedFile>* files) {
  std::vector<RenderedFile> rendered = RenderExtAuthzFiles(config, RulesInBroker(config));
  files->insert(files->end(), rendered.begin(), rendered.end());
  return absl::OkStatus();
}

}  // namespace edgekit::cli
