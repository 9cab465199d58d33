// The upstream auth service as a set of endpoints, one gRPC channel per resolved address,
// so the broker (not gRPC's load balancer) chooses where each attempt goes: attempts are
// spread round-robin, and a hedge prefers an endpoint that the call's earlier attempts
// did not use: a hedge sent to the replica that is stalling helps nobody.
//
// Targets: "dns:///host:port", "dns:host:port" and "host:port" are resolved with
// getaddrinfo and re-resolved every resolve_interval; "ipv4:a:p,b:p" and "ipv6:[a]:p,..."
// are static lists; "unix:", "unix-abstract:" and "vsock:" targets are one endpoint
// passed to gRPC as it is.
#ifndef EDGEKIT_BROKER_UPSTREAM_POOL_H_
#define EDGEKIT_BROKER_UPSTREAM_POOL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "broker/settings.h"
#include "broker/upstream_target.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"

namespace edgekit::broker {

// The channel credentials for `settings`: insecure, or TLS with the PEM files read (errors
// name the file and its key). UpstreamPool::Create and `--check-config` both call it, so
// a file the broker could not start with fails the check too.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> LoadUpstreamCredentials(
    const UpstreamSettings& settings);

struct UpstreamEndpoint {
  std::string address;  // gRPC target of this one endpoint
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
};

class UpstreamPool {
 public:
  using Snapshot = std::vector<std::shared_ptr<UpstreamEndpoint>>;

  // Builds credentials (reads the PEM files: errors name them) and does the first
  // resolution. A name that does not resolve yet is not an error: the pool stays empty
  // (not ready) and keeps trying.
  static absl::StatusOr<std::unique_ptr<UpstreamPool>> Create(const UpstreamSettings& settings,
                                                              int max_message_bytes);
  ~UpstreamPool();

  // Called (on the resolving thread) with the new endpoints each time they change. Set
  // it before Start.
  void OnEndpointsChanged(std::function<void(std::shared_ptr<const Snapshot>)> listener) {
    on_change_ = std::move(listener);
  }

  // Starts the background thread that re-resolves names and keeps channels connecting.
  void Start();

  // The endpoints now; cheap (one shared_ptr copy).
  std::shared_ptr<const Snapshot> endpoints() const;

  // Picks an endpoint for the next attempt: round-robin over connected endpoints,
  // skipping the ones in `avoid` while another is available. nullptr if there are none.
  std::shared_ptr<UpstreamEndpoint> Pick(const Snapshot& snapshot,
                                         const UpstreamEndpoint* const* avoid, int avoid_count);

  // True when at least one endpoint's channel is READY (refreshed by the background
  // thread and by Refresh()).
  bool ready() const { return ready_.load(std::memory_order_relaxed); }

  // Re-resolves (when `resolve`) and refreshes readiness; the background thread calls it
  // every 250 ms, resolving every resolve_interval (every time while nothing resolved).
  void Refresh(bool resolve);

 private:
  UpstreamPool(const UpstreamSettings& settings, ParsedTarget target,
               std::shared_ptr<grpc::ChannelCredentials> creds, int max_message_bytes);
  std::vector<std::string> Resolve() const;
  std::shared_ptr<UpstreamEndpoint> MakeEndpoint(const std::string& address) const;
  void Loop();

  const UpstreamSettings settings_;
  const ParsedTarget target_;
  const std::shared_ptr<grpc::ChannelCredentials> creds_;
  const int max_message_bytes_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> ready_{false};
  std::atomic<uint64_t> next_{0};
  std::function<void(std::shared_ptr<const Snapshot>)> on_change_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_UPSTREAM_POOL_H_
