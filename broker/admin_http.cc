// The admin endpoint's event loop (see admin_http.h). One thread owns every socket;
// nothing here blocks except epoll_wait, so the number of clients that are slow, idle or
// hostile changes how many descriptors are open, not whether a probe is answered.
//
// A connection goes through three phases, each with its own deadline: reading the
// request head (request_timeout from accept), writing the response (response_timeout),
// and lingering half-closed until the client closes (linger_timeout). Work per wake-up
// is bounded (accepts and reads per event), so one fast client cannot starve the rest.
#include "broker/admin_http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "broker/log.h"
#include "common/syntax.h"
#include "prometheus/text_serializer.h"

namespace edgekit::broker {
namespace {

// epoll tags: connections are tagged with their id (accept order, from 2 up), so an
// event still queued for a connection closed earlier in the same batch finds nothing,
// even when the kernel has handed its descriptor number to a newer connection.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kStopTag = 1;
constexpr uint64_t kFirstConnectionId = 2;

// Bounds on the work one wake-up does for one source, so a flood of connections or a
// client that sends fast cannot keep the loop from the others (epoll is level-triggered:
// what is left is reported again at once).
constexpr int kMaxAcceptsPerWake = 64;
constexpr int kMaxReadsPerEvent = 16;
constexpr size_t kReadChunk = 4096;

// When the process is out of descriptors and no connection of ours can be closed to
// make room, the listener is left alone this long instead of being reported readable in
// a busy loop.
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

absl::Status ListenError(const std::string& listen, absl::string_view why) {
  return absl::UnavailableError(
      absl::StrCat("metrics_listen: cannot listen on ", listen, " (", why, ")"));
}

// A bound, listening, non-blocking socket for "host:port" or "[v6]:port" (the grammar
// every HOST:PORT in edgekit uses; the host may be a name, resolved here once).
absl::StatusOr<int> OpenListener(const std::string& listen) {
  absl::StatusOr<HostPort> address = ParseHostPort(listen);
  if (!address.ok()) return ListenError(listen, address.status().message());
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address->port);
  if (int rc = getaddrinfo(address->host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return ListenError(listen, gai_strerror(rc));
  }
  std::string why = "address in use or not available";
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    // A restarted broker must not wait out the old one's TIME_WAIT connections.
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
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

// The offset just past the empty line that ends a request head, or npos. Only line ends
// at or after `from` are examined (the caller has searched the bytes before), so a head
// that arrives a byte at a time costs linear time, not quadratic. A bare LF is taken as
// a line end, as RFC 9112 2.2 allows.
size_t HeadEnd(const std::string& in, size_t from) {
  for (size_t lf = in.find('\n', from); lf != std::string::npos; lf = in.find('\n', lf + 1)) {
    if (lf >= 1 && in[lf - 1] == '\n') return lf + 1;
    if (lf >= 2 && in[lf - 1] == '\r' && in[lf - 2] == '\n') return lf + 1;
  }
  return std::string::npos;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
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

std::string Response(int status, absl::string_view content_type, absl::string_view body, bool head,
                     absl::string_view allow = "GET, HEAD") {
  return absl::StrCat("HTTP/1.1 ", status, " ", Reason(status), "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(),
                      status == 405 ? absl::StrCat("\r\nAllow: ", allow) : "",
                      "\r\nConnection: close\r\n\r\n", head ? "" : body);
}

// 127.0.0.0/8, ::1, and IPv4-mapped 127.0.0.0/8 (a dual-stack listener's IPv4 peers).
bool IsLoopbackPeer(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
    return (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
  }
  if (peer.ss_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

class AdminHttpServer::Loop {
 public:
  Loop(int listen_fd, std::shared_ptr<prometheus::Registry> registry,
       const std::atomic<bool>* ready, const AdminHttpLimits& limits,
       std::function<size_t()> flush_cache)
      : listen_fd_(listen_fd),
        registry_(std::move(registry)),
        ready_(ready),
        limits_(limits),
        flush_cache_(std::move(flush_cache)) {}

  ~Loop() {
    for (const auto& [id, conn] : conns_) close(conn.fd);
    if (listen_fd_ >= 0) close(listen_fd_);
    if (stop_fd_ >= 0) close(stop_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  absl::Status Init() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || stop_fd_ < 0 || !Watch(listen_fd_, kListenerTag, EPOLLIN, EPOLL_CTL_ADD) ||
        !Watch(stop_fd_, kStopTag, EPOLLIN, EPOLL_CTL_ADD)) {
      return absl::InternalError(absl::StrCat("admin server: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  // The only member another thread may call: makes Run() return.
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
        const uint64_t tag = events[i].data.u64;
        if (tag == kStopTag) return;
        if (tag == kListenerTag) {
          AcceptSome();
        } else {
          OnEvent(tag);
        }
      }
      const absl::Time now = absl::Now();
      if (accept_paused_until_ != absl::InfinitePast() && accept_paused_until_ <= now) {
        accept_paused_until_ = absl::InfinitePast();
        Watch(listen_fd_, kListenerTag, EPOLLIN, EPOLL_CTL_MOD);
      }
      ExpireDeadlines(now);
    }
  }

 private:
  enum class Phase { kReading, kWriting, kLingering };

  struct Conn {
    int fd = -1;
    Phase phase = Phase::kReading;
    absl::Time deadline;  // of the current phase
    std::string in;       // the request head received so far (reading only)
    std::string out;      // the response (writing only)
    size_t sent = 0;
    bool loopback = false;  // the peer is on this host
  };

  bool Watch(int fd, uint64_t tag, uint32_t events, int op) {
    epoll_event ev;
    std::memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = tag;
    return epoll_ctl(epoll_fd_, op, fd, &ev) == 0;
  }

  void Close(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    // Removed explicitly: close() alone would leave it registered while a forked child
    // (between fork and exec) still holds the same open file.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
    close(it->second.fd);
    conns_.erase(it);
  }

  // The wait until the nearest deadline (at most 1 s: the loop has no other timer).
  int NextWakeMillis() const {
    absl::Time next = accept_paused_until_ == absl::InfinitePast() ? absl::InfiniteFuture()
                                                                   : accept_paused_until_;
    for (const auto& [id, conn] : conns_) next = std::min(next, conn.deadline);
    if (next == absl::InfiniteFuture()) return -1;
    const int64_t ms = absl::ToInt64Milliseconds(next - absl::Now()) + 1;
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 1000));
  }

  // O(connections) per wake-up; connections are capped (512 by default), so this is a
  // few microseconds, and a heap would need updating at every phase change.
  void ExpireDeadlines(absl::Time now) {
    std::vector<uint64_t> expired;
    for (const auto& [id, conn] : conns_) {
      if (conn.deadline <= now) expired.push_back(id);
    }
    for (uint64_t id : expired) Close(id);
  }

  void AcceptSome() {
    for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
      sockaddr_storage peer;
      socklen_t peer_size = sizeof(peer);
      std::memset(&peer, 0, sizeof(peer));
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_size,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          if (!conns_.empty()) {
            // Out of descriptors: our oldest connection makes room for the waiting one.
            Close(conns_.begin()->first);
            continue;
          }
          // Nothing of ours to close: stop watching the listener for a moment rather
          // than spin on it (it stays readable while the client waits in the backlog).
          Watch(listen_fd_, kListenerTag, 0, EPOLL_CTL_MOD);
          accept_paused_until_ = absl::Now() + kAcceptPause;
        }
        return;  // EAGAIN: no one else is waiting
      }
      // At the cap the connection that has waited longest goes: a probe connects, sends
      // its request and is answered within one wake-up, so it is never the oldest for
      // long, while a connection that holds its slot without finishing a request is.
      if (static_cast<int>(conns_.size()) >= limits_.max_connections && !conns_.empty()) {
        Close(conns_.begin()->first);
      }
      const uint64_t id = next_id_++;
      if (!Watch(fd, id, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD)) {
        close(fd);
        continue;
      }
      Conn& conn = conns_[id];
      conn.fd = fd;
      conn.deadline = absl::Now() + limits_.request_timeout;
      conn.loopback = IsLoopbackPeer(peer);
    }
  }

  // Errors and hang-ups need no case of their own: the next recv or send reports them.
  void OnEvent(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;  // closed earlier in this batch
    Conn& conn = it->second;
    switch (conn.phase) {
      case Phase::kReading:
        return Read(id, conn);
      case Phase::kWriting:
        return Flush(id, conn);  // a send on a reset connection fails and closes it
      case Phase::kLingering:
        return Drain(id, conn);
    }
  }

  void Read(uint64_t id, Conn& conn) {
    char buffer[kReadChunk];
    for (int i = 0; i < kMaxReadsPerEvent; ++i) {
      const ssize_t n = recv(conn.fd, buffer, sizeof(buffer), 0);
      if (n > 0) {
        const size_t searched = conn.in.size();
        conn.in.append(buffer, static_cast<size_t>(n));
        const size_t end = HeadEnd(conn.in, searched);
        if (end != std::string::npos || conn.in.size() > limits_.max_request_head_bytes) {
          return Respond(id, conn, end);
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return Close(id);  // the client closed before finishing its request, or an error
    }
  }

  // `head_end` is where the request head ends in conn.in, npos if it did not end within
  // the cap. /metrics is serialized here, on the loop: the broker's registry has about
  // 150 series, well under a millisecond of work.
  void Respond(uint64_t id, Conn& conn, size_t head_end) {
    if (head_end == std::string::npos || head_end > limits_.max_request_head_bytes) {
      conn.out = Response(431, "text/plain", "request head too large\n", false);
    } else {
      absl::string_view line(conn.in.data(), conn.in.find('\n'));
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
      if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[1][0] != '/' ||
          (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0")) {
        conn.out = Response(400, "text/plain", "bad request\n", false);
      } else {
        conn.out = Answer(parts[0], parts[1].substr(0, parts[1].find('?')), conn.loopback);
      }
    }
    conn.in.clear();
    conn.in.shrink_to_fit();
    conn.phase = Phase::kWriting;
    conn.deadline = absl::Now() + limits_.response_timeout;
    if (!Watch(conn.fd, id, EPOLLOUT, EPOLL_CTL_MOD)) return Close(id);
    Flush(id, conn);
  }

  std::string Answer(absl::string_view method, absl::string_view path, bool loopback) const {
    if (path == "/cache/flush") return FlushCache(method, loopback);
    const bool head_only = method == "HEAD";
    if (method != "GET" && !head_only) {
      return Response(405, "text/plain", "method not allowed\n", false);
    }
    if (path == "/metrics") {
      std::ostringstream text;
      prometheus::TextSerializer().Serialize(text, registry_->Collect());
      return Response(200, kMetricsContentType, text.str(), head_only);
    }
    if (path == "/healthz") return Response(200, "text/plain", "ok\n", head_only);
    if (path == "/readyz") {
      const bool ready = ready_->load(std::memory_order_relaxed);
      return Response(ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n",
                      head_only);
    }
    return Response(404, "text/plain", "not found\n", head_only);
  }

  // POST /cache/flush empties the decision cache. Only from this host: the port is
  // reachable by anything that reaches the pod, and a flush sends every following call
  // to the auth service.
  std::string FlushCache(absl::string_view method, bool loopback) const {
    if (method != "POST") {
      return Response(405, "text/plain", "use POST\n", false, "POST");
    }
    if (!loopback) {
      return Response(403, "text/plain", "the cache can be flushed from loopback only\n", false);
    }
    if (flush_cache_ == nullptr) {
      return Response(404, "text/plain", "no decision cache is configured\n", false);
    }
    return Response(200, "text/plain", absl::StrCat("flushed ", flush_cache_(), " entries\n"),
                    false);
  }

  void Flush(uint64_t id, Conn& conn) {
    while (conn.sent < conn.out.size()) {
      const ssize_t n =
          send(conn.fd, conn.out.data() + conn.sent, conn.out.size() - conn.sent, MSG_NOSIGNAL);
      if (n > 0) {
        conn.sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // wait for EPOLLOUT
      return Close(id);
    }
    Linger(id, conn);
  }

  // The whole response is with the kernel: send FIN after it and wait for the client's.
  void Linger(uint64_t id, Conn& conn) {
    conn.out.clear();
    conn.out.shrink_to_fit();
    if (limits_.linger_timeout <= absl::ZeroDuration() || shutdown(conn.fd, SHUT_WR) != 0 ||
        !Watch(conn.fd, id, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD)) {
      return Close(id);
    }
    conn.phase = Phase::kLingering;
    conn.deadline = absl::Now() + limits_.linger_timeout;
  }

  // Reads and drops whatever the client still sends; its close (or an error) ends it.
  void Drain(uint64_t id, Conn& conn) {
    char buffer[kReadChunk];
    for (int i = 0; i < kMaxReadsPerEvent; ++i) {
      const ssize_t n = recv(conn.fd, buffer, sizeof(buffer), 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      return Close(id);
    }
  }

  const int listen_fd_;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  const std::shared_ptr<prometheus::Registry> registry_;
  const std::atomic<bool>* const ready_;
  const AdminHttpLimits limits_;
  const std::function<size_t()> flush_cache_;  // null: no cache
  // By id, which is accept order: begin() is the connection that has waited longest.
  std::map<uint64_t, Conn> conns_;
  uint64_t next_id_ = kFirstConnectionId;
  // InfinitePast while the listener is watched.
  absl::Time accept_paused_until_ = absl::InfinitePast();
};

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry,
    const std::atomic<bool>* ready, const AdminHttpLimits& limits,
    std::function<size_t()> flush_cache) {
  absl::StatusOr<int> fd = OpenListener(listen);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<AdminHttpServer> server(new AdminHttpServer());
  server->port_ = LocalPort(*fd);
  // The Loop owns the listener from here, on every path.
  server->loop_ =
      std::make_unique<Loop>(*fd, std::move(registry), ready, limits, std::move(flush_cache));
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
