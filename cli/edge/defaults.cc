#include "cli/edge/defaults.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "common/yaml_proto.h"
#include "edgekit/options.pb.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

[[noreturn]] void SchemaBug(const std::string& what) {
  std::cerr << "edgekit: bug in the config schema: " << what << "\n";
  std::abort();
}

bool IsUnset(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  return field->is_repeated() ? reflection->FieldSize(message, field) == 0
                              : !reflection->HasField(message, field);
}

// Loads `text` into `field` of `message` through the config loader itself, so a default
// is read exactly as the same text in the YAML file would be.
void SetFromText(Message* message, const FieldDescriptor* field, const std::string& text) {
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SchemaBug(field->full_name() + ": default \"" + text + "\" is not YAML: " + e.what());
  }
  YAML::Node wrapper(YAML::NodeType::Map);
  wrapper[field->name()] = value;
  std::unique_ptr<Message> scratch(message->New());
  absl::Status status = YamlToProto(wrapper, scratch.get(), "default");
  if (!status.ok()) {
    SchemaBug(field->full_name() + ": default \"" + text + "\": " + std::string(status.message()));
  }
  message->MergeFrom(*scratch);
}

}  // namespace

std::string DeclaredDefault(const FieldDescriptor* field) {
  return field->options().GetExtension(edgekit::default_value);
}

std::string DeclaredDefault(const Descriptor* type, std::string_view name) {
  const FieldDescriptor* field = type->FindFieldByName(std::string(name));
  if (field == nullptr) SchemaBug(type->full_name() + " has no field " + std::string(name));
  return DeclaredDefault(field);
}

std::string DefaultHelp(const Descriptor* type, std::string_view field) {
  const std::string value = DeclaredDefault(type, field);
  return value.empty() ? "" : " Default " + value;
}

void ApplyDeclaredDefaults(Message* message) {
  const Descriptor* type = message->GetDescriptor();
  const Reflection* reflection = message->GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const std::string value = DeclaredDefault(field);
    if (!value.empty() && IsUnset(*message, field)) SetFromText(message, field, value);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated() &&
        reflection->HasField(*message, field)) {
      ApplyDeclaredDefaults(reflection->MutableMessage(message, field));
    }
  }
}

}  // namespace edgekit::cli
