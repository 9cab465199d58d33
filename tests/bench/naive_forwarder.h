// The baseline the broker must beat: the simplest correct opaque gRPC forwarder, one
// extra loopback hop. A CallbackGenericService reactor reads the one request message,
// forwards its bytes with GenericStub::UnaryCall (callback) under the caller's deadline
// and metadata, and answers with the upstream's bytes or status. No hedging, no retries,
// no parsing.
#ifndef EDGEKIT_TESTS_BENCH_NAIVE_FORWARDER_H_
#define EDGEKIT_TESTS_BENCH_NAIVE_FORWARDER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace edgekit::bench {

class NaiveForwarder {
 public:
  // `listen` is host:port (port 0: any free); `upstream` a gRPC target (plaintext).
  static absl::StatusOr<std::unique_ptr<NaiveForwarder>> Start(const std::string& listen,
                                                               const std::string& upstream);
  ~NaiveForwarder();  // Shutdown(absl::Seconds(1)) if not done yet
  NaiveForwarder(const NaiveForwarder&) = delete;
  NaiveForwarder& operator=(const NaiveForwarder&) = delete;

  int port() const;
  std::string address() const;  // listen host with the bound port

  // Stops accepting, lets calls finish for up to `grace`, then cancels them. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(1));

 private:
  class Impl;
  explicit NaiveForwarder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether a metadata key is passed through a hop: not pseudo-headers, not gRPC's own
// ("grpc-*": status, timeout, encodings; gRPC sets them per hop), not per-connection HTTP
// headers.
bool IsForwardedMetadataKey(const std::string& key);

}  // namespace edgekit::bench

#endif  // EDGEKIT_TESTS_BENCH_NAIVE_FORWARDER_H_
