// Helpers for the broker's integration tests: a Check client, a minimal HTTP GET for
// the admin endpoint, a Prometheus text parser for one sample, and child processes.
#ifndef EDGEKIT_TESTS_INTEGRATION_TEST_UTIL_H_
#define EDGEKIT_TESTS_INTEGRATION_TEST_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::testing {

// The answer to one Check call as the caller saw it.
struct CheckResult {
  grpc::Status status;
  bool allowed = false;  // CheckResponse.status.code == 0
  std::multimap<std::string, std::string> initial_metadata;
  std::multimap<std::string, std::string> trailing_metadata;
  std::chrono::microseconds latency{0};
};

struct CheckOptions {
  std::chrono::milliseconds deadline{2000};  // 0 = no deadline
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string method = "/envoy.service.auth.v3.Authorization/Check";
  bool allow = true;      // sends "x-allow: true" when set
  size_t body_bytes = 0;  // size of the HTTP body carried in Check
};

// A Check call with a request of the test's own making, and the whole CheckResponse.
struct RawCheckResult {
  grpc::Status status;
  envoy::service::auth::v3::CheckResponse response;  // when status is OK
  std::multimap<std::string, std::string> initial_metadata;
  std::multimap<std::string, std::string> trailing_metadata;
};

class CheckClient {
 public:
  explicit CheckClient(const std::string& target);
  CheckResult Check(const CheckOptions& options = {});
  // `deadline` 0: the call carries no deadline.
  RawCheckResult CheckRaw(const envoy::service::auth::v3::CheckRequest& request,
                          std::chrono::milliseconds deadline = std::chrono::milliseconds(2000),
                          const std::vector<std::pair<std::string, std::string>>& metadata = {});
  // grpc.health.v1.Health/Check for `service` ("" = the server); SERVING -> true.
  std::optional<bool> HealthServing(const std::string& service = "");

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

struct HttpResponse {
  int status = 0;  // 0: could not connect
  std::string body;
};
HttpResponse HttpGet(int port, const std::string& path);
// The same with any method ("POST", ...), no body.
HttpResponse HttpCall(int port, const std::string& method, const std::string& path);

// Value of the sample `name{labels}` in Prometheus text output (labels written exactly as
// the exposition prints them, e.g. `code="OK"`; empty for none). nullopt if absent.
std::optional<double> MetricValue(const std::string& exposition, const std::string& name,
                                  const std::string& labels = "");

// A port that was free a moment ago (bound to 127.0.0.1:0 and released).
int FreePort();

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// A child process with its stderr captured to a file; killed (SIGKILL) on destruction if
// still running.
class ChildProcess {
 public:
  ChildProcess(const std::string& binary, const std::vector<std::string>& args);
  ~ChildProcess();
  pid_t pid() const { return pid_; }
  // Waits until the captured output contains `text`; false on timeout or exit.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout);
  std::string Output() const;
  void Signal(int signal_number);
  // Waits for exit; returns the exit code, or -signal, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  std::optional<int> exit_code_;
};

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_INTEGRATION_TEST_UTIL_H_
