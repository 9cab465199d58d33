// Defaults declared once, in the schema: each field's (edgekit.default_value) option
// (proto/edgekit/options.proto). The features apply them to their sections, the CLI help
// and the README read them from here, so a default is written in one place.
#ifndef EDGEKIT_CLI_EDGE_DEFAULTS_H_
#define EDGEKIT_CLI_EDGE_DEFAULTS_H_

#include <string>
#include <string_view>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace edgekit::cli {

// Sets every unset field of `message` that declares a default, and recurses into the
// sub-messages that are set (an absent section stays absent). Repeated and map fields
// count as unset when empty. A default that does not parse is a bug in the schema: the
// process aborts naming it (tests/cli/defaults_test.cc applies every one).
void ApplyDeclaredDefaults(google::protobuf::Message* message);

// The declared default of `field` ("" when it declares none), as written in the option.
std::string DeclaredDefault(const google::protobuf::FieldDescriptor* field);

// The same for a field of `type` named by name; aborts for a field that does not exist
// (a typo in the caller).
std::string DeclaredDefault(const google::protobuf::Descriptor* type, std::string_view field);

// " Default <value>" for a help text, or "" when the field declares none.
std::string DefaultHelp(const google::protobuf::Descriptor* type, std::string_view field);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_EDGE_DEFAULTS_H_
