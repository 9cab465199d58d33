// The admin endpoint's event loop (see admin_http.h). One thread owns every socket;
// nothing here blocks except epoll_wait, so the number of clients that are slow, idle or
// hostile changes how many descriptors are open, not whether a probe is answered.
#include "broker/admin_http.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "broker/log.h"
#include "prometheus/text_serializer.h"

namespace edgekit::broker {
namespace {

absl::Status ListenError(const std::string& listen, absl::string_view why) {
  return absl::UnavailableError(absl::StrCat("metrics_listen: cannot listen on ", listen, " (",
                                             why, ")"));
}

// A bound, listening, non-blocking socket for "host:port" or "[v6]:port".
absl::StatusOr<int> OpenListener(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return ListenError(listen, "expected host:port");
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return ListenError(listen, gai_strerror(rc));
  }
  std::string why = "address in use or not available";
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
      why = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return ListenError(listen, why);
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

std::string Response(int status, absl::string_view content_type, absl::string_view body,
                     bool head) {
  return absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\nContent-Type: ",
                      content_type, "\r\nContent-Length: ", body.size(),
                      status == 405 ? "\r\nAllow: GET, HEAD" : "",
                      "\r\nConnection: close\r\n\r\n", head ? "" : body);
}

}  // namespace

class AdminHttpServer::Loop {
 public:
  Loop(int listen_fd, std::shared_ptr<prometheus::Registry> registry,
       const std::atomic<bool>* ready, const AdminHttpLimits& limits)
      : listen_fd_(listen_fd), registry_(std::move(registry)), ready_(ready), limits_(limits) {}

  ~Loop() {
    for (const auto& [fd, conn] : conns_) close(fd);
    if (listen_fd_ >= 0) close(listen_fd_);
    if (stop_fd_ >= 0) close(stop_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  absl::Status Init() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || stop_fd_ < 0) {
      return absl::InternalError(absl::StrCat("admin server: ", std::strerror(errno)));
    }
    Watch(listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
    Watch(stop_fd_, EPOLLIN, EPOLL_CTL_ADD);
    return absl::OkStatus();
  }

  // Called from the owning thread; makes Run() return.
  void Stop() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
  }

