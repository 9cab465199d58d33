// The google.api.http bindings of a descriptor set: reads google.api.http options by reflection
// over the descriptor set's own definitions, so no generated code for google/api is linked in
// (linking it would change how protoc-compatible output serializes options).
#include "cli/proto/http_routes.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/proto/http_rule_check.h"
#include "common/json_text.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace edgekit::cli {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::DynamicMessageFactory;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::Message;
using ::google::protobuf::MethodDescriptor;

// The published wire contract of google/api/annotations.proto and http.proto.
constexpr int kHttpExtensionNumber = 72295728;  // extend MethodOptions { HttpRule http }
constexpr int kBodyField = 7;                   // HttpRule.body
constexpr int kCustomField = 8;                 // HttpRule.custom
constexpr int kAdditionalBindingsField = 11;    // HttpRule.additional_bindings
constexpr int kResponseBodyField = 12;          // HttpRule.response_body
constexpr int kCustomKindField = 1;             // CustomHttpPattern.kind
constexpr int kCustomPathField = 2;             // CustomHttpPattern.path

struct VerbField {
  int number;
  const char* verb;
};
constexpr VerbField kVerbFields[] = {
    {2, "GET"}, {3, "PUT"}, {4, "POST"}, {5, "DELETE"}, {6, "PATCH"}};

class PoolErrors : public DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const Message* /*descriptor*/, ErrorLocation /*location*/,
                const std::string& message) override {
    errors.push_back(absl::StrCat(filename, ": ", element_name, ": ", message));
  }
  std::vector<std::string> errors;
};

// Builds `name` and, first, its imports into `pool`. Done by hand rather than with a
// DescriptorDatabase so that a set in any order works and problems come back as
// statuses instead of protobuf log lines.
absl::Status BuildFile(const std::string& name, const std::string& imported_by,
                       const std::map<std::string, const FileDescriptorProto*>& files,
                       std::set<std::string>* in_progress, DescriptorPool* pool) {
  if (pool->FindFileByName(name) != nullptr) return absl::OkStatus();
  auto it = files.find(name);
  if (it == files.end()) {
    return absl::InvalidArgumentError(absl::StrCat("descriptor set lacks ", name, ", imported by ",
                                                   imported_by,
                                                   " (was it built without --include_imports?)"));
  }
  if (!in_progress->insert(name).second) {
    return absl::InvalidArgumentError(absl::StrCat("descriptor set: import cycle at ", name));
  }
  for (const std::string& dependency : it->second->dependency()) {
    if (absl::Status status = BuildFile(dependency, name, files, in_progress, pool); !status.ok()) {
      return status;
    }
  }
  PoolErrors errors;
  if (pool->BuildFileCollectingErrors(*it->second, &errors) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("descriptor set: ", absl::StrJoin(errors.errors, "; ")));
  }
  return absl::OkStatus();
}

// A singular field by number, or nullptr when this HttpRule definition lacks it or
// gives it another shape (the contract is the number; be tolerant of the rest).
const FieldDescriptor* SingularField(const Message& message, int number,
                                     FieldDescriptor::CppType type) {
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByNumber(number);
  if (field == nullptr || field->is_repeated() || field->cpp_type() != type) return nullptr;
  return field;
}

bool HasStringField(const Message& message, int number) {
  const FieldDescriptor* field = SingularField(message, number, FieldDescriptor::CPPTYPE_STRING);
  return field != nullptr && message.GetReflection()->HasField(message, field);
}

std::string StringField(const Message& message, int number) {
  const FieldDescriptor* field = SingularField(message, number, FieldDescriptor::CPPTYPE_STRING);
  return field == nullptr ? "" : message.GetReflection()->GetString(message, field);
}

