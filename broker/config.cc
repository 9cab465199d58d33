// BrokerConfig (YAML file + flag overrides) -> validated BrokerSettings; see config.h.
// Defaults come from the BrokerSettings initialisers, so they are written down once.
#include "broker/config.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/upstream_target.h"
#include "common/grpc_codes.h"
#include "common/syntax.h"
#include "common/yaml_proto.h"
#include "google/protobuf/descriptor.h"

namespace edgekit::broker {
namespace {

using edgekit::broker::v1::BrokerConfig;

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// "host:port" or "[v6]:port", port in [0, 65535] (0 asks the OS for a free port, which
// tests use). A bare IPv6 address is ambiguous ("::1:9191"), so it must be bracketed.
absl::Status CheckHostPort(absl::string_view path, absl::string_view value) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(value);
  if (!parsed.ok()) return Invalid(path, parsed.status().message());
  return absl::OkStatus();
}

// Durations are strings in the schema (see broker_config.proto). Zero, negative and
// infinite values make no sense for any of the broker's timeouts or windows.
absl::Status ParsePositiveDuration(absl::string_view path, const std::string& text,
                                   absl::Duration* out) {
  absl::Duration value;
  if (!absl::ParseDuration(text, &value)) {
    return Invalid(path, absl::StrCat("expected a duration such as \"250ms\", \"1.5s\" or "
                                      "\"2m\", got ",
                                      Quote(text)));
  }
  if (value == absl::InfiniteDuration() || value == -absl::InfiniteDuration()) {
    return Invalid(path, absl::StrCat("must be finite, got ", Quote(text)));
  }
  if (value <= absl::ZeroDuration()) {
    return Invalid(path, absl::StrCat("must be > 0, got ", Quote(text)));
  }
  *out = value;
  return absl::OkStatus();
}

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// "/package.Service/Method": gRPC's :path for a method of a packaged service.
bool IsFullMethodName(absl::string_view name) {
  if (name.empty() || name.front() != '/') return false;
  const std::vector<absl::string_view> parts =
      absl::StrSplit(name.substr(1), absl::MaxSplits('/', 1));
  if (parts.size() != 2 || !IsIdentifier(parts[1])) return false;
  const std::vector<absl::string_view> service = absl::StrSplit(parts[0], '.');
  if (service.size() < 2) return false;
  return std::all_of(service.begin(), service.end(), IsIdentifier);
}

// A field set in `overrides` should win, which MergeFrom does for singular fields, but
// MergeFrom appends repeated ones; a list given on the command line replaces the file's
// instead. So clear, recursively, every repeated field that `overrides` sets.
void ClearRepeatedSetIn(const google::protobuf::Message& overrides,
                        google::protobuf::Message* target) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  overrides.GetReflection()->ListFields(overrides, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->is_repeated()) {
      target->GetReflection()->ClearField(target, field);
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      ClearRepeatedSetIn(overrides.GetReflection()->GetMessage(overrides, field),
                         target->GetReflection()->MutableMessage(target, field));
    }
  }
}

// A field set in overrides wins; a non-empty repeated field in overrides replaces the
// file's. Then everything is checked.
absl::StatusOr<BrokerSettings> MergeAndValidate(BrokerConfig config, const BrokerConfig& overrides,
                                                const FileAccess& files) {
  ClearRepeatedSetIn(overrides, &config);
  config.MergeFrom(overrides);
  return ValidateBrokerConfig(config, files);
}

// The `Validate*` helpers each fill one settings struct from one config message; each
// returns the first bad value.

