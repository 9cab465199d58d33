// Resolution, channels and endpoint choice for the upstream; see upstream_pool.h.
#include "broker/upstream_pool.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "broker/log.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace edgekit::broker {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(key, ": cannot read \"", path, "\""));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string pem = buffer.str();
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": \"", path, "\" holds no PEM block"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> LoadUpstreamCredentials(
    const UpstreamSettings& s) {
  if (s.ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  auto ca = ReadPem(s.ca_file, "upstream.ca_file");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (!s.cert_file.empty()) {
    auto cert = ReadPem(s.cert_file, "upstream.cert_file");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(s.key_file, "upstream.key_file");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

namespace {

std::string EndpointTarget(const sockaddr* addr, const std::string& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
              sizeof(text));
    return absl::StrCat("ipv6:[", text, "]:", port);
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof(text));
  return absl::StrCat("ipv4:", text, ":", port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<UpstreamPool>> UpstreamPool::Create(const UpstreamSettings& settings,
                                                                   int max_message_bytes) {
  auto target = ParseUpstreamTarget(settings.target);
  if (!target.ok()) return target.status();
  auto creds = LoadUpstreamCredentials(settings);
  if (!creds.ok()) return creds.status();
  std::unique_ptr<UpstreamPool> pool(
      new UpstreamPool(settings, *std::move(target), *std::move(creds), max_message_bytes));
  pool->Refresh(/*resolve=*/true);
  return pool;
}

UpstreamPool::UpstreamPool(const UpstreamSettings& settings, ParsedTarget target,
                           std::shared_ptr<grpc::ChannelCredentials> creds, int max_message_bytes)
    : settings_(settings),
      target_(std::move(target)),
      creds_(std::move(creds)),
      max_message_bytes_(max_message_bytes),
      snapshot_(std::make_shared<Snapshot>()) {}

UpstreamPool::~UpstreamPool() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UpstreamPool::Start() {
  thread_ = std::thread([this] { Loop(); });
}

std::shared_ptr<const UpstreamPool::Snapshot> UpstreamPool::endpoints() const {
  absl::MutexLock lock(&mu_);
  return snapshot_;
}

std::vector<std::string> UpstreamPool::Resolve() const {
  if (target_.kind != ParsedTarget::Kind::kDns) return target_.addresses;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::vector<std::string> addresses;
  int rc = getaddrinfo(target_.host.c_str(), target_.port.c_str(), &hints, &result);
  if (rc != 0) {
    LogWarning(absl::StrCat("upstream: cannot resolve ", target_.host, ": ", gai_strerror(rc)));
    return addresses;
  }
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
      addresses.push_back(EndpointTarget(ai->ai_addr, target_.port));
    }
  }
  freeaddrinfo(result);
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  return addresses;
}

std::shared_ptr<UpstreamEndpoint> UpstreamPool::MakeEndpoint(const std::string& address) const {
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, target_.authority);
  if (!settings_.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(settings_.tls_server_name);
  }
  args.SetMaxReceiveMessageSize(max_message_bytes_);
  args.SetMaxSendMessageSize(max_message_bytes_);
  // Recover quickly when the auth service comes back: gRPC's default backoff grows to
  // two minutes, far too long for a dependency every request waits on.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // The broker does its own retries and hedges. gRPC's retry filter would also strip
  // the grpc-previous-rpc-attempts header we set on hedges (it sets that header only
  // for its own retries).
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // Each endpoint owns its connection, so two endpoints never share one by accident.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Small messages on a short path: BDP probing PINGs cost more than they gain.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto endpoint = std::make_shared<UpstreamEndpoint>();
  endpoint->address = address;
  endpoint->channel = grpc::CreateCustomChannel(address, creds_, args);
  endpoint->stub = std::make_unique<grpc::GenericStub>(endpoint->channel);
  return endpoint;
}

void UpstreamPool::Refresh(bool resolve) {
  auto current = endpoints();
  std::vector<std::string> addresses = resolve ? Resolve() : std::vector<std::string>();
  bool changed = resolve && addresses.size() != current->size();
  for (size_t i = 0; resolve && !changed && i < addresses.size(); ++i) {
    changed = (*current)[i]->address != addresses[i];
  }
  // A failed lookup (no addresses) keeps the endpoints we have: DNS hiccups should not
  // take a working upstream away.
  if (changed && !addresses.empty()) {
    std::map<std::string, std::shared_ptr<UpstreamEndpoint>> existing;
    for (const auto& e : *current) existing[e->address] = e;
    auto next = std::make_shared<Snapshot>();
    for (const auto& address : addresses) {
      auto it = existing.find(address);
      next->push_back(it != existing.end() ? it->second : MakeEndpoint(address));
    }
    LogInfo(absl::StrCat("upstream: ", next->size(), " endpoint(s) for ", settings_.target));
    {
      absl::MutexLock lock(&mu_);
      snapshot_ = next;
    }
    current = next;
    if (on_change_) on_change_(std::move(next));
  }
  bool any_ready = false;
  for (const auto& e : *current) {
    // GetState(true) asks an idle channel to connect, so readiness is known before
    // the first call arrives.
    if (e->channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY) {
      any_ready = true;
    }
  }
  ready_.store(any_ready, std::memory_order_relaxed);
}

void UpstreamPool::Loop() {
  auto last_resolve = std::chrono::steady_clock::now();
  const auto interval = absl::ToChronoMilliseconds(settings_.resolve_interval);
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!loop_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) {
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    bool resolve = target_.kind == ParsedTarget::Kind::kDns &&
                   (now - last_resolve >= interval || endpoints()->empty());
    if (resolve) last_resolve = now;
    Refresh(resolve);
    lock.lock();
  }
}

std::shared_ptr<UpstreamEndpoint> UpstreamPool::Pick(const Snapshot& snapshot,
                                                     const UpstreamEndpoint* const* avoid,
                                                     int avoid_count) {
  const size_t n = snapshot.size();
  if (n == 0) return nullptr;
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  auto avoided = [&](const UpstreamEndpoint* e) {
    return std::find(avoid, avoid + avoid_count, e) != avoid + avoid_count;
  };
  // Best: not used by this call and not known to be failing. Then: not used by this
  // call. Then anything (a single endpoint still deserves a second attempt).
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < n; ++i) {
      const auto& e = snapshot[(start + i) % n];
      if (pass < 2 && avoided(e.get())) continue;
      if (pass == 0 && e->channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
        continue;
      }
      return e;
    }
  }
  return snapshot[start % n];
}

}  // namespace edgekit::broker
