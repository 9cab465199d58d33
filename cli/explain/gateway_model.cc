#include "cli/explain/gateway_model.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "broker/config.h"
#include "cli/explain/yaml_at.h"
#include "cli/proto/proto_compiler.h"
#include "cli/render/output_files.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"

namespace edgekit::cli::explain {
namespace {

using edge::v1::EdgeConfig;

absl::Status ModelError(const std::string& file, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("explain: rendered ", file, ": ", what));
}

PathNormalization NormalizationOf(const EdgeConfig& config) {
  if (!config.gateway().has_path_normalization()) return PathNormalization::kBase;
  switch (config.gateway().path_normalization()) {
    case edge::v1::Gateway::NONE:
      return PathNormalization::kNone;
    case edge::v1::Gateway::MERGE_SLASHES:
      return PathNormalization::kMergeSlashes;
    case edge::v1::Gateway::DECODE_AND_MERGE_SLASHES:
      return PathNormalization::kDecodeAndMergeSlashes;
    default:
      return PathNormalization::kBase;
  }
}

// The descriptor a transcoder filter carries: inline (proto_descriptor_bin) or in the
// ConfigMap rendered next to it (proto_descriptor names the mounted file).
absl::StatusOr<google::protobuf::FileDescriptorSet> TranscoderDescriptor(
    const YAML::Node& typed_config, const std::vector<YAML::Node>& documents,
    const std::string& file) {
  std::string base64;
  if (typed_config["proto_descriptor_bin"]) {
    base64 = typed_config["proto_descriptor_bin"].as<std::string>();
  } else {
    for (const YAML::Node& doc : documents) {
      if (!doc["kind"] || doc["kind"].as<std::string>() != "ConfigMap") continue;
      for (const auto& entry : doc["binaryData"]) base64 = entry.second.as<std::string>();
    }
  }
  if (base64.empty()) return ModelError(file, "the transcoder carries no descriptor");
  google::protobuf::FileDescriptorSet set;
  if (!DecodeDescriptorSet(base64, &set).has_value()) {
    return ModelError(file, "the transcoder's descriptor is not a FileDescriptorSet");
  }
  return set;
}

absl::Status LoadTranscoder(const YAML::Node& typed_config,
                            const std::vector<YAML::Node>& documents, const std::string& file,
                            TranscoderModel* t) {
  absl::StatusOr<google::protobuf::FileDescriptorSet> set =
      TranscoderDescriptor(typed_config, documents, file);
  if (!set.ok()) return set.status();
  t->pool = std::make_unique<google::protobuf::DescriptorPool>();
  for (const auto& proto : set->file()) {
    if (t->pool->BuildFile(proto) == nullptr) {
      return ModelError(file, absl::StrCat("descriptor file ", proto.name(), " does not build"));
    }
  }
  for (const auto& s : typed_config["services"]) t->services.push_back(s.as<std::string>());
  absl::StatusOr<std::vector<HttpRoute>> routes = ListHttpRoutes(*set);
  if (!routes.ok()) return routes.status();
  for (HttpRoute& route : *routes) {
    const std::string service = route.method.substr(0, route.method.rfind('/'));
    bool served = false;
    for (const std::string& s : t->services) served = served || s == service;
    if (!served) continue;
    const int id = static_cast<int>(t->bindings.size());
    if (absl::Status s = t->matcher.Add(route.verb, route.path, id); !s.ok()) {
      return ModelError(file, s.message());
    }
    t->bindings.push_back(std::move(route));
  }
  if (typed_config["ignore_unknown_query_parameters"] &&
      typed_config["ignore_unknown_query_parameters"].as<bool>()) {
    t->unknown_query = TranscoderModel::UnknownQuery::kIgnore;
  } else if (At(typed_config, {"request_validation_options", "reject_unknown_query_parameters"}) &&
             At(typed_config, {"request_validation_options", "reject_unknown_query_parameters"})
                 .as<bool>()) {
    t->unknown_query = TranscoderModel::UnknownQuery::kReject;
  }
  for (const auto& p : typed_config["ignored_query_parameters"]) {
    t->ignored_query_parameters.insert(p.as<std::string>());
  }
  return absl::OkStatus();
}

absl::Status LoadEnvoyFilter(const YAML::Node& doc, const std::vector<YAML::Node>& documents,
                             const std::string& file, GatewayModel* model) {
  for (const auto& patch : At(doc, {"spec", "configPatches"})) {
    const YAML::Node value = At(patch, {"patch", "value"});
    if (!value["name"]) continue;
    const std::string name = value["name"].as<std::string>();
    const YAML::Node typed = value["typed_config"];
    if (name == "envoy.filters.http.compressor") {
      CompressorModel c;
      const YAML::Node common = At(typed, {"response_direction_config", "common_config"});
      if (common["min_content_length"]) {
        c.min_content_length = common["min_content_length"].as<uint32_t>();
      }
      for (const auto& t : common["content_type"]) c.content_types.push_back(t.as<std::string>());
      model->compressor = std::move(c);
    } else if (name == "envoy.filters.http.grpc_json_transcoder") {
      TranscoderModel t;
      if (absl::Status s = LoadTranscoder(typed, documents, file, &t); !s.ok()) return s;
      model->transcoder = std::move(t);
    }
  }
  return absl::OkStatus();
}

// Rules compiled as the broker compiles them (its own config code), cidrs files read
// from `base_dir`.
absl::Status LoadBroker(const std::string& text, const std::string& base_dir, GatewayModel* model) {
  broker::v1::BrokerConfig config;
  if (absl::Status s = YamlTextToProto(text, &config, kBrokerConfigFile); !s.ok()) return s;
  broker::FileAccess files;
  files.read_files = true;
  files.files_dir = base_dir;
  absl::StatusOr<broker::BrokerSettings> settings = broker::ValidateBrokerConfig(config, files);
  if (!settings.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("explain: the rendered broker.yaml does not load as the broker would load it "
                     "(cidrs_file paths are read relative to the edge.yaml's directory): ",
                     settings.status().message()));
  }
  RuleEngineModel broker;
  broker.rules = settings->direct_responses.rules;
  broker.num_trusted_proxies = settings->direct_responses.num_trusted_proxies;
  broker.rules_only = settings->direct_responses.rules_only;
  model->broker = std::move(broker);
  return absl::OkStatus();
}

