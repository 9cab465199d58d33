#include "cli/render/transcoding.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/config_paths.h"
#include "cli/edge/defaults.h"
#include "cli/edge/edge_config.h"
#include "cli/proto/descriptor_pruner.h"
#include "cli/proto/http_routes.h"
#include "cli/proto/proto_compiler.h"
#include "cli/render/gateway_attachment.h"
#include "cli/render/gzip.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"
#include "cli/render/team_composition.h"
#include "cli/render/transcoding_backends.h"
#include "cli/render/transcoding_descriptor.h"
#include "cli/render/transcoding_guardrails.h"
#include "common/file_io.h"
#include "google/protobuf/descriptor.pb.h"

namespace edgekit::cli {

using edge::v1::EdgeConfig;
using edge::v1::Transcoding;
using edge::v1::TranscodingBackend;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;

namespace {

// A query parameter name as the transcoder sees it: no separators or spaces.
bool IsQueryParameterName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (absl::ascii_isspace(c) || c == '&' || c == '=' || c == '?' || c == '#') return false;
  }
  return true;
}

std::string ServiceOf(const std::string& method) { return method.substr(0, method.find('/')); }

std::vector<std::string> ServicesIn(const FileDescriptorSet& set) {
  std::vector<std::string> services;
  for (const FileDescriptorProto& file : set.file()) {
    for (const auto& service : file.service()) {
      services.push_back(file.package().empty()
                             ? service.name()
                             : absl::StrCat(file.package(), ".", service.name()));
    }
  }
  return services;
}

// The descriptor set and its serialized bytes (what goes into proto_descriptor_bin).
struct Descriptor {
  FileDescriptorSet set;
  std::string bytes;
  std::string key;  // "<backend>.proto_files" or "<backend>.descriptor_set"
};

absl::StatusOr<Descriptor> LoadDescriptor(const Backend& backend, const RenderContext& context,
                                          std::vector<std::string>* warnings) {
  Descriptor out;
  const TranscodingBackend& t = backend.spec;
  const std::string& source = backend.source;
  if (t.has_descriptor_set()) {
    out.key = absl::StrCat(backend.key, ".descriptor_set");
    const std::string path = ResolvePath(context.base_dir, t.descriptor_set());
    absl::StatusOr<std::string> bytes = ReadFileOrStdin(path, std::cin);
    if (!bytes.ok()) {
      return absl::Status(bytes.status().code(),
                          absl::StrCat(source, ": ", out.key, ": ", bytes.status().message()));
    }
    std::optional<std::string> binary = DecodeDescriptorSet(*std::move(bytes), &out.set);
    if (!binary.has_value()) {
      return ConfigError(source, out.key,
                         absl::StrCat(path, ": not a FileDescriptorSet (binary or base64)"));
    }
    out.bytes = *std::move(binary);
    if (out.set.file_size() == 0) {
      return ConfigError(source, out.key, absl::StrCat(path, ": the descriptor set is empty"));
    }
    return out;
  }

  out.key = absl::StrCat(backend.key, ".proto_files");
  CompileOptions compile;
  for (const std::string& file : t.proto_files()) {
    // A file next to the edge.yaml, else a path relative to an include directory (protoc
    // takes both).
    const std::string resolved = ResolvePath(context.base_dir, file);
    compile.inputs.push_back(access(resolved.c_str(), F_OK) == 0 ? resolved : file);
  }
  if (t.include_paths().empty()) {
    compile.proto_paths.push_back(context.base_dir.empty() ? "." : context.base_dir);
  }
  for (const std::string& entry : t.include_paths()) {
    compile.proto_paths.push_back(ResolveIncludeEntry(context.base_dir, entry));
  }
  std::ostringstream compile_warnings;
  compile.warnings = &compile_warnings;
  absl::StatusOr<FileDescriptorSet> compiled = CompileProtos(compile);
  // Compiler warnings are "file:line:col: warning: ..." already; keep them so.
  for (absl::string_view line : absl::StrSplit(compile_warnings.str(), '\n', absl::SkipEmpty())) {
    warnings->push_back(std::string(line));
  }
  if (!compiled.ok()) {
    const absl::Status& status = compiled.status();
    if (status.code() == absl::StatusCode::kInvalidArgument &&
        absl::StrContains(status.message(), ":")) {
      // "file:line:col: message" lines, the format editors and CI annotations read.
      return absl::InvalidArgumentError(
          absl::StrCat(status.message(), "\n", source, ": ", out.key,
                       ": the .proto files do not compile (errors above)"));
    }
    // I/O (NotFound, PermissionDenied): keep the code; name the entry that failed.
    std::string key = out.key;
    for (int i = 0; i < t.proto_files_size(); ++i) {
      if (absl::StrContains(status.message(), compile.inputs[i])) {
        key = absl::StrCat(out.key, "[", i, "]");
        break;
      }
    }
    std::string detail(status.message());
    for (int i = 0; i < t.proto_files_size(); ++i) {
      const std::string resolved = ResolvePath(context.base_dir, t.proto_files(i));
      if (compile.inputs[i] != resolved && absl::StrContains(detail, compile.inputs[i])) {
        absl::StrAppend(&detail, " (neither ", resolved, " nor under an include path)");
        break;
      }
    }
    return absl::Status(status.code(), absl::StrCat(source, ": ", key, ": ", detail));
  }
  out.set = *std::move(compiled);
  out.bytes = SerializeDescriptorSet(out.set);
  return out;
}

