// See test_util.h.
#include "tests/integration/test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/generic/generic_stub.h"

namespace edgekit::testing {
namespace {

grpc::ByteBuffer Serialize(const google::protobuf::Message& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

bool Parse(grpc::ByteBuffer* buffer, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer->Dump(&slices).ok()) return false;
  std::string bytes;
  for (const auto& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return message->ParseFromString(bytes);
}

std::multimap<std::string, std::string> Copy(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  std::multimap<std::string, std::string> out;
  for (const auto& [k, v] : metadata) {
    out.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
  }
  return out;
}

}  // namespace

CheckClient::CheckClient(const std::string& target)
    : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
      stub_(std::make_unique<grpc::GenericStub>(channel_)) {}

CheckResult CheckClient::Check(const CheckOptions& options) {
  envoy::service::auth::v3::CheckRequest request;
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("GET");
  http->set_path("/api/orders");
  http->set_host("shop.example.com");
  if (options.allow) (*http->mutable_headers())["x-allow"] = "true";
  if (options.body_bytes > 0) http->set_body(std::string(options.body_bytes, 'b'));
  grpc::ByteBuffer request_bytes = Serialize(request);

  grpc::ClientContext context;
  if (options.deadline.count() > 0) {
    context.set_deadline(std::chrono::system_clock::now() + options.deadline);
  }
  for (const auto& [key, value] : options.metadata) context.AddMetadata(key, value);
  grpc::CompletionQueue cq;
  grpc::ByteBuffer response_bytes;
  CheckResult result;
  const auto start = std::chrono::steady_clock::now();
  auto call = stub_->PrepareUnaryCall(&context, options.method, request_bytes, &cq);
  call->StartCall();
  call->Finish(&response_bytes, &result.status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  result.latency = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  if (result.status.ok()) {
    envoy::service::auth::v3::CheckResponse response;
    if (Parse(&response_bytes, &response)) result.allowed = response.status().code() == 0;
  }
  result.initial_metadata = Copy(context.GetServerInitialMetadata());
  result.trailing_metadata = Copy(context.GetServerTrailingMetadata());
  return result;
}

RawCheckResult CheckClient::CheckRaw(
    const envoy::service::auth::v3::CheckRequest& request, std::chrono::milliseconds deadline,
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  grpc::ClientContext context;
  if (deadline.count() > 0) context.set_deadline(std::chrono::system_clock::now() + deadline);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  grpc::CompletionQueue cq;
  grpc::ByteBuffer response_bytes;
  RawCheckResult result;
  auto call = stub_->PrepareUnaryCall(&context, "/envoy.service.auth.v3.Authorization/Check",
                                      Serialize(request), &cq);
  call->StartCall();
  call->Finish(&response_bytes, &result.status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  if (result.status.ok() && !Parse(&response_bytes, &result.response)) {
    result.status = grpc::Status(grpc::StatusCode::DATA_LOSS, "test: unparseable CheckResponse");
  }
  for (const auto& [key, value] : context.GetServerInitialMetadata()) {
    result.initial_metadata.emplace(std::string(key.data(), key.size()),
                                    std::string(value.data(), value.size()));
  }
  for (const auto& [key, value] : context.GetServerTrailingMetadata()) {
    result.trailing_metadata.emplace(std::string(key.data(), key.size()),
                                     std::string(value.data(), value.size()));
  }
  return result;
}

std::optional<bool> CheckClient::HealthServing(const std::string& service) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::CompletionQueue cq;
  grpc::ByteBuffer response_bytes;
  grpc::Status status;
  auto call =
      stub_->PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", Serialize(request), &cq);
  call->StartCall();
  call->Finish(&response_bytes, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  if (!status.ok()) return std::nullopt;
  grpc::health::v1::HealthCheckResponse response;
  if (!Parse(&response_bytes, &response)) return std::nullopt;
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

HttpResponse HttpGet(int port, const std::string& path) { return HttpCall(port, "GET", path); }

HttpResponse HttpCall(int port, const std::string& method, const std::string& path) {
  HttpResponse response;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return response;
  }
  std::string request = method + " " + path +
                        " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: "
                        "close\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) {
    close(fd);
    return response;
  }
  std::string raw;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) raw.append(buffer, n);
  close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (raw.size() > 12) response.status = std::atoi(raw.c_str() + 9);
  auto body = raw.find("\r\n\r\n");
  if (body != std::string::npos) response.body = raw.substr(body + 4);
  return response;
}

std::optional<double> MetricValue(const std::string& exposition, const std::string& name,
                                  const std::string& labels) {
  const std::string prefix = labels.empty() ? name + " " : name + "{" + labels + "} ";
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, prefix.size(), prefix) == 0) {
      return std::strtod(line.c_str() + prefix.size(), nullptr);
    }
  }
  return std::nullopt;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args) {
  char path_template[] = "/tmp/edgekit-child-XXXXXX";
  int fd = mkstemp(path_template);
  output_path_ = path_template;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fd);
}

ChildProcess::~ChildProcess() {
  if (!exit_code_.has_value() && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  unlink(output_path_.c_str());
}

std::string ChildProcess::Output() const {
  std::ifstream in(output_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool ChildProcess::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
  auto found = [&] { return Output().find(text) != std::string::npos; };
  WaitFor(
      [&] {
        int status;
        if (!exit_code_.has_value() && waitpid(pid_, &status, WNOHANG) == pid_) {
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        }
        return found() || exit_code_.has_value();
      },
      timeout);
  return found();
}

void ChildProcess::Signal(int signal_number) { kill(pid_, signal_number); }

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  WaitFor(
      [&] {
        int status;
        if (!exit_code_.has_value() && waitpid(pid_, &status, WNOHANG) == pid_) {
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        }
        return exit_code_.has_value();
      },
      timeout);
  return exit_code_;
}

}  // namespace edgekit::testing