absl::Status LoadWasm(const YAML::Node& doc, const std::string& file, GatewayModel* model) {
  const YAML::Node plugin = At(doc, {"spec", "pluginConfig"});
  google::protobuf::RepeatedPtrField<rules::v1::Rule> rules;
  int i = 0;
  for (const auto& node : plugin["rules"]) {
    if (absl::Status s = YamlToProto(node, rules.Add(), absl::StrCat(file, " rules[", i++, "]"));
        !s.ok()) {
      return s;
    }
  }
  google::protobuf::RepeatedPtrField<std::string> hosts;
  for (const auto& h : plugin["hosts"]) *hosts.Add() = h.as<std::string>();
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> compiled =
      rules::RuleSet::Compile(rules, hosts, "pluginConfig");
  if (!compiled.ok()) return ModelError(file, compiled.status().message());
  RuleEngineModel wasm;
  wasm.rules = *std::move(compiled);
  wasm.phase =
      At(doc, {"spec", "phase"}) ? At(doc, {"spec", "phase"}).as<std::string>() : "UNSPECIFIED";
  model->wasm = std::move(wasm);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GatewayModel> GatewayModel::Load(const EdgeConfig& config,
                                                const std::vector<RenderedFile>& files,
                                                const std::string& base_dir,
                                                std::set<std::string> teams) {
  GatewayModel model;
  model.gateway = absl::StrCat(config.gateway().namespace_(), "/", config.gateway().name());
  model.normalization = NormalizationOf(config);
  model.num_trusted_proxies = config.gateway().num_trusted_proxies();
  model.teams = std::move(teams);
  std::vector<YAML::Node> gateway_api_documents;  // every object, for the routes' matcher
  for (const RenderedFile& file : files) {
    if (file.name == kBrokerConfigFile) {
      if (absl::Status s = LoadBroker(file.documents.at(0), base_dir, &model); !s.ok()) return s;
      continue;
    }
    if (!FindOutputFile(file.name)->cluster_objects) continue;
    std::vector<YAML::Node> documents;
    for (const std::string& text : file.documents) {
      try {
        documents.push_back(YAML::Load(text));
      } catch (const YAML::Exception& e) {
        return ModelError(file.name, e.what());
      }
    }
    gateway_api_documents.insert(gateway_api_documents.end(), documents.begin(), documents.end());
    for (const YAML::Node& doc : documents) {
      const std::string kind = doc["kind"] ? doc["kind"].as<std::string>() : "";
      try {
        if (kind == "EnvoyFilter") {
          if (absl::Status s = LoadEnvoyFilter(doc, documents, file.name, &model); !s.ok()) {
            return s;
          }
        } else if (kind == "AuthorizationPolicy" &&
                   At(doc, {"spec", "action"}).as<std::string>("") == "CUSTOM") {
          model.authz = AuthzModel{At(doc, {"metadata", "name"}).as<std::string>(),
                                   At(doc, {"spec", "rules"})};
        } else if (kind == "WasmPlugin") {
          if (absl::Status s = LoadWasm(doc, file.name, &model); !s.ok()) return s;
        } else if (kind == "VirtualService") {
          for (const auto& g : At(doc, {"spec", "gateways"})) {
            if (g.as<std::string>() == model.gateway) {
              absl::StatusOr<VirtualServiceMatcher> vs = VirtualServiceMatcher::Compile(doc);
              if (!vs.ok()) return ModelError(file.name, vs.status().message());
              model.virtual_services.push_back(*std::move(vs));
              break;
            }
          }
        }
      } catch (const YAML::Exception& e) {
        return ModelError(file.name, absl::StrCat(kind, ": ", e.what()));
      }
    }
  }
  if (config.gateway().api() == edge::v1::Gateway::GATEWAY_API) {
    absl::StatusOr<GatewayApiRouteMatcher> routes =
        GatewayApiRouteMatcher::Compile(gateway_api_documents, model.gateway);
    if (!routes.ok()) return ModelError(kRoutesFile, routes.status().message());
    if (!routes->empty()) model.gateway_api_routes = *std::move(routes);
  }
  return model;
}

std::string GatewayModel::TeamOf(const std::string& name) const {
  absl::string_view n = name;
  absl::ConsumePrefix(&n, "direct-");
  const size_t dot = n.find('.');
  if (dot == absl::string_view::npos) return "";
  std::string team(n.substr(0, dot));
  return teams.count(team) > 0 ? team : "";
}

}  // namespace edgekit::cli::explain
