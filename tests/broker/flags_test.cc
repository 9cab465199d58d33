// Tests for broker/flags: each flag sets exactly its BrokerConfig field, absent flags stay
// unset, --help/--version exit early, and bad command lines are InvalidArgument.
#include "broker/flags.h"

#include <ostream>
#include <string>
#include <vector>

#include "broker/config.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace edgekit::broker {
namespace {

using ::edgekit::broker::v1::BrokerConfig;
using ::testing::HasSubstr;

absl::StatusOr<BrokerCommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "edgekit-broker");
  return ParseBrokerCommandLine(static_cast<int>(args.size()), args.data());
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// Equality including proto3 optional presence: a field set to its default differs from
// an unset one, which is the point of "flags only set what they were given".
void ExpectSameConfig(const BrokerConfig& actual, const BrokerConfig& expected) {
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(actual, expected))
      << "actual:\n"
      << actual.DebugString() << "expected:\n"
      << expected.DebugString();
  EXPECT_EQ(actual.DebugString(), expected.DebugString());
}

TEST(BrokerFlagsTest, NoFlagsSetsNothing) {
  const absl::StatusOr<BrokerCommandLine> line = Parse({});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->config_path, "");
  EXPECT_FALSE(line->check_config);
  EXPECT_EQ(line->early_exit_text, "");
  ExpectSameConfig(line->overrides, BrokerConfig());
  EXPECT_FALSE(line->overrides.has_upstream());
  EXPECT_FALSE(line->overrides.has_hedging());
}

struct FlagCase {
  std::vector<const char*> args;
  void (*expect)(BrokerConfig*);  // builds the expected overrides
};

// Names a failing case by its arguments instead of gtest's byte dump.
std::string Join(const std::vector<const char*>& args) {
  std::string out;
  for (const char* arg : args) out += std::string(out.empty() ? "" : " ") + arg;
  return out;
}
void PrintTo(const FlagCase& c, std::ostream* os) { *os << Join(c.args); }

class EachFlagTest : public ::testing::TestWithParam<FlagCase> {};

TEST_P(EachFlagTest, SetsExactlyItsField) {
  const absl::StatusOr<BrokerCommandLine> line = Parse(GetParam().args);
  ASSERT_TRUE(line.ok()) << line.status();
  BrokerConfig expected;
  GetParam().expect(&expected);
  ExpectSameConfig(line->overrides, expected);
  EXPECT_EQ(line->config_path, "");
  EXPECT_FALSE(line->check_config);
}

INSTANTIATE_TEST_SUITE_P(
    AllOverrides, EachFlagTest,
    ::testing::Values(
        FlagCase{{"--listen", "127.0.0.1:1"},
                 [](BrokerConfig* c) { c->set_listen("127.0.0.1:1"); }},
        FlagCase{{"--metrics-listen", "0.0.0.0:2"},
                 [](BrokerConfig* c) { c->set_metrics_listen("0.0.0.0:2"); }},
        FlagCase{{"--upstream", "dns:///authz:8080"},
                 [](BrokerConfig* c) { c->mutable_upstream()->set_target("dns:///authz:8080"); }},
        FlagCase{{"--upstream-ca", "/ca.pem"},
                 [](BrokerConfig* c) { c->mutable_upstream()->set_ca_file("/ca.pem"); }},
        FlagCase{{"--upstream-cert", "/c.pem"},
                 [](BrokerConfig* c) { c->mutable_upstream()->set_cert_file("/c.pem"); }},
        FlagCase{{"--upstream-key", "/k.pem"},
                 [](BrokerConfig* c) { c->mutable_upstream()->set_key_file("/k.pem"); }},
        FlagCase{
            {"--upstream-server-name", "authz.internal"},
            [](BrokerConfig* c) { c->mutable_upstream()->set_tls_server_name("authz.internal"); }},
        FlagCase{{"--default-deadline", "300ms"},
                 [](BrokerConfig* c) { c->mutable_upstream()->set_default_deadline("300ms"); }},
        FlagCase{{"--max-attempts", "3"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_max_attempts(3); }},
        FlagCase{{"--max-attempts=1"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_max_attempts(1); }},
        FlagCase{{"--hedge-quantile", "0.99"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_quantile(0.99); }},
        FlagCase{{"--hedge-delay-min", "2ms"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_delay_min("2ms"); }},
        FlagCase{{"--hedge-delay-max", "500ms"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_delay_max("500ms"); }},
        FlagCase{{"--initial-hedge-delay", "5ms"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_initial_delay("5ms"); }},
        FlagCase{{"--hedge-budget", "0.05"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_budget(0.05); }},
        FlagCase{{"--max-inflight", "77"},
                 [](BrokerConfig* c) { c->mutable_limits()->set_max_inflight(77); }},
        FlagCase{{"--max-message-bytes", "65536"},
                 [](BrokerConfig* c) { c->mutable_limits()->set_max_message_bytes(65536); }},
        FlagCase{{"--forward-method", "/a.B/C"},
                 [](BrokerConfig* c) { c->add_forward_methods("/a.B/C"); }},
        FlagCase{{"--forward-method", "/a.B/C", "--forward-method=/d.E/F"},
                 [](BrokerConfig* c) {
                   c->add_forward_methods("/a.B/C");
                   c->add_forward_methods("/d.E/F");
                 }},
        FlagCase{{"--drain-timeout", "30s"}, [](BrokerConfig* c) { c->set_drain_timeout("30s"); }},
        FlagCase{{"--cache-key-header", "authorization", "--cache-key-header=cookie"},
                 [](BrokerConfig* c) {
                   c->mutable_cache()->add_key_headers("authorization");
                   c->mutable_cache()->add_key_headers("cookie");
                 }},
        FlagCase{{"--cache-ttl", "30s"},
                 [](BrokerConfig* c) { c->mutable_cache()->set_ttl("30s"); }},
        // Explicit zeros and empty strings are values, not "unset".
        FlagCase{{"--worker-threads", "0"}, [](BrokerConfig* c) { c->set_worker_threads(0); }},
        FlagCase{{"--hedge-budget", "0"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_budget(0); }},
        FlagCase{{"--upstream-ca", ""},
                 [](BrokerConfig* c) { c->mutable_upstream()->set_ca_file(""); }},
        // Range checks are ValidateBrokerConfig's job, not the parser's.
        FlagCase{{"--max-attempts", "9"},
                 [](BrokerConfig* c) { c->mutable_hedging()->set_max_attempts(9); }}));

