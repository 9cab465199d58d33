// A rules::RequestView built by hand, for tests and fuzzers of what reads requests (the
// direct-response rules, the cache key): either field by field,
//   FakeRequest().Method("POST").Header("authorization", "Bearer a")
// or all at once, FakeRequest(method, path, host, headers, client_ip).
#ifndef EDGEKIT_TESTS_TESTING_FAKE_REQUEST_H_
#define EDGEKIT_TESTS_TESTING_FAKE_REQUEST_H_

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "rules/ip_set.h"
#include "rules/rule_set.h"

namespace edgekit::testing {

class FakeRequest final : public rules::RequestView {
 public:
  FakeRequest() = default;
  // `client_ip` null: the client address is unknown.
  FakeRequest(std::string method, std::string path, std::string host,
              std::map<std::string, std::string> headers, const char* client_ip)
      : method_(std::move(method)),
        path_(std::move(path)),
        host_(std::move(host)),
        headers_(std::move(headers)) {
    if (client_ip != nullptr) ClientIp(client_ip);
  }

  FakeRequest& Method(std::string m) {
    method_ = std::move(m);
    return *this;
  }
  FakeRequest& Path(std::string p) {
    path_ = std::move(p);
    return *this;
  }
  FakeRequest& Host(std::string h) {
    host_ = std::move(h);
    return *this;
  }
  FakeRequest& Header(const std::string& name, std::string value) {
    headers_[name] = std::move(value);
    return *this;
  }
  // `address` must be a valid IP address: a typo in a test's literal stops the test.
  FakeRequest& ClientIp(absl::string_view address) {
    client_ip_ = rules::ParseIpAddress(address);
    if (!client_ip_.has_value()) {
      std::fprintf(stderr, "FakeRequest: \"%.*s\" is not an IP address\n",
                   static_cast<int>(address.size()), address.data());
      std::abort();
    }
    return *this;
  }

  absl::string_view method() const override { return method_; }
  absl::string_view path() const override { return path_; }
  absl::string_view host() const override { return host_; }
  std::optional<absl::string_view> header(absl::string_view name) const override {
    auto it = headers_.find(std::string(name));
    if (it == headers_.end()) return std::nullopt;
    return absl::string_view(it->second);
  }
  std::optional<rules::IpAddress> client_ip() const override { return client_ip_; }

 private:
  std::string method_ = "GET";
  std::string path_ = "/";
  std::string host_ = "api.example.com";
  std::map<std::string, std::string> headers_;
  std::optional<rules::IpAddress> client_ip_;
};

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_FAKE_REQUEST_H_