// The services a backend serves: those listed (each must be in its descriptor), or its
// only bound service; several bound services and none listed is an error, so that no
// service reaches a destination without the author saying so.
absl::StatusOr<std::vector<std::string>> ServicesOfBackend(const Backend& backend,
                                                           const Descriptor& descriptor,
                                                           const std::vector<std::string>& bound,
                                                           std::vector<std::string>* warnings) {
  const TranscodingBackend& spec = backend.spec;
  const std::string& at = backend.source;
  if (spec.services().empty()) {
    if (bound.empty()) {
      return ConfigError(
          at, descriptor.key,
          "no service has google.api.http bindings, so there is nothing to transcode "
          "(annotate methods with option (google.api.http), or list services)");
    }
    if (bound.size() > 1) {
      return ConfigError(
          at, backend.key + ".services",
          absl::StrCat("the descriptor set has ", bound.size(),
                       " services with google.api.http bindings (", absl::StrJoin(bound, ", "),
                       ") and ", backend.key,
                       ".destination is one backend: list the services it serves in ", backend.key,
                       ".services, and give each other service its own entry in "
                       "transcoding.backends"));
    }
    return bound;
  }
  std::vector<std::string> services;
  const std::vector<std::string> available = ServicesIn(descriptor.set);
  for (int i = 0; i < spec.services_size(); ++i) {
    const std::string& service = spec.services(i);
    if (std::find(available.begin(), available.end(), service) == available.end()) {
      return ConfigError(
          at, absl::StrCat(backend.key, ".services[", i, "]"),
          absl::StrCat("service \"", service, "\" is not in the descriptor set (it has: ",
                       available.empty() ? "no services" : absl::StrJoin(available, ", "), ")"));
    }
    if (std::find(bound.begin(), bound.end(), service) == bound.end()) {
      warnings->push_back(absl::StrCat(
          at, ": ", backend.key, ".services[", i, "]: warning: service \"", service,
          "\" has no google.api.http bindings; the transcoder will not serve any of its "
          "methods"));
    }
    services.push_back(service);
  }
  return services;
}

