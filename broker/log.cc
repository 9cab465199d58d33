// Writes each line with one fwrite so lines from different threads never interleave.
#include "broker/log.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace edgekit::broker {
namespace {

void Log(char level, absl::string_view message) {
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   std::string(1, level), " ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void LogInfo(absl::string_view message) { Log('I', message); }
void LogWarning(absl::string_view message) { Log('W', message); }
void LogError(absl::string_view message) { Log('E', message); }

}  // namespace edgekit::broker
