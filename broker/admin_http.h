// The broker's admin HTTP endpoint (civetweb): /metrics in the Prometheus text format,
// /healthz (the process is alive: always 200) and /readyz (200 when the broker can serve:
// an upstream endpoint is connected and it is not shutting down; 503 otherwise).
// It listens apart from the Check port so the Check port can stay on loopback.
#ifndef EDGEKIT_BROKER_ADMIN_HTTP_H_
#define EDGEKIT_BROKER_ADMIN_HTTP_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

struct mg_context;
struct mg_connection;

namespace edgekit::broker {

class AdminHttpServer {
 public:
  // `listen` is host:port (port 0 = OS-chosen). `ready` is read on each /readyz.
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry,
      const std::atomic<bool>* ready);
  ~AdminHttpServer();

  int port() const { return port_; }

 private:
  AdminHttpServer() = default;
  static int Handle(mg_connection* conn, void* self);

  mg_context* ctx_ = nullptr;
  int port_ = 0;
  std::shared_ptr<prometheus::Registry> registry_;
  const std::atomic<bool>* ready_ = nullptr;
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_ADMIN_HTTP_H_
