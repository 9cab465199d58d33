// Every broker config the repository and its tests accept, through a real broker start
// (issue 19: what --check-config accepts, startup must accept too). Collected:
//   - checked in: every git-tracked broker.yaml (examples/*/rendered/broker.yaml,
//     charts/istio-gateway-values/broker.yaml);
//   - README.md: each ```yaml block that starts with "# broker.yaml" (complete files);
//   - the Helm chart charts/edgekit-gateway: the broker.yaml of its ConfigMap (and the
//     broker container's args) rendered by tests/chart's helm-render with default values
//     and with each tests/chart/testdata/*-values.yaml the chart tests accept (bad-*
//     are the ones the schema or the broker must refuse);
//   - rendered: the broker.yaml that the real `edgekit render` writes for every tracked
//     *.yaml under examples/ and tests/cli/testdata/ it accepts (what it refuses, and
//     what renders no broker.yaml, is listed and skipped: not an accepted broker config).
// For each: `edgekit-broker --check-config` exits 0, then the broker started on
// 127.0.0.1:0 logs "edgekit-broker listening on", answers /healthz, and exits 0 on
// SIGTERM. The upstream targets are cluster DNS names that do not resolve here; the
// broker logs that and stays not ready (/readyz 503), which is not a failure.
// A cidrs_file a config names (relative paths are read from the config's directory) is
// copied from beside its source (the edge.yaml, the checked-in file) or, if absent there
// (the README's blocklist.txt), created with one documentation network.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"
#include "yaml-cpp/yaml.h"

namespace edgekit::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr char kSourceDir[] = EDGEKIT_SOURCE_DIR;
constexpr int kMinConfigs = 10;  // a broken glob must not pass with nothing to check
constexpr int kParallelBrokers = 2;