// Appends the route `rule` describes; a rule without a verb and path is reported in
// `warnings` rather than listed, since Envoy cannot serve it.
absl::Status AddRule(const Message& rule, const MethodDescriptor& descriptor,
                     const std::string& method, bool additional, std::vector<HttpRoute>* routes,
                     std::vector<std::string>* warnings) {
  HttpRoute route;
  route.method = method;
  route.additional = additional;
  for (const VerbField& verb : kVerbFields) {
    if (HasStringField(rule, verb.number)) {
      route.verb = verb.verb;
      route.path = StringField(rule, verb.number);
    }
  }
  if (const FieldDescriptor* custom =
          SingularField(rule, kCustomField, FieldDescriptor::CPPTYPE_MESSAGE);
      custom != nullptr && rule.GetReflection()->HasField(rule, custom)) {
    const Message& pattern = rule.GetReflection()->GetMessage(rule, custom);
    route.verb = StringField(pattern, kCustomKindField);
    route.path = StringField(pattern, kCustomPathField);
  }
  route.body = StringField(rule, kBodyField);
  route.response_body = StringField(rule, kResponseBodyField);
  if (route.verb.empty()) {
    warnings->push_back(absl::StrCat(method, ": google.api.http ",
                                     additional ? "additional binding " : "",
                                     "has no verb and path; skipped"));
    return absl::OkStatus();
  }
  // What Envoy would refuse when loading the transcoder is refused here, naming the
  // method and the binding.
  absl::Status checked = CheckPathTemplate(route.path, *descriptor.input_type());
  if (checked.ok()) {
    checked = CheckBodyFields(route.body, route.response_body, *descriptor.input_type(),
                              *descriptor.output_type());
  }
  if (!checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method, ": google.api.http ", additional ? "additional binding " : "",
                     absl::AsciiStrToLower(route.verb), ": ", checked.message()));
  }
  routes->push_back(std::move(route));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<HttpRoute>> ListHttpRoutes(const FileDescriptorSet& set,
                                                      std::vector<std::string>* warnings) {
  std::vector<std::string> ignored;
  if (warnings == nullptr) warnings = &ignored;
  std::map<std::string, const FileDescriptorProto*> files;
  for (const FileDescriptorProto& file : set.file()) {
    auto [it, inserted] = files.emplace(file.name(), &file);
    if (!inserted && it->second->SerializeAsString() != file.SerializeAsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptor set holds two different files named ", file.name()));
    }
  }
  DescriptorPool pool;
  std::set<std::string> in_progress;
  for (const FileDescriptorProto& file : set.file()) {
    if (absl::Status status = BuildFile(file.name(), "the set", files, &in_progress, &pool);
        !status.ok()) {
      return status;
    }
  }

  std::vector<HttpRoute> routes;
  const Descriptor* options_type = pool.FindMessageTypeByName("google.protobuf.MethodOptions");
  const FieldDescriptor* http =
      options_type == nullptr ? nullptr
                              : pool.FindExtensionByNumber(options_type, kHttpExtensionNumber);
  if (http == nullptr) return routes;  // nothing imports google/api/annotations.proto
  if (http->is_repeated() || http->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return absl::InvalidArgumentError(absl::StrCat(
        http->full_name(), " (field ", kHttpExtensionNumber,
        " of MethodOptions) is not a singular message, so it is not google.api.HttpRule"));
  }

  DynamicMessageFactory factory(&pool);
  const Message* options_prototype = factory.GetPrototype(options_type);
  std::set<std::string> listed;
  for (const FileDescriptorProto& file_proto : set.file()) {
    if (!listed.insert(file_proto.name()).second) continue;
    const FileDescriptor* file = pool.FindFileByName(file_proto.name());
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const MethodDescriptor* method = file->service(s)->method(m);
        // The option is an unknown field of the compiled-in MethodOptions; reparsing
        // with the pool as extension registry turns it into a readable HttpRule.
        std::string bytes = method->options().SerializeAsString();
        std::unique_ptr<Message> options(options_prototype->New());
        google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
        google::protobuf::io::CodedInputStream input(&raw);
        input.SetExtensionRegistry(&pool, &factory);
        if (!options->MergePartialFromCodedStream(&input)) {
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(), ": cannot parse the method options"));
        }
        const google::protobuf::Reflection* reflection = options->GetReflection();
        if (!reflection->HasField(*options, http)) continue;
        const Message& rule = reflection->GetMessage(*options, http, &factory);
        std::string name = absl::StrCat(method->service()->full_name(), "/", method->name());
        if (absl::Status added =
                AddRule(rule, *method, name, /*additional=*/false, &routes, warnings);
            !added.ok()) {
          return added;
        }
        const FieldDescriptor* additional =
            rule.GetDescriptor()->FindFieldByNumber(kAdditionalBindingsField);
        if (additional == nullptr || !additional->is_repeated() ||
            additional->message_type() != rule.GetDescriptor()) {
          continue;
        }
        for (int i = 0; i < rule.GetReflection()->FieldSize(rule, additional); ++i) {
          if (absl::Status added =
                  AddRule(rule.GetReflection()->GetRepeatedMessage(rule, additional, i), *method,
                          name, /*additional=*/true, &routes, warnings);
              !added.ok()) {
            return added;
          }
        }
      }
    }
  }
  return routes;
}

bool HttpRoute::operator==(const HttpRoute& other) const {
  return method == other.method && verb == other.verb && path == other.path && body == other.body &&
         response_body == other.response_body && additional == other.additional;
}

std::string FormatRoutesText(const std::vector<HttpRoute>& routes) {
  std::size_t verb_width = 0;
  std::size_t path_width = 0;
  for (const HttpRoute& route : routes) {
    verb_width = std::max(verb_width, route.verb.size());
    path_width = std::max(path_width, route.path.size());
  }
  std::string out;
  for (const HttpRoute& route : routes) {
    absl::StrAppend(&out, route.verb, std::string(verb_width - route.verb.size() + 2, ' '),
                    route.path, std::string(path_width - route.path.size() + 2, ' '), "-> ",
                    route.method);
    if (!route.body.empty()) absl::StrAppend(&out, "  body=", route.body);
    if (!route.response_body.empty()) {
      absl::StrAppend(&out, "  response_body=", route.response_body);
    }
    if (route.additional) absl::StrAppend(&out, "  (additional binding)");
    out += "\n";
  }
  return out;
}

std::string FormatRoutesJson(const std::vector<HttpRoute>& routes) {
  if (routes.empty()) return "{\n  \"routes\": []\n}\n";
  std::string out = "{\n  \"routes\": [\n";
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const HttpRoute& route = routes[i];
    absl::StrAppend(&out, "    {\n",                                                      //
                    "      \"method\": ", JsonString(route.method), ",\n",                //
                    "      \"verb\": ", JsonString(route.verb), ",\n",                    //
                    "      \"path\": ", JsonString(route.path), ",\n",                    //
                    "      \"body\": ", JsonString(route.body), ",\n",                    //
                    "      \"response_body\": ", JsonString(route.response_body), ",\n",  //
                    "      \"additional_binding\": ", route.additional ? "true" : "false",
                    "\n    }", i + 1 < routes.size() ? "," : "", "\n");
  }
  out += "  ]\n}\n";
  return out;
}

}  // namespace edgekit::cli