void EmitTranscoderPatch(Doc& d, const Transcoding& t, const std::vector<std::string>& services,
                         const DescriptorPlacement& descriptor) {
  BeginInsertBeforeRouter(d, "envoy.filters.http.grpc_json_transcoder");
  d.Key("typed_config").Map();
  d.KV("@type",
       "type.googleapis.com/"
       "envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder");
  if (descriptor.volume.has_value()) {
    d.KV("proto_descriptor", descriptor.volume->file_path);
  } else {
    d.KV("proto_descriptor_bin", descriptor.base64);
  }
  d.StrSeq("services", services);
  const Transcoding::PrintOptions& print = t.print_options();
  d.Key("print_options").Map();
  d.KV("add_whitespace", print.add_whitespace());
  d.KV("always_print_primitive_fields", print.always_print_primitive_fields());
  d.KV("always_print_enums_as_ints", print.always_print_enums_as_ints());
  d.KV("preserve_proto_field_names", print.preserve_proto_field_names());
  d.EndMap();
  // Left false on purpose: the VirtualService routes on the gRPC path the transcoder
  // produces (/package.Service/Method), which Envoy matches again after transcoding.
  d.KV("match_incoming_request_route", false);
  d.KV("convert_grpc_status", t.convert_grpc_status());
  d.KV("ignore_unknown_query_parameters", t.unknown_query_parameters() == Transcoding::IGNORE);
  if (!t.ignored_query_parameters().empty()) {
    d.StrSeq("ignored_query_parameters",
             {t.ignored_query_parameters().begin(), t.ignored_query_parameters().end()});
  }
  if (t.unknown_query_parameters() == Transcoding::REJECT) {
    d.Key("request_validation_options").Map();
    d.KV("reject_unknown_query_parameters", true);
    d.EndMap();
  }
  if (t.has_max_request_body_size()) d.KV("max_request_body_size", t.max_request_body_size());
  if (t.has_max_response_body_size()) {
    d.KV("max_response_body_size", t.max_response_body_size());
  }
  d.EndMap();  // typed_config
  EndInsertBeforeRouter(d);
}

}  // namespace

void ApplyTranscodingDefaults(EdgeConfig* config) {
  if (!config->has_transcoding()) return;
  Transcoding* t = config->mutable_transcoding();
  t->mutable_print_options();  // rendered in full, so its defaults apply too
  ApplyDeclaredDefaults(t);
}

absl::Status ValidateTranscodingConfig(const EdgeConfig& config, const std::string& source,
                                       const Composition* composition) {
  const Transcoding& t = config.transcoding();
  if (absl::Status s = CheckKubernetesName(source, "transcoding.name", t.name()); !s.ok()) {
    return s;
  }
  std::map<std::string, std::string> listed_services;
  for (const Backend& backend : BackendsOf(t, source, composition)) {
    if (absl::Status s = ValidateBackend(backend, &listed_services); !s.ok()) return s;
  }
  std::set<std::string> seen;
  if (t.unknown_query_parameters() == Transcoding::UNKNOWN_QUERY_PARAMETERS_UNSPECIFIED) {
    return ConfigError(source, "transcoding.unknown_query_parameters",
                       "must be PASS_THROUGH, IGNORE or REJECT");
  }
  for (int i = 0; i < t.ignored_query_parameters_size(); ++i) {
    const std::string& name = t.ignored_query_parameters(i);
    const std::string key = absl::StrCat("transcoding.ignored_query_parameters[", i, "]");
    if (!IsQueryParameterName(name)) {
      return ConfigError(source, key,
                         absl::StrCat("\"", name,
                                      "\" is not a query parameter name (non-empty, no spaces, "
                                      "'&', '=', '?' or '#')"));
    }
    if (!seen.insert(name).second) {
      return ConfigError(source, key, absl::StrCat("\"", name, "\" is listed twice"));
    }
  }
  if (t.has_max_request_body_size() && t.max_request_body_size() == 0) {
    return ConfigError(source, "transcoding.max_request_body_size",
                       "must be at least 1 byte (leave it out for Envoy's default)");
  }
  if (t.has_max_response_body_size() && t.max_response_body_size() == 0) {
    return ConfigError(source, "transcoding.max_response_body_size",
                       "must be at least 1 byte (leave it out for Envoy's default)");
  }
  return absl::OkStatus();
}