// One broker config and where it came from.
struct BrokerConfigCase {
  std::string origin;                   // names the config in every message
  std::string yaml;                     // the file's contents
  std::string source_dir;               // where its relative cidrs_files are looked for
  std::vector<std::string> extra_args;  // besides --config (the chart's container args)
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A fresh directory under the test's temporary directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string templ = ::testing::TempDir() + "edgekit_broker_configs_XXXXXX";
    if (mkdtemp(templ.data()) != nullptr) path_ = templ;
    EXPECT_FALSE(path_.empty()) << "mkdtemp " << templ;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `binary args` to completion (stdout and stderr together); nullopt on timeout.
struct RunResult {
  std::optional<int> exit_code;
  std::string output;
};
RunResult Run(const std::string& binary, const std::vector<std::string>& args,
              milliseconds timeout = milliseconds(20000)) {
  ChildProcess child(binary, args);
  RunResult result;
  result.exit_code = child.Wait(timeout);
  result.output = child.Output();
  return result;
}

// The repository's tracked files (relative paths), or every file under it when this
// is not a git checkout (a source tarball).
std::vector<std::string> TrackedFiles() {
  std::vector<std::string> files;
  const RunResult git = Run("/usr/bin/git", {"-C", kSourceDir, "ls-files", "-z"});
  if (git.exit_code == 0 && !git.output.empty()) {
    for (absl::string_view name : absl::StrSplit(git.output, '\0', absl::SkipEmpty())) {
      files.emplace_back(name);
    }
  } else {
    for (auto it = fs::recursive_directory_iterator(kSourceDir);
         it != fs::recursive_directory_iterator(); ++it) {
      const std::string rel = fs::relative(it->path(), kSourceDir).string();
      if (it->is_directory() && (absl::StartsWith(rel, ".git") || absl::StartsWith(rel, "build"))) {
        it.disable_recursion_pending();
      } else if (it->is_regular_file()) {
        files.push_back(rel);
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Basename(const std::string& path) { return fs::path(path).filename().string(); }
std::string Dirname(const std::string& path) { return fs::path(path).parent_path().string(); }

// (a) Every tracked file named broker.yaml, but the fuzzers' inputs (meant to be refused).
void CollectCheckedIn(const std::vector<std::string>& tracked,
                      std::vector<BrokerConfigCase>* cases) {
  for (const std::string& rel : tracked) {
    if (Basename(rel) != "broker.yaml" || absl::StartsWith(rel, "tests/fuzz/")) continue;
    const std::string path = absl::StrCat(kSourceDir, "/", rel);
    cases->push_back({rel + " (checked in)", ReadFile(path), Dirname(path), {}});
  }
}

// README.md's ```yaml blocks whose first line is "# broker.yaml".
void CollectReadme(std::vector<BrokerConfigCase>* cases) {
  const std::string readme = ReadFile(absl::StrCat(kSourceDir, "/README.md"));
  std::vector<std::string> lines = absl::StrSplit(readme, '\n');
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i] != "```yaml" || lines[i + 1] != "# broker.yaml") continue;
    std::string block;
    size_t j = i + 1;
    for (; j < lines.size() && lines[j] != "```"; ++j) block += lines[j] + "\n";
    cases->push_back({absl::StrCat("README.md:", i + 2, " (the broker.yaml example there)"),
                      block,
                      kSourceDir,
                      {}});
    i = j;
  }
}

// The chart's broker config: the ConfigMap's broker.yaml and the broker container's args
// (--config dropped: the test passes its own).
void CollectChart(const std::vector<std::string>& tracked, std::vector<BrokerConfigCase>* cases) {
#ifdef EDGEKIT_HELM_RENDER
  std::vector<std::pair<std::string, std::vector<std::string>>> renders = {{"default values", {}}};
  for (const std::string& rel : tracked) {
    if (absl::StartsWith(rel, "tests/chart/testdata/") && Dirname(rel) == "tests/chart/testdata" &&
        absl::EndsWith(rel, "-values.yaml") && !absl::StartsWith(Basename(rel), "bad-")) {
      renders.push_back({"-f " + rel, {"-f", absl::StrCat(kSourceDir, "/", rel)}});
    }
  }
  for (const auto& [label, values] : renders) {
    std::vector<std::string> args = values;
    args.push_back(absl::StrCat(kSourceDir, "/charts/edgekit-gateway"));
    const std::string origin = "charts/edgekit-gateway rendered by helm-render with " + label;
    const RunResult helm = Run(EDGEKIT_HELM_RENDER, args);
    if (helm.exit_code != 0) {
      ADD_FAILURE() << origin << ": helm-render failed:\n" << helm.output;
      continue;
    }
    std::string config;
    std::vector<std::string> container_args;
    try {
      for (const YAML::Node& doc : YAML::LoadAll(helm.output)) {
        if (!doc.IsMap()) continue;
        const std::string kind = doc["kind"] ? doc["kind"].as<std::string>() : "";
        if (kind == "ConfigMap" && doc["data"] && doc["data"]["broker.yaml"]) {
          config = doc["data"]["broker.yaml"].as<std::string>();
        }
        if (kind == "Deployment") {
          for (const YAML::Node& c : doc["spec"]["template"]["spec"]["containers"]) {
            if (c["name"].as<std::string>() != "edgekit-broker") continue;
            for (const YAML::Node& a : c["args"]) {
              const std::string arg = a.as<std::string>();
              if (!absl::StartsWith(arg, "--config")) container_args.push_back(arg);
            }
          }
        }
      }
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << origin << ": cannot parse helm-render's output: " << e.what();
      continue;
    }
    if (config.empty()) {
      ADD_FAILURE() << origin << ": no ConfigMap with a broker.yaml in the output";
      continue;
    }
    cases->push_back({origin + " (ConfigMap broker.yaml, container args " +
                          absl::StrJoin(container_args, " ") + ")",
                      config, kSourceDir, container_args});
  }
#else
  // helm-render (tests/chart) needs Go; without it the chart_* tests fail too. The
  // chart's default broker config equals charts/istio-gateway-values/broker.yaml
  // (chart_istio_gateway_values checks that), which is collected above.
  (void)tracked;
  (void)cases;
  ADD_FAILURE() << "helm-render was not built (go not found at configure time): the Helm "
                   "chart's broker config cannot be rendered; install golang-go "
                   "(scripts/install-deps.sh), as the chart_* tests need";
#endif
}

// (b) What `edgekit render` writes as broker.yaml for each tracked *.yaml under examples/
// and tests/cli/testdata/ it accepts (rendered outputs and golden files are not inputs).
void CollectRendered(const std::vector<std::string>& tracked, const std::string& scratch,
                     std::vector<BrokerConfigCase>* cases) {
  std::vector<std::string> refused, no_broker;
  int n = 0;
  for (const std::string& rel : tracked) {
    if (!absl::EndsWith(rel, ".yaml")) continue;
    if (!absl::StartsWith(rel, "examples/") && !absl::StartsWith(rel, "tests/cli/testdata/")) {
      continue;
    }
    // Rendered outputs, golden files and `edgekit test` cases are not edge configs.
    if (absl::StrContains(rel, "/rendered/") || absl::EndsWith(rel, ".golden.yaml") ||
        Basename(rel) == "cases.yaml") {
      continue;
    }
    const std::string input = absl::StrCat(kSourceDir, "/", rel);
    const std::string out = absl::StrCat(scratch, "/render", n++);
    const RunResult render = Run(EDGEKIT_CLI_BINARY, {"render", "-f", input, "-o", out});
    if (render.exit_code != 0) {
      std::string first_line = render.output.substr(0, render.output.find('\n'));
      refused.push_back(absl::StrCat(rel, " (", first_line.substr(0, 100), ")"));
      continue;
    }
    const std::string broker_yaml = out + "/broker.yaml";
    if (!fs::exists(broker_yaml)) {
      no_broker.push_back(rel);
      continue;
    }
    cases->push_back({"broker.yaml rendered by `edgekit render -f " + rel + "`",
                      ReadFile(broker_yaml),
                      Dirname(input),
                      {}});
  }
  std::cout << "render refused (skipped, not accepted): " << refused.size() << "\n";
  for (const std::string& r : refused) std::cout << "  " << r << "\n";
  std::cout << "rendered without a broker.yaml (skipped): " << absl::StrJoin(no_broker, ", ")
            << "\n";
}

// Every client_ip.cidrs_file in the config.
void FindCidrsFiles(const YAML::Node& node, std::set<std::string>* files) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && kv.first.as<std::string>() == "cidrs_file" &&
          kv.second.IsScalar()) {
        files->insert(kv.second.as<std::string>());
      } else {
        FindCidrsFiles(kv.second, files);
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) FindCidrsFiles(item, files);
  }
}

