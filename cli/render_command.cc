#include "cli/render_command.h"

#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/edge_config.h"
#include "cli/file_io.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

// Strings a YAML 1.1/1.2 reader would take for a number, boolean or null are quoted, so
// every string stays a string ("1.30", "true", "403").
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* const kSpecial[] = {"true", "false", "yes", "no", "on", "off",
                                         "null", "~",     "y",   "n"};
  const std::string lower = absl::AsciiStrToLower(s);
  for (const char* word : kSpecial) {
    if (lower == word) return true;
  }
  double number;
  if (absl::SimpleAtod(s, &number)) return true;
  const char first = s.front();
  return absl::ascii_isdigit(first) || first == '.' || first == '-' || first == '+' ||
         first == '@' || first == '*' || first == '&' || first == '!' || first == '%' ||
         s.find(": ") != std::string::npos || s.find(" #") != std::string::npos;
}

class Doc {
 public:
  Doc() { e_.SetIndent(2); }
  Doc& Key(const std::string& key) {
    e_ << YAML::Key;
    Str(key);
    e_ << YAML::Value;
    return *this;
  }
  Doc& Str(const std::string& s) {
    if (NeedsQuotes(s)) e_ << YAML::DoubleQuoted;
    e_ << s;
    return *this;
  }
  Doc& KV(const std::string& key, const std::string& value) { return Key(key).Str(value); }
  Doc& KV(const std::string& key, const char* value) { return Key(key).Str(value); }
  Doc& KV(const std::string& key, uint32_t value) {
    Key(key);
    e_ << value;
    return *this;
  }
  Doc& KV(const std::string& key, bool value) {
    Key(key);
    e_ << YAML::TrueFalseBool << value;
    return *this;
  }
  Doc& Map() {
    e_ << YAML::BeginMap;
    return *this;
  }
  Doc& EndMap() {
    e_ << YAML::EndMap;
    return *this;
  }
  Doc& Seq() {
    e_ << YAML::BeginSeq;
    return *this;
  }
  Doc& EndSeq() {
    e_ << YAML::EndSeq;
    return *this;
  }
  Doc& StrSeq(const std::string& key, const std::vector<std::string>& values) {
    Key(key).Seq();
    for (const std::string& v : values) Str(v);
    return EndSeq();
  }
  Doc& Labels(const std::string& key, const std::map<std::string, std::string>& labels) {
    Key(key).Map();
    for (const auto& [k, v] : labels) KV(k, v);
    return EndMap();
  }
  std::string Text(const std::string& comment = "") const {
    return absl::StrCat(comment, e_.c_str(), "\n");
  }

 private:
  YAML::Emitter e_;
};

