// Small helpers shared by tests that talk gRPC: reading one metadata value and polling
// for a condition that server-side accounting reaches a moment after the client.
#ifndef EDGEKIT_TESTS_TESTING_GRPC_TEST_HELPERS_H_
#define EDGEKIT_TESTS_TESTING_GRPC_TEST_HELPERS_H_

#include <map>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/support/string_ref.h"

namespace edgekit::testing {

// The value of `key` in received metadata, or "<absent>".
inline std::string FindMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                                const std::string& key) {
  auto it = md.find(key);
  return it == md.end() ? "<absent>" : std::string(it->second.data(), it->second.size());
}

// Polls `pred` every 5 ms for up to 10 s; returns its last value.
template <typename Pred>
bool Eventually(Pred pred) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return pred();
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_GRPC_TEST_HELPERS_H_