absl::Status ValidateUpstream(const edgekit::broker::v1::Upstream& config, bool rules_only,
                              UpstreamSettings* out) {
  if (rules_only) {
    if (config.has_target()) {
      return Invalid("upstream.target",
                     "must be unset with direct_responses.rules_only (no auth service is "
                     "called: requests no rule answers are allowed)");
    }
    return absl::OkStatus();
  }
  if (config.target().empty()) {
    return Invalid("upstream.target",
                   "required: the auth service's gRPC target, e.g. \"authz:8080\" (or set "
                   "direct_responses.rules_only for a broker that only answers its rules)");
  }
  // The syntax startup needs (a port, a scheme it knows), checked here so that
  // --check-config and render refuse what startup would.
  if (absl::StatusOr<ParsedTarget> parsed = ParseUpstreamTarget(config.target()); !parsed.ok()) {
    return parsed.status();
  }
  out->target = config.target();
  // An explicitly empty path counts as unset, so a flag can switch off a file's TLS.
  out->ca_file = config.ca_file();
  out->cert_file = config.cert_file();
  out->key_file = config.key_file();
  out->tls_server_name = config.tls_server_name();
  if (!out->cert_file.empty() && out->key_file.empty()) {
    return Invalid("upstream.key_file", "required when upstream.cert_file is set");
  }
  if (out->cert_file.empty() && !out->key_file.empty()) {
    return Invalid("upstream.cert_file", "required when upstream.key_file is set");
  }
  if (!out->cert_file.empty() && out->ca_file.empty()) {
    return Invalid("upstream.ca_file",
                   "required when upstream.cert_file and upstream.key_file are set "
                   "(client certificates need TLS)");
  }
  if (config.has_default_deadline()) {
    absl::Status status = ParsePositiveDuration("upstream.default_deadline",
                                                config.default_deadline(), &out->default_deadline);
    if (!status.ok()) return status;
  }
  if (config.has_resolve_interval()) {
    absl::Status status = ParsePositiveDuration("upstream.resolve_interval",
                                                config.resolve_interval(), &out->resolve_interval);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ValidateHedging(const edgekit::broker::v1::Hedging& config, HedgingSettings* out) {
  if (config.has_max_attempts()) {
    if (config.max_attempts() < 1 || config.max_attempts() > 5) {
      return Invalid("hedging.max_attempts",
                     absl::StrCat("must be in [1, 5], got ", config.max_attempts()));
    }
    out->max_attempts = static_cast<int>(config.max_attempts());
  }
  if (config.has_quantile()) {
    // Written so that NaN fails too.
    if (!(config.quantile() > 0 && config.quantile() < 1)) {
      return Invalid("hedging.quantile",
                     absl::StrCat("must be in (0, 1), got ", config.quantile()));
    }
    out->quantile = config.quantile();
  }
  struct DurationField {
    const char* path;
    bool set;
    const std::string& text;
    absl::Duration* out;
  };
  const DurationField durations[] = {
      {"hedging.delay_min", config.has_delay_min(), config.delay_min(), &out->delay_min},
      {"hedging.delay_max", config.has_delay_max(), config.delay_max(), &out->delay_max},
      {"hedging.initial_delay", config.has_initial_delay(), config.initial_delay(),
       &out->initial_delay},
      {"hedging.window", config.has_window(), config.window(), &out->window},
  };
  for (const DurationField& field : durations) {
    if (!field.set) continue;
    absl::Status status = ParsePositiveDuration(field.path, field.text, field.out);
    if (!status.ok()) return status;
  }
  if (out->delay_min > out->delay_max) {
    // Blame the key the user wrote: with only delay_max set, delay_min is the default.
    if (config.has_delay_max() && !config.has_delay_min()) {
      return Invalid(
          "hedging.delay_max",
          absl::StrCat("must be >= hedging.delay_min (", absl::FormatDuration(out->delay_min),
                       "), got ", absl::FormatDuration(out->delay_max)));
    }
    return Invalid(
        "hedging.delay_min",
        absl::StrCat("must be <= hedging.delay_max (", absl::FormatDuration(out->delay_max),
                     "), got ", absl::FormatDuration(out->delay_min)));
  }
  if (config.has_min_samples()) {
    if (config.min_samples() < 1) {
      return Invalid("hedging.min_samples",
                     absl::StrCat("must be >= 1, got ", config.min_samples()));
    }
    out->min_samples = config.min_samples();
  }
  if (config.has_budget()) {
    if (!(config.budget() >= 0 && config.budget() <= 1)) {
      return Invalid("hedging.budget", absl::StrCat("must be in [0, 1], got ", config.budget()));
    }
    out->budget = config.budget();
  }
  if (config.non_fatal_codes_size() > 0) {
    std::set<GrpcCode> codes;
    for (int i = 0; i < config.non_fatal_codes_size(); ++i) {
      const std::string& name = config.non_fatal_codes(i);
      const std::string path = absl::StrCat("hedging.non_fatal_codes[", i, "]");
      const std::optional<GrpcCode> code = GrpcCodeFromName(name);
      if (!code.has_value()) {
        return Invalid(path, absl::StrCat("unknown gRPC status code ", Quote(name),
                                          " (known: ", std::string(AllGrpcCodeNames()), ")"));
      }
      if (*code == GrpcCode::kOk) {
        return Invalid(path, "OK cannot be non-fatal: an OK answer always ends the call");
      }
      codes.insert(*code);
    }
    out->non_fatal_codes = std::move(codes);
  }
  const edgekit::broker::v1::Throttling& throttling = config.throttling();
  if (throttling.has_max_tokens()) {
    if (!(throttling.max_tokens() > 0 && throttling.max_tokens() <= 1000)) {
      return Invalid("hedging.throttling.max_tokens",
                     absl::StrCat("must be in (0, 1000], got ", throttling.max_tokens()));
    }
    out->throttle_max_tokens = throttling.max_tokens();
  }
  if (throttling.has_token_ratio()) {
    if (!(throttling.token_ratio() > 0 && throttling.token_ratio() <= 1)) {
      return Invalid("hedging.throttling.token_ratio",
                     absl::StrCat("must be in (0, 1], got ", throttling.token_ratio()));
    }
    out->throttle_token_ratio = throttling.token_ratio();
  }
  return absl::OkStatus();
}

absl::Status ValidateDirectResponses(const edgekit::broker::v1::DirectResponses& config,
                                     const FileAccess& files, DirectResponseSettings* out) {
  out->rules_only = config.rules_only();
  out->num_trusted_proxies = config.num_trusted_proxies();
  if (out->num_trusted_proxies > 64) {
    return Invalid("direct_responses.num_trusted_proxies",
                   absl::StrCat("must be in [0, 64], got ", out->num_trusted_proxies));
  }
  if (config.rules_size() == 0 && config.hosts_size() == 0) return absl::OkStatus();
  rules::RuleSet::Options options;
  options.read_files = files.read_files;
  options.base_dir = files.files_dir;
  options.dry_run = config.dry_run();
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> compiled =
      rules::RuleSet::Compile(config.rules(), config.hosts(), "direct_responses", options);
  if (!compiled.ok()) return compiled.status();
  out->files = (*compiled)->files();
  if ((*compiled)->size() > 0) out->rules = *std::move(compiled);
  return absl::OkStatus();
}

// A duration >= 0 (zero meaning "off"), finite.
absl::Status ParseNonNegativeDuration(absl::string_view path, const std::string& text,
                                      absl::Duration* out) {
  absl::Duration value;
  if (!absl::ParseDuration(text, &value) || value == absl::InfiniteDuration() ||
      value < absl::ZeroDuration()) {
    return Invalid(path, absl::StrCat("expected a finite duration >= 0 such as \"30s\" (\"0s\": "
                                      "off), got ",
                                      Quote(text)));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ValidateCache(const edgekit::broker::v1::Cache& config, CacheSettings* out) {
  std::set<std::string> seen;
  for (int i = 0; i < config.key_headers_size(); ++i) {
    const std::string& name = config.key_headers(i);
    const std::string path = absl::StrCat("cache.key_headers[", i, "]");
    if (!name.empty() && name[0] == ':') {
      return Invalid(path, absl::StrCat("pseudo-headers are keyed with key_method, key_host "
                                        "and key_path, got ",
                                        Quote(name)));
    }
    if (!IsHttpToken(name)) {
      return Invalid(path, absl::StrCat(Quote(name), " is not a valid HTTP header name"));
    }
    if (name != absl::AsciiStrToLower(name)) {
      // Envoy hands the broker lowercase names: an uppercase key header would never match.
      return Invalid(
          path,
          absl::StrCat(Quote(name), " must be lowercase: ", Quote(absl::AsciiStrToLower(name))));
    }
    if (!seen.insert(name).second) return Invalid(path, absl::StrCat("duplicate ", Quote(name)));
    out->key.headers.push_back(name);
  }
  const bool on = !out->key.headers.empty();
  // Without key headers everything else is refused rather than ignored: an operator who
  // wrote a ttl meant to turn the cache on.
  const bool other_set = config.has_key_method() || config.has_key_host() ||
                         config.has_key_path() || config.has_key_source_address() ||
                         config.has_ttl() || config.has_deny_ttl() || config.has_stale_ttl() ||
                         config.has_max_entries() || config.has_max_bytes() ||
                         config.has_coalesce();
  if (!on) {
    if (other_set) {
      return Invalid("cache.key_headers",
                     "required to turn the cache on (the headers the auth service's decision "
                     "depends on, e.g. [authorization])");
    }
    return absl::OkStatus();
  }
  out->key.method = config.key_method();
  out->key.host = config.key_host();
  out->key.source_address = config.key_source_address();
  if (config.has_key_path()) {
    switch (config.key_path().kind_case()) {
      case edgekit::broker::v1::CacheKeyPath::kExact:
        if (!config.key_path().exact()) {
          return Invalid("cache.key_path.exact", "must be true (leave key_path out for none)");
        }
        out->key.path = cache::KeySpec::Path::kExact;
        break;
      case edgekit::broker::v1::CacheKeyPath::kPrefixSegments:
        if (config.key_path().prefix_segments() < 1 || config.key_path().prefix_segments() > 64) {
          return Invalid(
              "cache.key_path.prefix_segments",
              absl::StrCat("must be in [1, 64], got ", config.key_path().prefix_segments()));
        }
        out->key.path = cache::KeySpec::Path::kPrefix;
        out->key.path_segments = config.key_path().prefix_segments();
        break;
      case edgekit::broker::v1::CacheKeyPath::KIND_NOT_SET:
        return Invalid("cache.key_path", "set exact: true or prefix_segments: N");
    }
  }
  if (!config.has_ttl()) {
    return Invalid("cache.ttl",
                   "required with cache.key_headers (how long an allow is served "
                   "from the cache, e.g. \"30s\")");
  }
  absl::Status status = ParsePositiveDuration("cache.ttl", config.ttl(), &out->ttl);
  if (!status.ok()) return status;
  if (config.has_deny_ttl()) {
    status = ParseNonNegativeDuration("cache.deny_ttl", config.deny_ttl(), &out->deny_ttl);
    if (!status.ok()) return status;
  }
  if (config.has_stale_ttl()) {
    status = ParseNonNegativeDuration("cache.stale_ttl", config.stale_ttl(), &out->stale_ttl);
    if (!status.ok()) return status;
  }
  constexpr absl::Duration kMaxTtl = absl::Hours(24);
  for (const auto& [path, value] : {std::pair<const char*, absl::Duration>{"cache.ttl", out->ttl},
                                    {"cache.deny_ttl", out->deny_ttl},
                                    {"cache.stale_ttl", out->stale_ttl}}) {
    if (value > kMaxTtl) {
      return Invalid(path, absl::StrCat("must be at most 24h, got ", absl::FormatDuration(value)));
    }
  }
  if (config.has_max_entries()) {
    if (config.max_entries() < 16 || config.max_entries() > 10000000) {
      return Invalid("cache.max_entries",
                     absl::StrCat("must be in [16, 10000000], got ", config.max_entries()));
    }
    out->max_entries = config.max_entries();
  }
  if (config.has_max_bytes()) {
    constexpr uint64_t kMin = 64 << 10, kMax = uint64_t{16} << 30;
    if (config.max_bytes() < kMin || config.max_bytes() > kMax) {
      return Invalid("cache.max_bytes",
                     absl::StrCat("must be in [65536, 17179869184], got ", config.max_bytes()));
    }
    out->max_bytes = config.max_bytes();
  }
  if (config.has_coalesce()) out->coalesce = config.coalesce();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BrokerSettings> ValidateBrokerConfig(const BrokerConfig& config,
                                                    const FileAccess& files) {
  BrokerSettings settings;
  if (config.has_listen()) {
    absl::Status status = CheckHostPort("listen", config.listen());
    if (!status.ok()) return status;
    settings.listen = config.listen();
  }
  if (config.has_metrics_listen()) {
    absl::Status status = CheckHostPort("metrics_listen", config.metrics_listen());
    if (!status.ok()) return status;
    settings.metrics_listen = config.metrics_listen();
  }
  absl::Status status =
      ValidateDirectResponses(config.direct_responses(), files, &settings.direct_responses);
  if (!status.ok()) return status;
  status =
      ValidateUpstream(config.upstream(), settings.direct_responses.rules_only, &settings.upstream);
  if (!status.ok()) return status;
  status = ValidateHedging(config.hedging(), &settings.hedging);
  if (!status.ok()) return status;
  status = ValidateCache(config.cache(), &settings.cache);
  if (!status.ok()) return status;
  if (settings.cache.enabled() && settings.direct_responses.rules_only) {
    return Invalid("cache",
                   "must be unset with direct_responses.rules_only (there is no "
                   "upstream whose answers could be cached)");
  }

  const edgekit::broker::v1::Limits& limits = config.limits();
  if (limits.has_max_inflight()) {
    if (limits.max_inflight() < 1) {
      return Invalid("limits.max_inflight",
                     absl::StrCat("must be >= 1, got ", limits.max_inflight()));
    }
    settings.max_inflight = limits.max_inflight();
  }
  if (limits.has_max_message_bytes()) {
    constexpr uint32_t kMin = 1024;
    constexpr uint32_t kMax = 1024 * 1024 * 1024;
    if (limits.max_message_bytes() < kMin || limits.max_message_bytes() > kMax) {
      return Invalid(
          "limits.max_message_bytes",
          absl::StrCat("must be in [", kMin, ", ", kMax, "], got ", limits.max_message_bytes()));
    }
    settings.max_message_bytes = limits.max_message_bytes();
  }

  // Check first, then the extra methods in the order given, each once.
  std::vector<std::string> methods = {kCheckMethod};
  for (int i = 0; i < config.forward_methods_size(); ++i) {
    const std::string& name = config.forward_methods(i);
    if (!IsFullMethodName(name)) {
      return Invalid(absl::StrCat("forward_methods[", i, "]"),
                     absl::StrCat("expected a full method name such as "
                                  "\"/package.Service/Method\", got ",
                                  Quote(name)));
    }
    if (std::find(methods.begin(), methods.end(), name) == methods.end()) {
      methods.push_back(name);
    }
  }
  if (settings.direct_responses.rules_only && methods.size() > 1) {
    return Invalid("forward_methods",
                   "must be empty with direct_responses.rules_only (there is no upstream to "
                   "forward other methods to)");
  }
  settings.forward_methods = std::move(methods);

  if (config.has_drain_timeout()) {
    status =
        ParsePositiveDuration("drain_timeout", config.drain_timeout(), &settings.drain_timeout);
    if (!status.ok()) return status;
  }
  if (config.has_shutdown_delay()) {
    // Zero is meaningful here (no delay), so only negative values are refused.
    absl::Duration delay;
    if (!absl::ParseDuration(config.shutdown_delay(), &delay) ||
        delay == absl::InfiniteDuration()) {
      return Invalid("shutdown_delay",
                     absl::StrCat("expected a finite duration such as \"5s\", got ",
                                  Quote(config.shutdown_delay())));
    }
    if (delay < absl::ZeroDuration()) {
      return Invalid("shutdown_delay",
                     absl::StrCat("must be >= 0, got ", Quote(config.shutdown_delay())));
    }
    settings.shutdown_delay = delay;
  }
  if (config.has_worker_threads()) {
    if (config.worker_threads() > 64) {
      return Invalid("worker_threads", absl::StrCat("must be in [0, 64] (0 = number of CPUs), got ",
                                                    config.worker_threads()));
    }
    // 0 stays 0: the server resolves it to the CPU count where it creates threads.
    settings.worker_threads = static_cast<int>(config.worker_threads());
  }
  if (config.has_config_watch_interval()) {
    absl::Duration interval;
    if (!absl::ParseDuration(config.config_watch_interval(), &interval) ||
        interval == absl::InfiniteDuration() || interval < absl::ZeroDuration()) {
      return Invalid("config_watch_interval",
                     absl::StrCat("expected a duration >= 0 such as \"2s\" (\"0s\": only "
                                  "SIGHUP reloads), got ",
                                  Quote(config.config_watch_interval())));
    }
    if (interval > absl::ZeroDuration() && interval < absl::Milliseconds(100)) {
      return Invalid("config_watch_interval", absl::StrCat("must be 0 or at least 100ms, got ",
                                                           Quote(config.config_watch_interval())));
    }
    settings.config_watch_interval = interval;
  }
  return settings;
}

absl::StatusOr<BrokerSettings> LoadBrokerSettings(const std::string& config_path,
                                                  const BrokerConfig& overrides) {
  BrokerConfig config;
  if (!config_path.empty()) {
    // Errors already name the path (and line:col for YAML and schema errors).
    absl::Status status = YamlFileToProto(config_path, &config);
    if (!status.ok()) return status;
  }
  // Files the config names are relative to its own directory.
  FileAccess files;
  const size_t slash = config_path.rfind('/');
  if (slash != std::string::npos) files.files_dir = config_path.substr(0, slash == 0 ? 1 : slash);
  return MergeAndValidate(std::move(config), overrides, files);
}

absl::StatusOr<BrokerSettings> LoadBrokerSettingsFromText(std::string_view text,
                                                          const std::string& source,
                                                          const BrokerConfig& overrides) {
  BrokerConfig config;
  absl::Status status =
      YamlTextToProto(std::string_view(text.data(), text.size()), &config, source);
  if (!status.ok()) return status;
  FileAccess files;
  files.read_files = false;  // a text has no directory; see config.h
  return MergeAndValidate(std::move(config), overrides, files);
}

}  // namespace edgekit::broker