struct Outcome {
  bool ok = true;
  std::string summary;  // one line when it passed
  std::string failure;  // the whole story when it did not
};

// --check-config, then a real start, /healthz, SIGTERM.
Outcome CheckAndStart(const BrokerConfigCase& c, int index) {
  Outcome outcome;
  auto fail = [&](const std::string& what, const std::string& output) {
    outcome.ok = false;
    outcome.failure = absl::StrCat(c.origin, ": ", what, "\n--- broker output ---\n", output,
                                   "--- config ---\n", c.yaml);
    return outcome;
  };
  TempDir dir;
  const std::string config = dir.path() + "/broker.yaml";
  WriteFile(config, c.yaml);
  std::set<std::string> cidrs_files;
  try {
    FindCidrsFiles(YAML::Load(c.yaml), &cidrs_files);
  } catch (const YAML::Exception& e) {
    return fail(absl::StrCat("not YAML: ", e.what()), "");
  }
  for (const std::string& file : cidrs_files) {
    if (file.empty() || file.front() == '/') continue;  // the broker reports it as it is
    const std::string from = c.source_dir + "/" + file;
    WriteFile(dir.path() + "/" + file, fs::exists(from) ? ReadFile(from) : "203.0.113.0/24\n");
  }

  std::vector<std::string> check_args = c.extra_args;
  for (const char* a : {"--check-config", "--config"}) check_args.push_back(a);
  check_args.push_back(config);
  const RunResult check = Run(EDGEKIT_BROKER_BINARY, check_args);
  if (check.exit_code != 0) {
    return fail(
        absl::StrCat("--check-config exited ",
                     check.exit_code ? std::to_string(*check.exit_code) : "(timeout)", ", want 0"),
        check.output);
  }

  std::vector<std::string> start_args = c.extra_args;
  for (const std::string& a :
       {std::string("--config"), config, std::string("--listen"), std::string("127.0.0.1:0"),
        std::string("--metrics-listen"), std::string("127.0.0.1:0")}) {
    start_args.push_back(a);
  }
  const auto started = std::chrono::steady_clock::now();
  ChildProcess broker(EDGEKIT_BROKER_BINARY, start_args);
  if (!broker.WaitForOutput("edgekit-broker listening on ", milliseconds(10000))) {
    const std::optional<int> code = broker.Wait(milliseconds(0));
    return fail(
        absl::StrCat("passed --check-config but did not start (",
                     code ? absl::StrCat("exited ", *code) : "no \"listening\" in 10 s", ")"),
        broker.Output());
  }
  const auto start_ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count();
  // "... metrics on port N; ..."
  int metrics_port = 0;
  const std::string log = broker.Output();
  if (size_t at = log.find(" metrics on port "); at != std::string::npos) {
    metrics_port = std::atoi(log.c_str() + at + 17);
  }
  const HttpResponse healthz = HttpGet(metrics_port, "/healthz");
  const HttpResponse readyz = HttpGet(metrics_port, "/readyz");
  if (healthz.status != 200) {
    return fail(absl::StrCat("started but /healthz on port ", metrics_port, " gave ",
                             healthz.status, ", want 200"),
                broker.Output());
  }

  broker.Signal(SIGTERM);
  std::optional<int> code = broker.Wait(milliseconds(2000));
  if (!code && absl::StrContains(broker.Output(), "a second signal skips it")) {
    broker.Signal(SIGTERM);  // the container's --shutdown-delay
    code = broker.Wait(milliseconds(15000));
  } else if (!code) {
    code = broker.Wait(milliseconds(13000));
  }
  if (code != 0) {
    return fail(absl::StrCat("started, but after SIGTERM ",
                             code ? absl::StrCat("exited ", *code) : "did not exit in 15 s",
                             ", want exit 0"),
                broker.Output());
  }
  outcome.summary = absl::StrCat("#", index, " ok: listening after ", start_ms, " ms, /readyz ",
                                 readyz.status, ", exit 0 on SIGTERM: ", c.origin);
  return outcome;
}

