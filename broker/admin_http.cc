// civetweb is the C HTTP server prometheus-cpp itself uses; its C API lets us add the
// health endpoints that prometheus::Exposer cannot.
#include "broker/admin_http.h"

#include <civetweb.h>

#include <cstring>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace edgekit::broker {
namespace {

void Reply(mg_connection* conn, int status, const char* content_type,
           const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            status, mg_get_response_code_text(conn, status), content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry,
    const std::atomic<bool>* ready) {
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer());
  server->registry_ = std::move(registry);
  server->ready_ = ready;

  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", "2",
                           "enable_keep_alive", "no", nullptr};
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  mg_init_library(0);
  server->ctx_ = mg_start(&callbacks, nullptr, options);
  if (server->ctx_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("metrics_listen: cannot listen on ", listen,
                     " (address in use or not available)"));
  }
  for (const char* path : {"/metrics", "/healthz", "/readyz"}) {
    mg_set_request_handler(server->ctx_, path, &AdminHttpServer::Handle, server.get());
  }
  mg_server_port ports[4];
  int n = mg_get_server_ports(server->ctx_, 4, ports);
  if (n > 0) server->port_ = ports[0].port;
  return server;
}

AdminHttpServer::~AdminHttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

int AdminHttpServer::Handle(mg_connection* conn, void* self_ptr) {
  auto* self = static_cast<AdminHttpServer*>(self_ptr);
  const mg_request_info* info = mg_get_request_info(conn);
  std::string uri = info->local_uri != nullptr ? info->local_uri : "";
  if (uri == "/metrics") {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, self->registry_->Collect());
    Reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", out.str());
  } else if (uri == "/healthz") {
    Reply(conn, 200, "text/plain", "ok\n");
  } else if (uri == "/readyz") {
    bool ready = self->ready_->load(std::memory_order_relaxed);
    Reply(conn, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n");
  } else {
    Reply(conn, 404, "text/plain", "not found\n");
  }
  return 1;
}

}  // namespace edgekit::broker
