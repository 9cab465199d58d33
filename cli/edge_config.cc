#include "cli/edge_config.h"

#include <arpa/inet.h>

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "broker/config.h"
#include "cli/config_checks.h"
#include "cli/render_ext_authz.h"
#include "cli/render_routes.h"
#include "cli/render_transcoding.h"
#include "common/yaml_proto.h"

namespace edgekit::cli {

const char* const kDefaultGzipContentTypes[8] = {
    "application/javascript", "application/json", "application/xhtml+xml", "image/svg+xml",
    "text/css",               "text/html",        "text/plain",            "text/xml"};

namespace {

using edge::v1::EdgeConfig;

bool IsContentType(const std::string& s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  return parts.size() == 2 && IsHttpToken(parts[0]) && IsHttpToken(parts[1]);
}

bool IsHost(const std::string& host) {
  if (host == "*") return true;
  std::string rest = host;
  if (absl::StartsWith(rest, "*.")) rest = rest.substr(2);
  return IsDns1123Subdomain(absl::AsciiStrToLower(rest)) && rest == absl::AsciiStrToLower(rest);
}

bool IsCidr(const std::string& s) {
  std::string address = s;
  int prefix = -1;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    address = s.substr(0, slash);
    if (!absl::SimpleAtoi(s.substr(slash + 1), &prefix) || prefix < 0 ||
        s.substr(slash + 1).empty() || !absl::ascii_isdigit(s[slash + 1])) {
      return false;
    }
  }
  unsigned char buffer[16];
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1) return prefix <= 32;
  if (inet_pton(AF_INET6, address.c_str(), buffer) == 1) return prefix <= 128;
  return false;
}

// Istio takes durations in whole milliseconds, at least 1ms (its ValidateDuration);
// absl would also take "inf" and "1.5ms".
constexpr char kIstioDurationRule[] =
    "is not a duration Istio accepts: whole milliseconds, at least 1ms, such as \"500ms\" "
    "or \"1s\"";