absl::StatusOr<TranscodingOutput> RenderTranscoding(const EdgeConfig& config,
                                                    const RenderContext& context) {
  const Transcoding& t = config.transcoding();
  const std::string& source = context.source;
  std::vector<std::string> local_warnings;
  std::vector<std::string>* warnings =
      context.warnings != nullptr ? context.warnings : &local_warnings;

  // Every backend's descriptor set, merged into the one set the gateway's one transcoder
  // loads. A file two backends share (common protos) is kept once when it is the same
  // file; with different content the merged set would depend on which came first.
  FileDescriptorSet merged;
  std::map<std::string, std::pair<std::string, std::string>> file_origin;  // name -> label, bytes
  std::vector<std::string> services;
  std::map<std::string, const Backend*> service_backend;
  std::vector<GrpcServiceRoute> routes;
  const std::vector<Backend> backends = BackendsOf(t, source, context.composition);
  std::string single_backend_bytes;  // a lone prebuilt descriptor set is embedded as it is
  for (const Backend& backend : backends) {
    absl::StatusOr<Descriptor> descriptor = LoadDescriptor(backend, context, warnings);
    if (!descriptor.ok()) return descriptor.status();
    if (backends.size() == 1) single_backend_bytes = descriptor->bytes;
    const std::string& at = backend.source;
    for (const FileDescriptorProto& file : descriptor->set.file()) {
      std::string bytes;
      file.SerializeToString(&bytes);
      auto [it, inserted] =
          file_origin.emplace(file.name(), std::make_pair(Label(backend, descriptor->key), bytes));
      if (inserted) {
        *merged.add_file() = file;
      } else if (it->second.second != bytes) {
        return ConfigError(at, descriptor->key,
                           absl::StrCat(file.name(), " differs from the file of the same name in ",
                                        it->second.first,
                                        ": the gateway's one transcoder loads one merged "
                                        "descriptor set, so shared files must be identical "
                                        "(name proto files by their package's path, e.g. "
                                        "payments/v1/payments.proto, so that different files "
                                        "never share a name)"));
      }
    }
    absl::StatusOr<std::vector<HttpRoute>> bindings = ListHttpRoutes(descriptor->set);
    if (!bindings.ok()) {
      return ConfigError(at, descriptor->key, std::string(bindings.status().message()));
    }
    // Services with at least one binding, in descriptor order.
    std::vector<std::string> bound;
    for (const HttpRoute& route : *bindings) {
      const std::string service = ServiceOf(route.method);
      if (std::find(bound.begin(), bound.end(), service) == bound.end()) bound.push_back(service);
    }
    absl::StatusOr<std::vector<std::string>> backend_services =
        ServicesOfBackend(backend, *descriptor, bound, warnings);
    if (!backend_services.ok()) return backend_services.status();
    for (const std::string& service : *backend_services) {
      if (context.composition != nullptr) {
        if (absl::Status s = CheckPackageClaim(Ref(backend), service, *context.composition);
            !s.ok()) {
          return s;
        }
      }
      auto [it, inserted] = service_backend.emplace(service, &backend);
      if (!inserted) {
        return ConfigError(at, backend.key + ".services",
                           absl::StrCat("service \"", service, "\" is already served by ",
                                        Label(*it->second, it->second->key),
                                        ": a gRPC service has one destination"));
      }
      services.push_back(service);
      GrpcServiceRoute route{service, backend.spec.destination(), backend.team, {}};
      if (const TeamClaim* claim =
              context.composition != nullptr ? context.composition->Team(backend.team) : nullptr) {
        route.hosts = claim->hosts;
      }
      routes.push_back(std::move(route));
    }
  }

  // The merged set must build as one pool: the same fully qualified name defined in two
  // different files would make Envoy refuse the filter.
  absl::StatusOr<std::vector<HttpRoute>> all_bindings = ListHttpRoutes(merged);
  if (!all_bindings.ok()) {
    return ConfigError(source, "transcoding",
                       absl::StrCat("the backends' descriptor sets do not merge into one: ",
                                    all_bindings.status().message()));
  }
  // Two services binding the same verb and path template: the transcoder would take the
  // first for both, and the second's REST callers would silently reach the wrong backend.
  std::map<std::pair<std::string, std::string>, std::string> template_owner;
  std::optional<BindingGuard> guard;
  if (context.composition != nullptr) guard.emplace(config, *context.composition);
  for (const HttpRoute& binding : *all_bindings) {
    const std::string service = ServiceOf(binding.method);
    auto owner = service_backend.find(service);
    if (owner == service_backend.end()) continue;
    const Backend& backend = *owner->second;
    auto [it, inserted] = template_owner.emplace(
        std::make_pair(binding.verb, absl::StrJoin(TemplateSegments(binding.path), "/")),
        binding.method);
    if (!inserted && ServiceOf(it->second) != service) {
      return ConfigError(
          backend.source, backend.key,
          absl::StrCat(binding.method, " binds ", binding.verb, " ", binding.path, ", as ",
                       it->second, " (",
                       Label(*service_backend[ServiceOf(it->second)],
                             service_backend[ServiceOf(it->second)]->key),
                       ") already does: two services may not bind the same verb and path "
                       "template"));
    }
    if (guard.has_value()) {
      if (absl::Status s = guard->Check(Ref(backend), binding); !s.ok()) return s;
    }
  }
  Descriptor merged_descriptor;
  merged_descriptor.bytes =
      backends.size() == 1 ? std::move(single_backend_bytes) : SerializeDescriptorSet(merged);
  FileDescriptorSet shipped = merged;
  if (t.prune_descriptor()) {
    absl::StatusOr<FileDescriptorSet> pruned = PruneDescriptorSet(merged, services);
    if (!pruned.ok()) {
      return ConfigError(source, "transcoding", std::string(pruned.status().message()));
    }
    std::string bytes = SerializeDescriptorSet(*pruned);
    // Unchanged by pruning: keep the bytes as they came (a prebuilt set stays as it is).
    if (bytes != SerializeDescriptorSet(merged)) {
      merged_descriptor.bytes = std::move(bytes);
      shipped = *std::move(pruned);
    }
  }
  std::map<std::string, std::string> file_owner;
  for (const auto& [name, origin] : file_origin) file_owner[name] = origin.first;
  absl::StatusOr<DescriptorPlacement> placement =
      PlaceDescriptor(merged_descriptor.bytes, shipped, file_owner, config, source, warnings);
  if (!placement.ok()) return placement.status();

  Doc d;
  Header(d, "networking.istio.io/v1alpha3", "EnvoyFilter", t.name(), config.gateway().namespace_());
  d.Key("spec").Map();
  EmitGatewayAttachment(d, config, SelectorStyle::kWorkloadSelector);
  d.Key("configPatches").Seq();
  // Both patches INSERT_BEFORE the router, applied in list order, so the chain becomes
  // [..., compressor, transcoder, router]. Envoy runs request (decode) filters in chain
  // order and response (encode) filters in reverse: a response goes router -> transcoder
  // (gRPC becomes JSON) -> compressor (gzips that JSON). With the transcoder first, the
  // compressor would see application/grpc on the way out and leave the body alone, and
  // the JSON the client gets would never be compressed.
  if (GzipEnabled(config)) EmitCompressorPatch(d, config);
  EmitTranscoderPatch(d, t, services, *placement);
  d.EndSeq();
  d.EndMap().EndMap();  // spec, document

  TranscodingOutput output;
  output.files.push_back(
      {kTranscodingFile,
       {d.Text(context.composition != nullptr ? context.composition->Comment() : "")}});
  if (placement->volume.has_value()) {
    output.files[0].documents.push_back(placement->config_map_document);
    output.descriptor_volume = placement->volume;
  }
  output.routes = std::move(routes);
  return output;
}

bool TranscodingFeature::Enabled(const EdgeConfig& config) const {
  return TranscodingEnabled(config);
}

void TranscodingFeature::ApplyDefaults(EdgeConfig* config) const {
  ApplyTranscodingDefaults(config);
}

absl::Status TranscodingFeature::Validate(const EdgeConfig& config, const RenderContext& context) {
  return ValidateTranscodingConfig(config, context.source, context.composition);
}

absl::Status TranscodingFeature::Render(const EdgeConfig& config, const RenderContext& context,
                                        std::vector<RenderedFile>* files) {
  absl::StatusOr<TranscodingOutput> output = RenderTranscoding(config, context);
  if (!output.ok()) return output.status();
  files->insert(files->end(), output->files.begin(), output->files.end());
  routes_ = std::move(output->routes);
  descriptor_volume_ = std::move(output->descriptor_volume);
  return absl::OkStatus();
}

}  // namespace edgekit::cli