TEST(BrokerFlagsTest, ConfigAndCheckConfig) {
  const absl::StatusOr<BrokerCommandLine> line =
      Parse({"--config", "/etc/edgekit/broker.yaml", "--check-config", "--max-attempts", "2"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->config_path, "/etc/edgekit/broker.yaml");
  EXPECT_TRUE(line->check_config);
  BrokerConfig expected;
  expected.mutable_hedging()->set_max_attempts(2);
  ExpectSameConfig(line->overrides, expected);
}

TEST(BrokerFlagsTest, HelpReturnsUsageText) {
  for (const char* flag : {"--help", "-h"}) {
    const absl::StatusOr<BrokerCommandLine> line = Parse({"--max-attempts", "3", flag});
    ASSERT_TRUE(line.ok()) << line.status();
    EXPECT_THAT(line->early_exit_text, HasSubstr("Usage: edgekit-broker"));
    for (const char* documented : {"--listen",
                                   "--metrics-listen",
                                   "--upstream",
                                   "--upstream-ca",
                                   "--upstream-cert",
                                   "--upstream-key",
                                   "--upstream-server-name",
                                   "--default-deadline",
                                   "--max-attempts",
                                   "--hedge-quantile",
                                   "--hedge-delay-min",
                                   "--hedge-delay-max",
                                   "--initial-hedge-delay",
                                   "--hedge-budget",
                                   "--max-inflight",
                                   "--max-message-bytes",
                                   "--forward-method",
                                   "--drain-timeout",
                                   "--worker-threads",
                                   "--config",
                                   "--check-config",
                                   "--version"}) {
      EXPECT_THAT(line->early_exit_text, HasSubstr(documented));
    }
  }
}

TEST(BrokerFlagsTest, VersionReturnsTheVersionLine) {
  const absl::StatusOr<BrokerCommandLine> line = Parse({"--version"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->early_exit_text, "edgekit-broker 0.1.0\n");
}

struct BadLine {
  std::vector<const char*> args;
  const char* message_part;  // must appear in the message
};
void PrintTo(const BadLine& c, std::ostream* os) { *os << Join(c.args); }

class BadCommandLineTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(BadCommandLineTest, IsInvalidArgumentNamingTheProblem) {
  const absl::StatusOr<BrokerCommandLine> line = Parse(GetParam().args);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(line.status()), HasSubstr(GetParam().message_part));
  EXPECT_THAT(Message(line.status()), HasSubstr("--help"));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadCommandLineTest,
    ::testing::Values(BadLine{{"--bogus"}, "--bogus"},
                      BadLine{{"--max-attempts", "two"}, "--max-attempts"},
                      BadLine{{"--max-attempts", "-1"}, "--max-attempts"},
                      BadLine{{"--max-inflight", "4294967296"}, "--max-inflight"},
                      BadLine{{"--worker-threads", "1.5"}, "--worker-threads"},
                      BadLine{{"--hedge-quantile", "high"}, "--hedge-quantile"},
                      BadLine{{"--listen"}, "--listen"},
                      BadLine{{"--listen", "a:1", "--listen", "b:2"}, "--listen"},
                      BadLine{{"--forward-method", "/a.B/C", "/d.E/F"}, "/d.E/F"},
                      BadLine{{"positional"}, "positional"}));

TEST(BrokerFlagsTest, ToleratesAnEmptyArgv) {
  const absl::StatusOr<BrokerCommandLine> line = ParseBrokerCommandLine(0, nullptr);
  ASSERT_TRUE(line.ok()) << line.status();
  ExpectSameConfig(line->overrides, BrokerConfig());
}

TEST(BrokerFlagsTest, FlagsFlowIntoValidatedSettings) {
  const absl::StatusOr<BrokerCommandLine> line =
      Parse({"--upstream", "authz:8080", "--max-attempts", "4", "--forward-method",
             "/grpc.health.v1.Health/Check", "--hedge-delay-max", "250ms"});
  ASSERT_TRUE(line.ok()) << line.status();
  const absl::StatusOr<BrokerSettings> settings =
      LoadBrokerSettings(line->config_path, line->overrides);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->upstream.target, "authz:8080");
  EXPECT_EQ(settings->hedging.max_attempts, 4);
  EXPECT_EQ(settings->hedging.delay_max, absl::Milliseconds(250));
  EXPECT_THAT(settings->forward_methods,
              ::testing::ElementsAre(kCheckMethod, "/grpc.health.v1.Health/Check"));

  const absl::StatusOr<BrokerCommandLine> bad =
      Parse({"--upstream", "authz:8080", "--max-attempts", "9"});
  ASSERT_TRUE(bad.ok()) << bad.status();
  const absl::StatusOr<BrokerSettings> rejected =
      LoadBrokerSettings(bad->config_path, bad->overrides);
  EXPECT_EQ(Message(rejected.status()), "hedging.max_attempts: must be in [1, 5], got 9");
}

}  // namespace
}  // namespace edgekit::broker