bool ParseIstioDuration(const std::string& text, absl::Duration* d) {
  if (!absl::ParseDuration(text, d) || *d == absl::InfiniteDuration() ||
      *d < absl::Milliseconds(1)) {
    return false;
  }
  absl::Duration remainder;
  absl::IDivDuration(*d, absl::Milliseconds(1), &remainder);
  return remainder == absl::ZeroDuration();
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
  if (absl::Status s =
          CheckRange(source, "ext_authz.loopback.attempts", loopback.attempts(), 2, 5);
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

bool GzipEnabled(const EdgeConfig& config) {
  return config.has_gzip() && (!config.gzip().has_enabled() || config.gzip().enabled());
}

bool ExtAuthzEnabled(const EdgeConfig& config) {
  return config.has_ext_authz() &&
         (!config.ext_authz().has_enabled() || config.ext_authz().enabled());
}

absl::StatusOr<EdgeConfig> LoadEdgeConfig(const std::string& path) {
  EdgeConfig config;
  absl::Status status = YamlFileToProto(path, &config);
  if (!status.ok()) return status;
  return config;
}

absl::StatusOr<EdgeConfig> LoadEdgeConfigText(std::string_view text, const std::string& source) {
  EdgeConfig config;
  absl::Status status =
      YamlTextToProto(std::string_view(text.data(), text.size()), &config, source);
  if (!status.ok()) return status;
  return config;
}

void ApplyEdgeDefaults(EdgeConfig* config) {
  edge::v1::Gateway* gateway = config->mutable_gateway();
  if (!gateway->has_namespace_()) gateway->set_namespace_("istio-system");
  if (gateway->selector().empty()) (*gateway->mutable_selector())["istio"] = "ingressgateway";
  if (!gateway->has_name()) gateway->set_name("edgekit-gateway");
  if (!gateway->has_istio_version()) gateway->set_istio_version("1.30");
  if (config->has_gzip()) {
    edge::v1::Gzip* gzip = config->mutable_gzip();
    if (!gzip->has_name()) gzip->set_name("edgekit-gzip");
    if (!gzip->has_min_content_length()) gzip->set_min_content_length(30);
    if (gzip->content_types().empty()) {
      for (const char* type : kDefaultGzipContentTypes) gzip->add_content_types(type);
    }
    if (!gzip->has_compression_level()) gzip->set_compression_level(6);
    if (!gzip->has_memory_level()) gzip->set_memory_level(5);
    if (!gzip->has_window_bits()) gzip->set_window_bits(12);
    if (!gzip->has_chunk_size()) gzip->set_chunk_size(4096);
    if (!gzip->has_remove_accept_encoding_header()) gzip->set_remove_accept_encoding_header(false);
    if (!gzip->has_disable_on_etag_header()) gzip->set_disable_on_etag_header(false);
  }
  ApplyTranscodingDefaults(config);
  ApplyRoutingDefaults(config);
  if (config->has_ext_authz()) {
    edge::v1::ExtAuthz* authz = config->mutable_ext_authz();
    if (!authz->has_provider_name()) authz->set_provider_name("edgekit-broker");
    if (!authz->has_port()) authz->set_port(9191);
    if (!authz->has_mode()) authz->set_mode("broker");
    // In loopback mode the ServiceEntry names the gateway's own loopback listener.
    const bool loopback = authz->mode() == "loopback";
    if (!authz->has_service_entry_name()) {
      authz->set_service_entry_name(loopback ? "edgekit-authz-loopback" : "edgekit-broker");
    }
    if (!authz->has_host()) {
      authz->set_host(loopback ? "edgekit-authz-loopback.local" : "edgekit-broker.local");
    }
    if (!authz->has_timeout()) authz->set_timeout("1s");
    if (!authz->has_fail_open()) authz->set_fail_open(false);
    if (!authz->has_status_on_error()) authz->set_status_on_error(403);
    if (!authz->has_policy_name()) authz->set_policy_name("edgekit-ext-authz");
    if (!authz->has_istio_namespace()) authz->set_istio_namespace("istio-system");
    if (loopback) {
      edge::v1::ExtAuthzLoopback* settings = authz->mutable_loopback();
      if (!settings->has_name()) settings->set_name("edgekit-authz-loopback");
      if (!settings->has_per_try_timeout()) settings->set_per_try_timeout("50ms");
      if (!settings->has_attempts()) settings->set_attempts(2);
      if (!settings->has_retry_on()) {
        settings->set_retry_on("unavailable,cancelled,resource-exhausted,connect-failure,reset");
      }
    }
  }
}

absl::Status ValidateEdgeConfig(const EdgeConfig& config, const std::string& source) {
  const edge::v1::Gateway& gateway = config.gateway();
  if (!IsDns1123Label(gateway.namespace_())) {
    return ConfigError(source, "gateway.namespace",
                       absl::StrCat("\"", gateway.namespace_(),
                                    "\" is not a valid Kubernetes namespace (RFC 1123 label)"));
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
  if (absl::Status s = CheckKubernetesName(source, "gateway.name", gateway.name()); !s.ok())
    return s;
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

  if (GzipEnabled(config)) {
    const edge::v1::Gzip& gzip = config.gzip();
    if (absl::Status s = CheckKubernetesName(source, "gzip.name", gzip.name()); !s.ok()) return s;
    for (int i = 0; i < gzip.content_types_size(); ++i) {
      if (!IsContentType(gzip.content_types(i))) {
        return ConfigError(source, absl::StrCat("gzip.content_types[", i, "]"),
                           absl::StrCat("\"", gzip.content_types(i),
                                        "\" is not a content type of the form type/subtype"));
      }
    }
    for (absl::Status s :
         {CheckRange(source, "gzip.compression_level", gzip.compression_level(), 1, 9),
          CheckRange(source, "gzip.memory_level", gzip.memory_level(), 1, 9),
          CheckRange(source, "gzip.window_bits", gzip.window_bits(), 9, 15),
          CheckRange(source, "gzip.chunk_size", gzip.chunk_size(), 4096, 65536)}) {
      if (!s.ok()) return s;
    }
  }

  if (ExtAuthzEnabled(config)) {
    const edge::v1::ExtAuthz& authz = config.ext_authz();
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
    if (authz.upstream_target().empty()) {
      return ConfigError(source, "ext_authz.upstream_target",
                         "required: the broker's auth service, e.g. "
                         "\"dns:///authz.auth.svc.cluster.local:8080\"");
    }
    if (authz.mode() != "broker" && authz.mode() != "loopback") {
      return ConfigError(source, "ext_authz.mode",
                         absl::StrCat("\"", authz.mode(), "\" is not \"broker\" or \"loopback\""));
    }
    if (IsLoopbackMode(authz)) {
      if (absl::Status s = ValidateLoopback(authz, source); !s.ok()) return s;
    } else if (authz.has_loopback()) {
      return ConfigError(source, "ext_authz.loopback", "only for mode \"loopback\"");
    } else {
      // broker.yaml is checked with the broker's own rules, so what render writes is what
      // the broker accepts; its key paths are relative to broker.yaml.
      absl::StatusOr<broker::BrokerSettings> broker = broker::ValidateBrokerConfig(BrokerConfigFor(authz));
      if (!broker.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": ext_authz: the broker config would be rejected by the broker: ",
            broker.status().message()));
      }
    }
  }
  if (TranscodingEnabled(config)) {
    if (absl::Status s = ValidateTranscodingConfig(config, source); !s.ok()) return s;
  }
  if (absl::Status s = ValidateRoutingConfig(config, source); !s.ok()) return s;
  if (!GzipEnabled(config) && !ExtAuthzEnabled(config) && !TranscodingEnabled(config) &&
      !RoutesNeeded(config)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": no feature enabled: add a gzip, transcoding, direct_responses or ext_authz section"));
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