  void Run() {
    epoll_event events[64];
    while (true) {
      const int n = epoll_wait(epoll_fd_, events, 64, NextWakeMillis());
      if (n < 0 && errno != EINTR) {
        LogError(absl::StrCat("admin server stopped: epoll_wait: ", std::strerror(errno)));
        return;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listen_fd_) {
          AcceptAll();
        } else {
          OnEvent(fd, events[i].events);
        }
      }
      ExpireDeadlines();
    }
  }

 private:
  struct Conn {
    uint64_t seq = 0;  // accept order: the smallest has waited longest
    absl::Time deadline;
    bool writing = false;
    std::string in;
    std::string out;
    size_t sent = 0;
  };

  void Watch(int fd, uint32_t events, int op) {
    epoll_event ev;
    std::memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, op, fd, &ev);
  }

  void Close(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);
  }

  void CloseOldest() {
    auto oldest = std::min_element(conns_.begin(), conns_.end(), [](const auto& a, const auto& b) {
      return a.second.seq < b.second.seq;
    });
    if (oldest != conns_.end()) Close(oldest->first);
  }

  int NextWakeMillis() const {
    if (conns_.empty()) return -1;
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [fd, conn] : conns_) next = std::min(next, conn.deadline);
    const int64_t ms = absl::ToInt64Milliseconds(next - absl::Now()) + 1;
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000));
  }

  void ExpireDeadlines() {
    const absl::Time now = absl::Now();
    std::vector<int> expired;
    for (const auto& [fd, conn] : conns_) {
      if (conn.deadline <= now) expired.push_back(fd);
    }
    for (int fd : expired) Close(fd);
  }

  void AcceptAll() {
    while (true) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        // Out of descriptors: make room, so the next attempt (the socket stays readable)
        // admits the waiting client.
        if ((errno == EMFILE || errno == ENFILE) && !conns_.empty()) CloseOldest();
        return;
      }
      if (static_cast<int>(conns_.size()) >= limits_.max_connections) CloseOldest();
      Conn& conn = conns_[fd];
      conn.seq = next_seq_++;
      conn.deadline = absl::Now() + limits_.request_timeout;
      Watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
  }

  void OnEvent(int fd, uint32_t events) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& conn = it->second;
    if (events & EPOLLERR) return Close(fd);
    if (conn.writing) {
      if (events & (EPOLLOUT | EPOLLHUP)) Flush(fd, conn);
      return;
    }
    char buffer[4096];
    while (true) {
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n > 0) {
        conn.in.append(buffer, static_cast<size_t>(n));
        if (conn.in.size() > limits_.max_request_head_bytes ||
            conn.in.find("\r\n\r\n") != std::string::npos ||
            conn.in.find("\n\n") != std::string::npos) {
          return Respond(fd, conn);
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return Close(fd);  // the client closed before finishing its request, or an error
    }
  }

  void Respond(int fd, Conn& conn) {
    std::string head = conn.in;
    const size_t end = std::min(head.find("\r\n"), head.find('\n'));
    const std::vector<std::string> request_line =
        absl::StrSplit(head.substr(0, end), ' ', absl::SkipEmpty());
    if (conn.in.size() > limits_.max_request_head_bytes &&
        conn.in.find("\r\n\r\n") == std::string::npos) {
      conn.out = Response(431, "text/plain", "request head too large\n", false);
    } else if (request_line.size() != 3 || request_line[1].empty() ||
               request_line[1][0] != '/') {
      conn.out = Response(400, "text/plain", "bad request\n", false);
    } else {
      const std::string& method = request_line[0];
      const std::string path = request_line[1].substr(0, request_line[1].find('?'));
      const bool head_only = method == "HEAD";
      if (method != "GET" && !head_only) {
        conn.out = Response(405, "text/plain", "method not allowed\n", false);
      } else if (path == "/metrics") {
        std::ostringstream text;
        prometheus::TextSerializer().Serialize(text, registry_->Collect());
        conn.out = Response(200, "text/plain; version=0.0.4; charset=utf-8", text.str(),
                            head_only);
      } else if (path == "/healthz") {
        conn.out = Response(200, "text/plain", "ok\n", head_only);
      } else if (path == "/readyz") {
        const bool ready = ready_->load(std::memory_order_relaxed);
        conn.out = Response(ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n",
                            head_only);
      } else {
        conn.out = Response(404, "text/plain", "not found\n", head_only);
      }
    }
    conn.in.clear();
    conn.in.shrink_to_fit();
    conn.writing = true;
    conn.deadline = absl::Now() + limits_.response_timeout;
    Watch(fd, EPOLLOUT, EPOLL_CTL_MOD);
    Flush(fd, conn);
  }

  void Flush(int fd, Conn& conn) {
    while (conn.sent < conn.out.size()) {
      const ssize_t n =
          send(fd, conn.out.data() + conn.sent, conn.out.size() - conn.sent, MSG_NOSIGNAL);
      if (n > 0) {
        conn.sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // wait for EPOLLOUT
      return Close(fd);
    }
    shutdown(fd, SHUT_WR);
    Close(fd);
  }

  int listen_fd_;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  std::shared_ptr<prometheus::Registry> registry_;
  const std::atomic<bool>* ready_;
  AdminHttpLimits limits_;
  std::map<int, Conn> conns_;
  uint64_t next_seq_ = 0;
};

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry,
    const std::atomic<bool>* ready, const AdminHttpLimits& limits) {
  absl::StatusOr<int> fd = OpenListener(listen);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer());
  server->port_ = LocalPort(*fd);
  server->loop_ = std::make_unique<Loop>(*fd, std::move(registry), ready, limits);
  if (absl::Status s = server->loop_->Init(); !s.ok()) return s;
  server->thread_ = std::thread([loop = server->loop_.get()] { loop->Run(); });
  return server;
}

AdminHttpServer::~AdminHttpServer() {
  if (thread_.joinable()) {
    loop_->Stop();
    thread_.join();
  }
}

}  // namespace edgekit::broker
