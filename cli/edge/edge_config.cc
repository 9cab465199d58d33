#include "cli/edge/edge_config.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/defaults.h"
#include "common/yaml_proto.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

bool IsHost(const std::string& host) {
  if (host == "*") return true;
  std::string rest = host;
  if (absl::StartsWith(rest, "*.")) rest = rest.substr(2);
  return IsDns1123Subdomain(absl::AsciiStrToLower(rest)) && rest == absl::AsciiStrToLower(rest);
}

// A section turns its feature on when present, unless it says `enabled: false`.
template <typename Section>
bool SectionEnabled(bool present, const Section& section) {
  return present && (!section.has_enabled() || section.enabled());
}

}  // namespace

bool GzipEnabled(const EdgeConfig& config) {
  return SectionEnabled(config.has_gzip(), config.gzip());
}

bool TranscodingEnabled(const EdgeConfig& config) {
  return SectionEnabled(config.has_transcoding(), config.transcoding());
}

bool DirectResponsesEnabled(const EdgeConfig& config) {
  return SectionEnabled(config.has_direct_responses(), config.direct_responses());
}

bool ExtAuthzEnabled(const EdgeConfig& config) {
  return SectionEnabled(config.has_ext_authz(), config.ext_authz());
}

bool RoutesNeeded(const EdgeConfig& config) {
  return TranscodingEnabled(config) || DirectResponsesEnabled(config) || HasRoutesOfItsOwn(config);
}

bool HasRoutesOfItsOwn(const EdgeConfig& config) {
  return config.has_routes() &&
         (config.routes().http_size() > 0 || config.routes().has_default_destination());
}

bool IsGatewayApi(const EdgeConfig& config) {
  return config.gateway().api() == edge::v1::Gateway::GATEWAY_API;
}

bool IsLoopbackMode(const edge::v1::ExtAuthz& authz) {
  return authz.mode() == edge::v1::ExtAuthz::LOOPBACK;
}

bool IsRulesOnlyBroker(const EdgeConfig& config) {
  return DirectResponsesEnabled(config) &&
         config.direct_responses().engine() == edge::v1::DirectResponses::BROKER &&
         config.ext_authz().upstream_target().empty();
}

absl::StatusOr<EdgeConfig> LoadEdgeConfig(const std::string& path) {
  EdgeConfig config;
  absl::Status status = YamlFileToProto(path, &config);
  if (!status.ok()) return status;
  return config;
}

absl::StatusOr<EdgeConfig> LoadEdgeConfigText(std::string_view text, const std::string& source) {
  EdgeConfig config;
  absl::Status status = YamlTextToProto(text, &config, source);
  if (!status.ok()) return status;
  return config;
}

void ApplyGatewayDefaults(EdgeConfig* config) { ApplyDeclaredDefaults(config->mutable_gateway()); }

absl::Status ValidateGateway(const EdgeConfig& config, const std::string& source) {
  const edge::v1::Gateway& gateway = config.gateway();
  if (!IsDns1123Label(gateway.namespace_())) {
    return ConfigError(source, "gateway.namespace",
                       absl::StrCat("\"", gateway.namespace_(),
                                    "\" is not a valid Kubernetes namespace (RFC 1123 label)"));
  }
  if (gateway.has_path_normalization() &&
      gateway.path_normalization() == edge::v1::Gateway::PATH_NORMALIZATION_UNSPECIFIED) {
    return ConfigError(source, "gateway.path_normalization",
                       "must be NONE, BASE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES");
  }
  if (gateway.api() == edge::v1::Gateway::API_UNSPECIFIED) {
    return ConfigError(source, "gateway.api", "must be istio or gateway-api");
  }
  if (gateway.has_section_name()) {
    if (gateway.api() != edge::v1::Gateway::GATEWAY_API) {
      return ConfigError(source, "gateway.section_name",
                         "names a listener of a Gateway API Gateway: set gateway.api: "
                         "gateway-api, or remove it");
    }
    if (!IsDns1123Subdomain(gateway.section_name())) {
      return ConfigError(source, "gateway.section_name",
                         absl::StrCat("\"", gateway.section_name(),
                                      "\" is not a listener name (a lowercase DNS name)"));
    }
  }
  if (gateway.has_num_trusted_proxies() && gateway.num_trusted_proxies() > 64) {
    return ConfigError(source, "gateway.num_trusted_proxies",
                       absl::StrCat("must be in [0, 64], got ", gateway.num_trusted_proxies()));
  }
  for (const auto& [key, value] : gateway.selector()) {
    if (!IsLabelKey(key)) {
      return ConfigError(source, absl::StrCat("gateway.selector[\"", key, "\"]"),
                         "not a valid Kubernetes label key");
    }
    if (!IsLabelValue(value, /*allow_empty=*/true)) {
      return ConfigError(source, absl::StrCat("gateway.selector.", key),
                         absl::StrCat("\"", value, "\" is not a valid Kubernetes label value"));
    }
  }
  if (absl::Status s = CheckKubernetesName(source, "gateway.name", gateway.name()); !s.ok()) {
    return s;
  }
  // Linear in the list: generated configs list hundreds of thousands of hosts.
  absl::flat_hash_map<absl::string_view, int> first_index;
  for (int i = 0; i < gateway.hosts_size(); ++i) {
    if (!IsHost(gateway.hosts(i))) {
      return ConfigError(
          source, absl::StrCat("gateway.hosts[", i, "]"),
          absl::StrCat("\"", gateway.hosts(i),
                       "\" is not a lowercase DNS name, \"*.\" + a DNS name, or \"*\""));
    }
    auto [it, inserted] = first_index.emplace(gateway.hosts(i), i);
    if (!inserted) {
      return ConfigError(source, absl::StrCat("gateway.hosts[", i, "]"),
                         absl::StrCat("\"", gateway.hosts(i), "\" is listed twice (also hosts[",
                                      it->second, "])"));
    }
  }
  const std::string& version = gateway.istio_version();
  if (version != "1.28" && version != "1.29" && version != "1.30") {
    return ConfigError(
        source, "gateway.istio_version",
        absl::StrCat("unsupported Istio version \"", version, "\" (supported: 1.28, 1.29, 1.30)"));
  }
  if (gateway.api() == edge::v1::Gateway::GATEWAY_API && version != "1.30") {
    // Before 1.30 Istio programs only one of an HTTPRoute and a GRPCRoute on the same
    // hostname (istio/istio#57172, fixed by #59222 in 1.30), and edgekit renders both.
    return ConfigError(source, "gateway.istio_version",
                       absl::StrCat("gateway.api gateway-api needs Istio 1.30 (got ", version,
                                    "): earlier versions serve only one of an HTTPRoute and a "
                                    "GRPCRoute on the same hostname"));
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
