// Shared by the fuzz targets: the one property checked beyond "no crash, no sanitizer
// report, no hang": an error status always says what is wrong (house style: a message
// naming the file and key path), so an empty message is a finding too.
#ifndef EDGEKIT_TESTS_FUZZ_FUZZ_CHECK_H_
#define EDGEKIT_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"

// The entry points libFuzzer calls (it ships no header declaring them); declared here so
// that each fuzzer's definition has a prototype (-Wmissing-prototypes, edgekit_warnings).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace edgekit::fuzz {

inline void CheckErrorHasMessage(const absl::Status& status, const char* what) {
  if (!status.ok() && status.message().empty()) {
    std::fprintf(stderr, "%s: error status %d with an empty message\n", what,
                 static_cast<int>(status.code()));
    std::abort();
  }
}

}  // namespace edgekit::fuzz

#endif  // EDGEKIT_TESTS_FUZZ_FUZZ_CHECK_H_
