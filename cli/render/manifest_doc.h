// A small YAML writer for the manifests `edgekit render` emits: fixed key order (the
// order of the calls), strings quoted whenever a YAML reader could take them for
// something else, two-space indent. Shared by every renderer so all output looks alike.
#ifndef EDGEKIT_CLI_RENDER_MANIFEST_DOC_H_
#define EDGEKIT_CLI_RENDER_MANIFEST_DOC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "google/protobuf/map.h"
#include "google/protobuf/message.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::cli {

// True for strings a YAML 1.1/1.2 reader would take for a number, boolean or null, or
// that start or contain YAML syntax; they are emitted double-quoted ("1.30", "true").
bool NeedsQuotes(const std::string& s);

class Doc {
 public:
  Doc();
  Doc& Key(const std::string& key);
  Doc& Str(const std::string& s);
  Doc& KV(const std::string& key, const std::string& value) { return Key(key).Str(value); }
  Doc& KV(const std::string& key, const char* value) { return Key(key).Str(value); }
  Doc& KV(const std::string& key, uint32_t value);
  Doc& KV(const std::string& key, bool value);
  // A text that must come back byte for byte (a direct-response body): multi-line and
  // control characters are written as escapes in a double-quoted scalar.
  Doc& Literal(const std::string& key, const std::string& value);
  Doc& Map();
  Doc& EndMap();
  Doc& Seq();
  Doc& EndSeq();
  Doc& StrSeq(const std::string& key, const std::vector<std::string>& values);
  Doc& Labels(const std::string& key, const std::map<std::string, std::string>& labels);
  // The set fields of `message` as a map, by proto field name in field-number order (the
  // shape common/yaml_proto.h reads back): scalars, strings, enums by name, nested and
  // repeated fields (map fields are not supported: none of our configs has one).
  Doc& Message(const google::protobuf::Message& message);
  // The document text, ending in a newline, after `comment` (lines starting with "# ").
  std::string Text(const std::string& comment = "") const;

 private:
  void Field(const google::protobuf::Message& message,
             const google::protobuf::FieldDescriptor* field, int index);

  YAML::Emitter e_;
};

std::map<std::string, std::string> Sorted(const google::protobuf::Map<std::string, std::string>& m);

// apiVersion, kind, metadata {name, namespace, labels: managed-by edgekit}; leaves the
// top-level map open for `spec`.
void Header(Doc& d, const std::string& api_version, const std::string& kind,
            const std::string& name, const std::string& ns);

// Opens one EnvoyFilter `configPatches` item that inserts HTTP filter `filter_name` right
// before envoy.filters.http.router in the gateway's HTTP connection manager, down to the
// open `value` map (name written): the caller writes `typed_config`, then closes with
// EndInsertBeforeRouter.
void BeginInsertBeforeRouter(Doc& d, const std::string& filter_name);
void EndInsertBeforeRouter(Doc& d);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_MANIFEST_DOC_H_
