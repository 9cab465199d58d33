// The broker's admin HTTP endpoint: /metrics in the Prometheus text format, /healthz (the
// process is alive: always 200) and /readyz (200 when the broker can serve: an upstream
// endpoint is connected and it is not shutting down; 503 otherwise), and POST
// /cache/flush from loopback peers. It listens apart from the Check port so the Check port
// can stay on loopback.
//
// This port carries the pod's probes and is reachable by anything that reaches the pod,
// so no client may hold it: one thread multiplexes every connection with epoll (an idle
// or half-sent connection costs a file descriptor, never a worker), each connection has
// a deadline to send its request and one to take its response, request heads are
// capped, and at the connection cap the connection that has waited longest is closed
// to admit the new one. Responses are `Connection: close`.
#ifndef EDGEKIT_BROKER_ADMIN_HTTP_H_
#define EDGEKIT_BROKER_ADMIN_HTTP_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "prometheus/registry.h"

namespace edgekit::broker {

// What one connection may cost. The defaults are the broker's; tests shorten them.
struct AdminHttpLimits {
  // From accept to the end of the request head; then the connection is closed unanswered.
  absl::Duration request_timeout = absl::Seconds(5);
  // From the end of the request head to the last byte of the response handed to the
  // kernel; then the connection is closed with the response cut short.
  absl::Duration response_timeout = absl::Seconds(10);
  // After the response, how long the connection is half-closed and read (and the bytes
  // dropped) while waiting for the client to close (RFC 9112 9.6). Closing at once would
  // make the kernel answer any byte the client still sends with a reset, which discards
  // the part of the response not yet delivered.
  absl::Duration linger_timeout = absl::Seconds(2);
  // A request line plus headers larger than this gets 431 and a close.
  size_t max_request_head_bytes = 8 * 1024;
  // Open connections at most; a new one beyond it closes the one accepted first.
  int max_connections = 512;
};

// Thread-safe in the sense that matters here: Start and the destructor may run on any
// thread; sockets are touched only by the server's own thread; `registry` is read on it
// (prometheus::Registry::Collect locks), `ready` is read atomically.
class AdminHttpServer {
 public:
  // `listen` is host:port or [v6]:port (port 0 = OS-chosen; the host is resolved once,
  // here). `ready` is read on each /readyz and must outlive the server. `flush_cache`,
  // when given, serves POST /cache/flush to loopback peers (403 to others) on the
  // server's thread and returns the entries dropped. Unavailable
  // ("metrics_listen: cannot listen on ...") when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry,
      const std::atomic<bool>* ready, const AdminHttpLimits& limits = {},
      std::function<size_t()> flush_cache = nullptr);
  // Stops the thread (it wakes on an eventfd) and closes every connection.
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  // The bound port (the OS-chosen one for port 0).
  int port() const { return port_; }

 private:
  class Loop;
  AdminHttpServer() = default;

  int port_ = 0;
  // Everything the serving thread touches; only that thread uses it after Start, except
  // Loop::Stop, which only writes the eventfd.
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_ADMIN_HTTP_H_