std::map<std::string, std::string> Sorted(const google::protobuf::Map<std::string, std::string>& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

// apiVersion, kind, metadata {name, namespace, labels}; leaves the top map open.
void Header(Doc& d, const std::string& api_version, const std::string& kind,
            const std::string& name, const std::string& ns) {
  d.Map().KV("apiVersion", api_version).KV("kind", kind);
  d.Key("metadata").Map().KV("name", name).KV("namespace", ns);
  d.Key("labels").Map().KV("app.kubernetes.io/managed-by", "edgekit").EndMap();
  d.EndMap();
}

std::string RenderGzip(const EdgeConfig& config) {
  const edge::v1::Gzip& gzip = config.gzip();
  Doc d;
  Header(d, "networking.istio.io/v1alpha3", "EnvoyFilter", gzip.name(),
         config.gateway().namespace_());
  d.Key("spec").Map();
  d.Key("workloadSelector").Map().Labels("labels", Sorted(config.gateway().selector())).EndMap();
  d.Key("configPatches").Seq().Map();
  d.KV("applyTo", "HTTP_FILTER");
  d.Key("match").Map().KV("context", "GATEWAY");
  d.Key("listener").Map().Key("filterChain").Map().Key("filter").Map();
  d.KV("name", "envoy.filters.network.http_connection_manager");
  d.Key("subFilter").Map().KV("name", "envoy.filters.http.router").EndMap();
  d.EndMap().EndMap().EndMap();  // filter, filterChain, listener
  d.EndMap();                    // match
  d.Key("patch").Map().KV("operation", "INSERT_BEFORE");
  d.Key("value").Map().KV("name", "envoy.filters.http.compressor");
  d.Key("typed_config").Map();
  d.KV("@type", "type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor");
  d.Key("response_direction_config").Map();
  d.Key("common_config").Map();
  d.KV("min_content_length", gzip.min_content_length());
  d.StrSeq("content_type", {gzip.content_types().begin(), gzip.content_types().end()});
  d.EndMap();  // common_config
  d.KV("disable_on_etag_header", gzip.disable_on_etag_header());
  d.KV("remove_accept_encoding_header", gzip.remove_accept_encoding_header());
  d.EndMap();  // response_direction_config
  d.Key("compressor_library").Map().KV("name", "gzip");
  d.Key("typed_config").Map();
  d.KV("@type", "type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip");
  d.KV("compression_level", absl::StrCat("COMPRESSION_LEVEL_", gzip.compression_level()));
  d.KV("memory_level", gzip.memory_level());
  d.KV("window_bits", gzip.window_bits());
  d.KV("chunk_size", gzip.chunk_size());
  d.EndMap().EndMap();  // typed_config, compressor_library
  d.EndMap().EndMap().EndMap();  // typed_config, value, patch
  d.EndMap().EndSeq();  // patch item, configPatches
  d.EndMap().EndMap();  // spec, document
  return d.Text();
}

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

absl::Status MakeDirectory(const std::string& dir) {
  if (mkdir(dir.c_str(), 0777) == 0) return absl::OkStatus();
  const int err = errno;
  struct stat st;
  if (err == EEXIST && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::OkStatus();
  }
  return ErrnoToStatus(err == EEXIST ? ENOTDIR : err, "cannot create directory", dir);
}

}  // namespace

std::vector<RenderedFile> RenderEdgeConfig(const EdgeConfig& config) {
  std::vector<RenderedFile> files;
  if (GzipEnabled(config)) files.push_back({"gzip.yaml", {RenderGzip(config)}});
  if (ExtAuthzEnabled(config)) {
    files.push_back({"ext-authz.yaml",
                     {RenderServiceEntry(config), RenderAuthorizationPolicy(config)}});
    files.push_back({"ext-authz-istio-operator.yaml", {RenderIstioOperator(config)}});
    files.push_back({"ext-authz-istiod-values.yaml", {RenderIstiodValues(config)}});
    files.push_back({"broker.yaml", {RenderBrokerConfig(config)}});
  }
  return files;
}

std::string JoinDocuments(const std::vector<std::string>& documents) {
  std::string out;
  for (const std::string& doc : documents) absl::StrAppend(&out, "---\n", doc);
  return out;
}

absl::Status RunRender(const RenderOptions& options) {
  EdgeConfig config;
  std::string source = "command line";
  if (options.config != nullptr) {
    config = *options.config;
  } else {
    if (options.config_file.empty()) {
      return absl::InvalidArgumentError("render: give -f edge.yaml");
    }
    source = options.config_file;
    absl::StatusOr<EdgeConfig> loaded = LoadEdgeConfig(options.config_file);
    if (!loaded.ok()) return loaded.status();
    config = *std::move(loaded);
  }
  ApplyEdgeDefaults(&config);
  if (absl::Status valid = ValidateEdgeConfig(config, source); !valid.ok()) return valid;

  const std::vector<RenderedFile> files = RenderEdgeConfig(config);
  if (options.output == "-" || options.output.empty()) {
    std::vector<std::string> all;
    for (const RenderedFile& file : files) {
      all.insert(all.end(), file.documents.begin(), file.documents.end());
    }
    return WriteFileOrStdout("-", JoinDocuments(all), *options.out);
  }
  if (absl::Status made = MakeDirectory(options.output); !made.ok()) return made;
  for (const RenderedFile& file : files) {
    absl::Status written =
        WriteFileAtomically(options.output + "/" + file.name, JoinDocuments(file.documents));
    if (!written.ok()) return written;
  }
  return absl::OkStatus();
}

}  // namespace edgekit::cli
