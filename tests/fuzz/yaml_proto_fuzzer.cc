// libFuzzer target: the YAML -> proto loader (common/yaml_proto.h) on arbitrary text,
// into both config schemas: edgekit.broker.v1.BrokerConfig and edgekit.edge.v1.EdgeConfig.
// Any outcome is fine (OK or an error status); a crash, a sanitizer report, an uncaught
// exception, a hang or runaway memory is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "common/yaml_proto.h"
#include "edgekit/broker/v1/broker_config.pb.h"
#include "edgekit/edge/v1/edge_config.pb.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  edgekit::broker::v1::BrokerConfig broker;
  absl::Status status = edgekit::YamlTextToProto(text, &broker, "broker.yaml");
  edgekit::fuzz::CheckErrorHasMessage(status, "YamlTextToProto(BrokerConfig)");

  edgekit::edge::v1::EdgeConfig edge;
  status = edgekit::YamlTextToProto(text, &edge, "edge.yaml");
  edgekit::fuzz::CheckErrorHasMessage(status, "YamlTextToProto(EdgeConfig)");
  return 0;
}
