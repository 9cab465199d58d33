// libFuzzer target: the broker's config file text -> validated BrokerSettings, as
// `edgekit-broker --config FILE` (and a SIGHUP reload) does with no flag overrides
// (LoadBrokerSettingsFromText, the text half of LoadBrokerSettings in broker/config.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "broker/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const edgekit::broker::v1::BrokerConfig* const kNoOverrides =
      new edgekit::broker::v1::BrokerConfig();
  absl::StatusOr<edgekit::broker::BrokerSettings> settings =
      edgekit::broker::LoadBrokerSettingsFromText(text, "broker.yaml", *kNoOverrides);
  edgekit::fuzz::CheckErrorHasMessage(settings.status(), "LoadBrokerSettingsFromText");
  return 0;
}