TEST(BrokerConfigStartTest, EveryAcceptedConfigStartsTheRealBroker) {
  const auto begin = std::chrono::steady_clock::now();
  const std::vector<std::string> tracked = TrackedFiles();
  ASSERT_FALSE(tracked.empty()) << "no files found under " << kSourceDir;
  TempDir scratch;

  std::vector<BrokerConfigCase> cases;
  CollectCheckedIn(tracked, &cases);
  const size_t checked_in = cases.size();
  CollectReadme(&cases);
  const size_t readme = cases.size() - checked_in;
  CollectChart(tracked, &cases);
  const size_t chart = cases.size() - checked_in - readme;
  CollectRendered(tracked, scratch.path(), &cases);
  const size_t rendered = cases.size() - checked_in - readme - chart;
  std::cout << "collected " << cases.size() << " broker configs: " << checked_in << " checked in, "
            << readme << " from README.md, " << chart << " from the Helm chart, " << rendered
            << " rendered by edgekit render\n";
  ASSERT_GE(cases.size(), static_cast<size_t>(kMinConfigs))
      << "too few broker configs collected: a glob or a source is broken";
  EXPECT_GE(checked_in, 4u);
  EXPECT_GE(rendered, 4u);

  // At most kParallelBrokers brokers at a time.
  std::vector<Outcome> outcomes(cases.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kParallelBrokers; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < cases.size(); i = next++) {
        outcomes[i] = CheckAndStart(cases[i], static_cast<int>(i));
      }
    });
  }
  for (std::thread& t : workers) t.join();

  for (size_t i = 0; i < cases.size(); ++i) {
    if (outcomes[i].ok) {
      std::cout << outcomes[i].summary << "\n";
    } else {
      ADD_FAILURE() << "#" << i << " " << outcomes[i].failure;
    }
  }
  std::cout
      << "took "
      << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - begin).count()
      << " ms\n";
}

}  // namespace
}  // namespace edgekit::testing
