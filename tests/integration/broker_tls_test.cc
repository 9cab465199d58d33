// TLS and mTLS to the upstream: certificates are made for each run with openssl (a CA,
// a server certificate for "authz.test", a client certificate), and fake-authz serves
// with them on loopback.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "broker/broker_server.h"
#include "examples/fake-authz/fake_authz_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace edgekit::broker {
namespace {

using ::edgekit::fakeauthz::FakeAuthzOptions;
using ::edgekit::fakeauthz::FakeAuthzServer;
using ::edgekit::testing::CheckClient;
using ::edgekit::testing::WaitFor;
using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class BrokerTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "edgekit-tls-" + std::to_string(getpid());
    const std::string script = absl::StrCat(
        "set -e; mkdir -p ", dir_, "; cd ", dir_, "; ",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=edgekit-test-ca "
        "-keyout ca.key -out ca.pem 2>/dev/null; ",
        "printf 'subjectAltName=DNS:authz.test\\n' > san.ext; ",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=authz.test -keyout server.key "
        "-out server.csr 2>/dev/null; ",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-days 2 -extfile san.ext -out server.pem 2>/dev/null; ",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=edgekit-broker -keyout client.key "
        "-out client.csr 2>/dev/null; ",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-days 2 -out client.pem 2>/dev/null");
    openssl_ok_ = std::system(script.c_str()) == 0;
  }
  void SetUp() override {
    if (!openssl_ok_) FAIL() << "openssl could not make test certificates";
  }

  std::unique_ptr<FakeAuthzServer> StartUpstream(bool require_client_cert) {
    FakeAuthzOptions options;
    options.latency.median = absl::Milliseconds(1);
    options.latency.sigma = 0;
    options.tls_cert_pem = Read(dir_ + "/server.pem");
    options.tls_key_pem = Read(dir_ + "/server.key");
    if (require_client_cert) options.tls_client_ca_pem = Read(dir_ + "/ca.pem");
    auto server = FakeAuthzServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return *std::move(server);
  }

  BrokerSettings Settings(const FakeAuthzServer& upstream) {
    BrokerSettings settings;
    settings.listen = "127.0.0.1:0";
    settings.metrics_listen = "127.0.0.1:0";
    settings.upstream.target = upstream.address();
    settings.upstream.tls_server_name = "authz.test";
    settings.upstream.ca_file = dir_ + "/ca.pem";
    settings.hedging.max_attempts = 1;  // exactly one upstream call per Check
    return settings;
  }

  // One Check through a broker with `settings`; the status the caller gets.
  grpc::Status CheckThrough(const BrokerSettings& settings, bool expect_ready) {
    auto broker = BrokerServer::Start(settings);
    EXPECT_TRUE(broker.ok()) << broker.status();
    if (!broker.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no broker");
    const bool ready =
        WaitFor([&] { return (*broker)->ready(); }, std::chrono::seconds(expect_ready ? 10 : 2));
    EXPECT_EQ(ready, expect_ready);
    CheckClient client(absl::StrCat("127.0.0.1:", (*broker)->port()));
    return client.Check().status;
  }

  static inline std::string dir_;
  static inline bool openssl_ok_ = false;
};

TEST_F(BrokerTls, TlsUpstreamIsVerifiedAgainstTheCa) {
  auto upstream = StartUpstream(/*require_client_cert=*/false);
  EXPECT_TRUE(CheckThrough(Settings(*upstream), true).ok());
  EXPECT_EQ(upstream->Stats().checks_received, 1u);
}

TEST_F(BrokerTls, WrongServerNameIsRefused) {
  auto upstream = StartUpstream(false);
  BrokerSettings settings = Settings(*upstream);
  settings.upstream.tls_server_name = "someone-else.test";
  EXPECT_EQ(CheckThrough(settings, false).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(upstream->Stats().checks_received, 0u);
}

TEST_F(BrokerTls, PlaintextBrokerCannotTalkToATlsUpstream) {
  auto upstream = StartUpstream(false);
  BrokerSettings settings = Settings(*upstream);
  settings.upstream.ca_file.clear();
  EXPECT_EQ(CheckThrough(settings, false).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(upstream->Stats().checks_received, 0u);
}

TEST_F(BrokerTls, MutualTlsNeedsTheClientCertificate) {
  auto upstream = StartUpstream(/*require_client_cert=*/true);
  BrokerSettings without = Settings(*upstream);
  EXPECT_EQ(CheckThrough(without, false).error_code(), grpc::StatusCode::UNAVAILABLE);

  BrokerSettings with = Settings(*upstream);
  with.upstream.cert_file = dir_ + "/client.pem";
  with.upstream.key_file = dir_ + "/client.key";
  EXPECT_TRUE(CheckThrough(with, true).ok());
  EXPECT_EQ(upstream->Stats().checks_received, 1u);
}

TEST_F(BrokerTls, UnreadableKeyFileIsNamedAtStart) {
  auto upstream = StartUpstream(true);
  BrokerSettings settings = Settings(*upstream);
  settings.upstream.cert_file = dir_ + "/client.pem";
  settings.upstream.key_file = dir_ + "/missing.key";
  auto broker = BrokerServer::Start(settings);
  ASSERT_FALSE(broker.ok());
  EXPECT_THAT(std::string(broker.status().message()), HasSubstr("upstream.key_file"));
  EXPECT_THAT(std::string(broker.status().message()), HasSubstr("missing.key"));
}

}  // namespace
}  // namespace edgekit::broker
