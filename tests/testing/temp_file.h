// A file with given contents in the test's temporary directory, removed when it goes out
// of scope. Names carry the process id so parallel ctest runs never collide.
#ifndef EDGEKIT_TESTS_TESTING_TEMP_FILE_H_
#define EDGEKIT_TESTS_TESTING_TEMP_FILE_H_

#include <unistd.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace edgekit::testing {

class TempFile {
 public:
  TempFile(const std::string& name, const std::string& contents)
      : path_(::testing::TempDir() + "edgekit_" + std::to_string(getpid()) + "_" + name) {
    std::FILE* file = std::fopen(path_.c_str(), "wb");
    EXPECT_NE(file, nullptr) << path_;
    if (file != nullptr) {
      std::fwrite(contents.data(), 1, contents.size(), file);
      std::fclose(file);
    }
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_TEMP_FILE_H_
