// Helpers shared by the CLI tests: run the built edgekit (or protoc) as a subprocess
// and capture exit code, stdout and stderr; temporary directories; file helpers.
// Header-only because each tests/cli/*_test.cc is its own executable.
#ifndef EDGEKIT_TESTS_CLI_CLI_TEST_UTIL_H_
#define EDGEKIT_TESTS_CLI_CLI_TEST_UTIL_H_

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace edgekit::cli::testing {

inline std::string TestDataDir() { return EDGEKIT_SOURCE_DIR "/tests/cli/testdata"; }
inline std::string EdgekitBinary() { return EDGEKIT_CLI_BINARY; }
inline std::string ProtocBinary() { return EDGEKIT_PROTOC; }

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ShellQuote(const std::string& arg) {
  std::string quoted = "'";
  for (char c : arg) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

inline std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteStringToFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Names in `dir`, sorted, without "." and "..".
inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str()); d != nullptr) {
    while (dirent* entry = readdir(d)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Removes every directory MakeTempDir made when the test program exits.
class TempDirRegistry {
 public:
  ~TempDirRegistry() {
    for (const std::string& dir : dirs_) {
      [[maybe_unused]] int rc = std::system(("rm -rf " + ShellQuote(dir)).c_str());
    }
  }
  void Add(const std::string& dir) { dirs_.push_back(dir); }

 private:
  std::vector<std::string> dirs_;
};

// A fresh directory under the test's temporary directory, removed at exit.
inline std::string MakeTempDir() {
  static TempDirRegistry registry;
  std::string templ = ::testing::TempDir() + "edgekit_cli_XXXXXX";
  std::vector<char> buffer(templ.begin(), templ.end());
  buffer.push_back('\0');
  const char* dir = mkdtemp(buffer.data());
  EXPECT_NE(dir, nullptr) << "mkdtemp " << templ;
  if (dir == nullptr) return "";
  registry.Add(dir);
  return dir;
}

// Runs `argv` through the shell with stdin from `stdin_file` (or /dev/null) and the
// working directory `cwd` (or the current one), capturing both output streams.
inline CommandResult RunCommand(const std::vector<std::string>& argv,
                                const std::string& stdin_file = "/dev/null",
                                const std::string& cwd = "") {
  static const std::string capture_dir = MakeTempDir();
  static int counter = 0;
  std::string capture = capture_dir + "/capture" + std::to_string(counter++);
  std::string command;
  if (!cwd.empty()) command = "cd " + ShellQuote(cwd) + " && ";
  for (const std::string& arg : argv) command += ShellQuote(arg) + " ";
  command += "<" + ShellQuote(stdin_file) + " >" + ShellQuote(capture + ".out") + " 2>" +
             ShellQuote(capture + ".err");
  int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFileToString(capture + ".out");
  result.err = ReadFileToString(capture + ".err");
  return result;
}

inline CommandResult RunEdgekit(std::vector<std::string> args,
                                const std::string& stdin_file = "/dev/null",
                                const std::string& cwd = "") {
  args.insert(args.begin(), EdgekitBinary());
  return RunCommand(args, stdin_file, cwd);
}

inline CommandResult RunProtoc(std::vector<std::string> args) {
  args.insert(args.begin(), ProtocBinary());
  return RunCommand(args);
}

// A directory holding copies of edgekit's built-in google/api protos, so protoc can be
// given exactly the sources edgekit compiles in.
inline std::string BuiltinGoogleApiCopy() {
  std::string dir = MakeTempDir();
  std::string api = dir + "/google/api";
  EXPECT_EQ(std::system(("mkdir -p " + ShellQuote(api)).c_str()), 0);
  for (const char* name : {"annotations.proto", "http.proto"}) {
    WriteStringToFile(
        api + "/" + name,
        ReadFileToString(std::string(EDGEKIT_SOURCE_DIR "/proto/google/api/") + name));
  }
  return dir;
}

// Compares `actual` with the golden file, or rewrites the golden file when
// EDGEKIT_UPDATE_GOLDEN=1 (then review the diff and commit it).
inline void ExpectMatchesGolden(const std::string& actual, const std::string& golden_name) {
  std::string path = TestDataDir() + "/" + golden_name;
  const char* update = std::getenv("EDGEKIT_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    WriteStringToFile(path, actual);
    std::cerr << "updated golden file " << path << "\n";
    return;
  }
  ASSERT_TRUE(FileExists(path)) << path << " is missing; run with EDGEKIT_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, ReadFileToString(path))
      << "output differs from " << path
      << "; if the change is intended, rerun with EDGEKIT_UPDATE_GOLDEN=1 and review";
}

}  // namespace edgekit::cli::testing

#endif  // EDGEKIT_TESTS_CLI_CLI_TEST_UTIL_H_
