// h2-forwarder: the floor under any gRPC forwarder on this machine. One thread, one epoll
// loop, plain HTTP/2 on libnghttp2 with unary gRPC framing treated as opaque bytes: each
// downstream stream's headers and length-prefixed message are buffered, sent upstream as
// one request on a single shared client connection, and the upstream's headers, message
// and trailers are relayed back. No gRPC library, no parsing of the message, no hedging,
// no retries, no timers (the caller's grpc-timeout travels upstream, and a caller's reset
// becomes an upstream reset). bench.py transport compares it with naive-forwarder and the
// broker.
//
// Prints "h2-forwarder listening on HOST:PORT" when ready; SIGTERM/SIGINT exit 0; bad
// flags exit 2; cannot start exits 1.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/bench/forwarder_main.h"

namespace edgekit::bench {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// gRPC's default receive limit (4 MiB) plus the 5-byte message prefix: a larger request
// would be refused by a gRPC server too, so it is answered here instead of buffered.
constexpr size_t kMaxRequestBytes = (4u << 20) + 5;
// Output produced by nghttp2 beyond this waits for the socket (EPOLLOUT) before more is
// pulled, so a slow reader cannot make one connection buffer without bound.
constexpr size_t kOutHighWater = 64 * 1024;

absl::Status ErrnoError(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Connection-specific headers (RFC 9113 8.2.2) and `host` never cross a hop. nghttp2
// already refuses most of them on receipt; this keeps the rule in one visible place.
bool IsHopByHop(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || name == "host";
}

std::vector<nghttp2_nv> ToNv(const Headers& headers) {
  std::vector<nghttp2_nv> nv;
  nv.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    // nghttp2 copies names and values on submit (NGHTTP2_NV_FLAG_NONE), so `headers`
    // need only outlive the submit call.
    nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nv;
}

class Forwarder;
struct Conn;

// One forwarded call. Owned by its downstream connection (keyed by the downstream stream
// id) and destroyed when that stream closes; the upstream connection only indexes it by
// the upstream stream id while the upstream stream is open. Callbacks always look a call
// up by stream id, never through a stored pointer, so a call that is gone is simply not
// found.
struct Call {
  Conn* down = nullptr;
  int32_t down_id = 0;
  Conn* up = nullptr;  // set while an upstream stream carries the call
  int32_t up_id = -1;
  Headers request_headers;
  std::string request_body;  // the gRPC length-prefixed message, opaque
  size_t request_sent = 0;
  Headers response_headers;
  Headers response_trailers;
  std::string response_body;
  size_t response_sent = 0;
  bool answered = false;  // a response was submitted downstream
};

struct Conn {
  Forwarder* fwd = nullptr;
  bool upstream = false;
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::string out;          // bytes nghttp2 produced that the socket has not taken yet
  bool connecting = false;  // upstream: non-blocking connect() not finished
  bool epollout = false;    // EPOLLOUT is in the epoll interest set
  bool dirty = false;       // queued for Flush
  bool dead = false;        // queued for Reap; ignore further events
  std::string error;        // upstream: why it died, for the calls it fails
  std::unordered_map<int32_t, std::unique_ptr<Call>> calls;  // downstream: owned
  std::unordered_map<int32_t, Call*> in_flight;              // upstream: by its stream id

  Call* FindCall(int32_t stream_id) const {
    if (upstream) {
      auto it = in_flight.find(stream_id);
      return it == in_flight.end() ? nullptr : it->second;
    }
    auto it = calls.find(stream_id);
    return it == calls.end() ? nullptr : it->second.get();
  }
};

Conn* ConnOf(void* user_data) { return static_cast<Conn*>(user_data); }

class Forwarder {
 public:
  static absl::StatusOr<std::unique_ptr<Forwarder>> Create(const std::string& listen,
                                                           const std::string& upstream,
                                                           int signal_fd);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  const std::string& address() const { return address_; }
  // Serves until a signal arrives on the signal fd; returns its number.
  absl::StatusOr<int> Run();

  // Called from the nghttp2 callbacks below.
  void Forward(Call* call);
  void Relay(Call* call);
  void AnswerError(Call* call, int grpc_code, const std::string& message);
  void Detach(Call* call);
  void MarkDirty(Conn* conn);

 private:
  Forwarder() = default;
  Conn* AddConn(int fd, bool upstream, uint32_t events);
  absl::StatusOr<Conn*> Connect();
  void Accept();
  void OnEvent(Conn* conn, uint32_t events);
  void Read(Conn* conn);
  void Flush(Conn* conn);
  void SetWantOut(Conn* conn, bool want);
  void Kill(Conn* conn);
  void Reap(Conn* conn);
  void Settle();

  std::string address_;
  std::string upstream_name_;
  sockaddr_storage upstream_addr_{};
  socklen_t upstream_addr_len_ = 0;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  nghttp2_session_callbacks* server_callbacks_ = nullptr;
  nghttp2_session_callbacks* client_callbacks_ = nullptr;
  Conn* up_ = nullptr;  // the upstream connection new calls go to; null until needed
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> dirty_;
  std::vector<Conn*> dead_;
  std::vector<uint8_t> read_buf_ = std::vector<uint8_t>(64 * 1024);
};

// ---- nghttp2 callbacks: the downstream (server) side ----

int OnBeginRequest(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  Conn* conn = ConnOf(user_data);
  auto call = std::make_unique<Call>();
  call->down = conn;
  call->down_id = frame->hd.stream_id;
  conn->calls[frame->hd.stream_id] = std::move(call);
  return 0;
}

int OnRequestHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                    size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                    void* user_data) {
  // Request trailers (HEADERS after the request's first) carry nothing gRPC uses.
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  Call* call = ConnOf(user_data)->FindCall(frame->hd.stream_id);
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  if (call != nullptr && !IsHopByHop(n)) {
    call->request_headers.emplace_back(
        n, std::string_view(reinterpret_cast<const char*>(value), valuelen));
  }
  return 0;
}

int OnDownstreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
  Conn* conn = ConnOf(user_data);
  auto it = conn->calls.find(stream_id);
  if (it == conn->calls.end()) return 0;
  // Answered or reset by the caller: either way the upstream stream has no one to answer.
  conn->fwd->Detach(it->second.get());
  conn->calls.erase(it);
  return 0;
}

// ---- nghttp2 callbacks: the upstream (client) side ----

int OnResponseHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                     size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                     void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Call* call = ConnOf(user_data)->FindCall(frame->hd.stream_id);
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  if (call == nullptr || IsHopByHop(n)) return 0;
  // The first HEADERS is the response (with grpc-status in it if trailers-only); a later
  // one is the trailers.
  Headers& into = frame->headers.cat == NGHTTP2_HCAT_RESPONSE ? call->response_headers
                                                              : call->response_trailers;
  into.emplace_back(n, std::string_view(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}

// The request's HEADERS never left (e.g. the upstream sent GOAWAY first).
int OnRequestNotSent(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                     void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Conn* conn = ConnOf(user_data);
  Call* call = conn->FindCall(frame->hd.stream_id);
  if (call == nullptr) return 0;
  conn->in_flight.erase(frame->hd.stream_id);
  call->up = nullptr;
  conn->fwd->AnswerError(
      call, 14,
      absl::StrCat("h2-forwarder: upstream request not sent: ", nghttp2_strerror(lib_error_code)));
  return 0;
}

int OnUpstreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  Conn* conn = ConnOf(user_data);
  Call* call = conn->FindCall(stream_id);
  if (call == nullptr) return 0;
  conn->in_flight.erase(stream_id);
  call->up = nullptr;
  // Closed before its END_STREAM: reset by the upstream (or refused after a GOAWAY). The
  // usual close comes after Relay and costs no message.
  if (!call->answered) {
    conn->fwd->AnswerError(
        call, 14,
        absl::StrCat("h2-forwarder: upstream reset the stream (HTTP/2 error ", error_code, ")"));
  }
  return 0;
}

// ---- nghttp2 callbacks: both sides (conn->upstream tells them apart) ----

int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                void* user_data) {
  Conn* conn = ConnOf(user_data);
  Call* call = conn->FindCall(stream_id);
  if (call == nullptr) return 0;
  if (conn->upstream) {
    call->response_body.append(reinterpret_cast<const char*>(data), len);
  } else if (call->request_body.size() + len > kMaxRequestBytes) {
    conn->fwd->AnswerError(call, 8, "h2-forwarder: request larger than 4 MiB");
  } else if (!call->answered) {
    call->request_body.append(reinterpret_cast<const char*>(data), len);
  }
  return 0;
}

// A request is forwarded, and a response relayed, once its END_STREAM is in.
int OnFrame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    return 0;
  }
  Conn* conn = ConnOf(user_data);
  Call* call = conn->FindCall(frame->hd.stream_id);
  if (call != nullptr && conn->upstream) conn->fwd->Relay(call);
  if (call != nullptr && !conn->upstream) conn->fwd->Forward(call);
  return 0;
}

// The data provider of both the upstream request and the downstream response.
ssize_t ReadBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                 uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  Conn* conn = ConnOf(user_data);
  Call* call = conn->FindCall(stream_id);
  if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // its caller went away
  const std::string& body = conn->upstream ? call->request_body : call->response_body;
  size_t& sent = conn->upstream ? call->request_sent : call->response_sent;
  const size_t n = std::min(length, body.size() - sent);
  std::memcpy(buf, body.data() + sent, n);
  sent += n;
  if (sent < body.size()) return static_cast<ssize_t>(n);
  *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  if (!conn->upstream && !call->response_trailers.empty()) {
    // The trailers end the stream; submitting them here (not next to the response) is
    // what orders them after the last DATA frame.
    *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    std::vector<nghttp2_nv> nv = ToNv(call->response_trailers);
    if (nghttp2_submit_trailer(session, stream_id, nv.data(), nv.size()) != 0) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
  }
  return static_cast<ssize_t>(n);
}

// ---- the forwarder ----

absl::StatusOr<std::pair<sockaddr_storage, socklen_t>> Resolve(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    return absl::InvalidArgumentError(absl::StrCat("want host:port, got \"", host_port, "\""));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string host = host_port.substr(0, colon);
  const int rv = getaddrinfo(host.c_str(), host_port.c_str() + colon + 1, &hints, &found);
  if (rv != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve \"", host_port, "\": ", gai_strerror(rv)));
  }
  std::pair<sockaddr_storage, socklen_t> out{};
  std::memcpy(&out.first, found->ai_addr, found->ai_addrlen);
  out.second = found->ai_addrlen;
  freeaddrinfo(found);
  return out;
}

void SetNoDelay(int fd) {
  // Each call is a few small frames each way; Nagle would hold them for the peer's ACK.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

absl::StatusOr<std::unique_ptr<Forwarder>> Forwarder::Create(const std::string& listen,
                                                             const std::string& upstream,
                                                             int signal_fd) {
  auto listen_addr = Resolve(listen);
  if (!listen_addr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("listen: ", listen_addr.status().message()));
  }
  auto upstream_addr = Resolve(upstream);
  if (!upstream_addr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("upstream: ", upstream_addr.status().message()));
  }
  std::unique_ptr<Forwarder> f(new Forwarder());
  f->upstream_name_ = upstream;
  std::tie(f->upstream_addr_, f->upstream_addr_len_) = *upstream_addr;
  f->signal_fd_ = signal_fd;
  auto& [addr, len] = *listen_addr;
  f->listen_fd_ = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (f->listen_fd_ < 0) return ErrnoError("socket");
  int one = 1;
  setsockopt(f->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(f->listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return ErrnoError(absl::StrCat("listen: cannot bind \"", listen, "\""));
  }
  if (::listen(f->listen_fd_, 1024) != 0) return ErrnoError("listen");
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(f->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  const int port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  f->address_ = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);

  f->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (f->epoll_fd_ < 0) return ErrnoError("epoll_create1");
  // The listener and the signal fd are told apart from connections by their tags.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &f->listen_fd_;
  epoll_ctl(f->epoll_fd_, EPOLL_CTL_ADD, f->listen_fd_, &ev);
  ev.data.ptr = &f->signal_fd_;
  epoll_ctl(f->epoll_fd_, EPOLL_CTL_ADD, signal_fd, &ev);

  nghttp2_session_callbacks_new(&f->server_callbacks_);
  nghttp2_session_callbacks_set_on_begin_headers_callback(f->server_callbacks_, OnBeginRequest);
  nghttp2_session_callbacks_set_on_header_callback(f->server_callbacks_, OnRequestHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(f->server_callbacks_, OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(f->server_callbacks_, OnFrame);
  nghttp2_session_callbacks_set_on_stream_close_callback(f->server_callbacks_, OnDownstreamClose);
  nghttp2_session_callbacks_new(&f->client_callbacks_);
  nghttp2_session_callbacks_set_on_header_callback(f->client_callbacks_, OnResponseHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(f->client_callbacks_, OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(f->client_callbacks_, OnFrame);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(f->client_callbacks_, OnRequestNotSent);
  nghttp2_session_callbacks_set_on_stream_close_callback(f->client_callbacks_, OnUpstreamClose);
  return f;
}

Forwarder::~Forwarder() {
  // Everything dead first, so tearing one connection down submits nothing to another.
  for (auto& [conn, owned] : conns_) conn->dead = true;
  while (!conns_.empty()) Reap(conns_.begin()->first);
  if (server_callbacks_ != nullptr) nghttp2_session_callbacks_del(server_callbacks_);
  if (client_callbacks_ != nullptr) nghttp2_session_callbacks_del(client_callbacks_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

Conn* Forwarder::AddConn(int fd, bool upstream, uint32_t events) {
  auto owned = std::make_unique<Conn>();
  Conn* conn = owned.get();
  conn->fwd = this;
  conn->upstream = upstream;
  conn->fd = fd;
  if (upstream) {
    nghttp2_session_client_new(&conn->session, client_callbacks_, conn);
    const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
    nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings, 1);
  } else {
    nghttp2_session_server_new(&conn->session, server_callbacks_, conn);
    const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000}};
    nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings, 1);
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = conn;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  conn->epollout = (events & EPOLLOUT) != 0;
  conns_.emplace(conn, std::move(owned));
  MarkDirty(conn);  // our SETTINGS (and a client's preface) go out on the next flush
  return conn;
}

absl::StatusOr<Conn*> Forwarder::Connect() {
  const int fd = socket(upstream_addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  SetNoDelay(fd);
  if (connect(fd, reinterpret_cast<sockaddr*>(&upstream_addr_), upstream_addr_len_) != 0 &&
      errno != EINPROGRESS) {
    absl::Status error = ErrnoError(absl::StrCat("h2-forwarder: connect ", upstream_name_));
    close(fd);
    return error;
  }
  // Requests may be submitted at once; they are written when EPOLLOUT says connected.
  Conn* conn = AddConn(fd, /*upstream=*/true, EPOLLIN | EPOLLOUT);
  conn->connecting = true;
  return conn;
}

void Forwarder::Forward(Call* call) {
  if (call->answered) return;
  // After the upstream's GOAWAY its connection only finishes what it has; new calls go
  // to a new connection (the old one closes itself once idle, see Flush).
  if (up_ != nullptr && !nghttp2_session_check_request_allowed(up_->session)) up_ = nullptr;
  if (up_ == nullptr) {
    auto conn = Connect();
    if (!conn.ok()) {
      AnswerError(call, 14, std::string(conn.status().message()));
      return;
    }
    up_ = *conn;
  }
  std::vector<nghttp2_nv> nv = ToNv(call->request_headers);
  nghttp2_data_provider body{};
  body.read_callback = ReadBody;
  const int32_t id = nghttp2_submit_request(up_->session, nullptr, nv.data(), nv.size(),
                                            call->request_body.empty() ? nullptr : &body, nullptr);
  if (id < 0) {
    AnswerError(call, 14, absl::StrCat("h2-forwarder: submit upstream: ", nghttp2_strerror(id)));
    return;
  }
  call->up = up_;
  call->up_id = id;
  up_->in_flight[id] = call;
  MarkDirty(up_);
}

void Forwarder::Relay(Call* call) {
  if (call->answered) return;
  call->answered = true;
  std::vector<nghttp2_nv> nv = ToNv(call->response_headers);
  nghttp2_data_provider body{};
  body.read_callback = ReadBody;
  // Trailers-only (the usual gRPC error) is one HEADERS frame with END_STREAM.
  const bool has_more = !call->response_body.empty() || !call->response_trailers.empty();
  if (nghttp2_submit_response(call->down->session, call->down_id, nv.data(), nv.size(),
                              has_more ? &body : nullptr) != 0) {
    nghttp2_submit_rst_stream(call->down->session, NGHTTP2_FLAG_NONE, call->down_id,
                              NGHTTP2_INTERNAL_ERROR);
  }
  MarkDirty(call->down);
}

void Forwarder::AnswerError(Call* call, int grpc_code, const std::string& message) {
  if (call->answered) return;
  call->answered = true;
  const Headers headers = {{":status", "200"},
                           {"content-type", "application/grpc"},
                           {"grpc-status", std::to_string(grpc_code)},
                           {"grpc-message", message}};
  std::vector<nghttp2_nv> nv = ToNv(headers);
  nghttp2_submit_response(call->down->session, call->down_id, nv.data(), nv.size(), nullptr);
  MarkDirty(call->down);
}

void Forwarder::Detach(Call* call) {
  Conn* up = call->up;
  if (up == nullptr) return;
  up->in_flight.erase(call->up_id);
  call->up = nullptr;
  if (!up->dead) {
    nghttp2_submit_rst_stream(up->session, NGHTTP2_FLAG_NONE, call->up_id, NGHTTP2_CANCEL);
    MarkDirty(up);
  }
}

void Forwarder::MarkDirty(Conn* conn) {
  if (conn->dirty || conn->dead) return;
  conn->dirty = true;
  dirty_.push_back(conn);
}

void Forwarder::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all taken; anything else: try again on the next event
    SetNoDelay(fd);
    AddConn(fd, /*upstream=*/false, EPOLLIN);
  }
}

void Forwarder::OnEvent(Conn* conn, uint32_t events) {
  if (conn->dead) return;  // killed earlier in this batch, reaped after it
  if (conn->connecting) {
    int error = 0;
    socklen_t len = sizeof(error);
    getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      conn->error = absl::StrCat("connect ", upstream_name_, ": ", std::strerror(error));
      Kill(conn);  // Reap answers its calls UNAVAILABLE
      return;
    }
    if ((events & EPOLLOUT) == 0) return;
    conn->connecting = false;
    MarkDirty(conn);
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) Read(conn);
  if (!conn->dead && (events & EPOLLOUT) != 0) MarkDirty(conn);
}

void Forwarder::Read(Conn* conn) {
  // One read per readiness event: epoll is level-triggered, so leftover bytes come back
  // on the next epoll_wait, and the usual case costs one recv instead of two.
  const ssize_t n = recv(conn->fd, read_buf_.data(), read_buf_.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0 || nghttp2_session_mem_recv(conn->session, read_buf_.data(), n) < 0) {
    Kill(conn);
    return;
  }
  MarkDirty(conn);  // acks, window updates, and whatever the callbacks submitted
}

void Forwarder::Flush(Conn* conn) {
  if (conn->connecting) return;
  for (;;) {
    while (conn->out.size() < kOutHighWater) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(conn->session, &data);
      if (n < 0) {
        Kill(conn);
        return;
      }
      if (n == 0) break;
      conn->out.append(reinterpret_cast<const char*>(data), n);
    }
    if (conn->out.empty()) break;
    const ssize_t w = send(conn->fd, conn->out.data(), conn->out.size(), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) {
      Kill(conn);
      return;
    }
    if (w > 0) conn->out.erase(0, w);
    if (!conn->out.empty()) break;  // the socket is full: EPOLLOUT resumes
  }
  SetWantOut(conn, !conn->out.empty());
  if (conn->out.empty() && !nghttp2_session_want_read(conn->session) &&
      !nghttp2_session_want_write(conn->session)) {
    Kill(conn);  // GOAWAY exchanged and no stream left
  }
}

void Forwarder::SetWantOut(Conn* conn, bool want) {
  if (conn->epollout == want) return;
  conn->epollout = want;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.ptr = conn;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd, &ev);
}

void Forwarder::Kill(Conn* conn) {
  if (conn->dead) return;
  conn->dead = true;
  if (up_ == conn) up_ = nullptr;  // the next call connects anew
  dead_.push_back(conn);
}

// Tears a connection down outside any of its callbacks (nghttp2_session_del runs none).
void Forwarder::Reap(Conn* conn) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
  close(conn->fd);
  if (conn->upstream) {
    for (auto& [id, call] : conn->in_flight) {
      call->up = nullptr;
      AnswerError(call, 14,
                  conn->error.empty()
                      ? absl::StrCat("h2-forwarder: upstream ", upstream_name_, " connection lost")
                      : absl::StrCat("h2-forwarder: ", conn->error));
    }
    conn->in_flight.clear();
  } else {
    for (auto& [id, call] : conn->calls) Detach(call.get());
    conn->calls.clear();
  }
  nghttp2_session_del(conn->session);
  conns_.erase(conn);
}

// After each epoll batch: write what every touched session has to say, then tear down
// the connections that died, which may give live ones more to say (UNAVAILABLE answers,
// upstream resets); repeat until quiet.
void Forwarder::Settle() {
  while (!dirty_.empty() || !dead_.empty()) {
    while (!dirty_.empty()) {
      Conn* conn = dirty_.back();
      dirty_.pop_back();
      conn->dirty = false;
      if (!conn->dead) Flush(conn);
    }
    std::vector<Conn*> dead;
    dead.swap(dead_);
    for (Conn* conn : dead) Reap(conn);
  }
}

absl::StatusOr<int> Forwarder::Run() {
  epoll_event events[64];
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("epoll_wait");
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_fd_) {
        Accept();
      } else if (tag == &signal_fd_) {
        signalfd_siginfo info{};
        if (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
          return static_cast<int>(info.ssi_signo);
        }
      } else {
        OnEvent(static_cast<Conn*>(tag), events[i].events);
      }
    }
    Settle();
  }
}

}  // namespace
}  // namespace edgekit::bench

int main(int argc, char** argv) {
  edgekit::bench::ForwarderFlags flags;
  flags.listen = "127.0.0.1:9192";
  if (std::optional<int> exit_code = edgekit::bench::ParseForwarderFlags(
          argc, argv, "h2-forwarder",
          "Single-threaded HTTP/2 (nghttp2) unary gRPC forwarder (transport floor).",
          "host:port of the plaintext HTTP/2 (gRPC) upstream", &flags)) {
    return *exit_code;
  }
  // The stop signals arrive through a signalfd in the event loop, not as handlers
  // interrupting it.
  const sigset_t stop_signals = edgekit::bench::BlockStopSignals();
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);

  auto forwarder = edgekit::bench::Forwarder::Create(flags.listen, flags.upstream, signal_fd);
  if (!forwarder.ok()) {
    std::cerr << "h2-forwarder: " << forwarder.status().message() << "\n";
    return forwarder.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::printf("h2-forwarder listening on %s\n", (*forwarder)->address().c_str());
  std::fflush(stdout);
  auto signal = (*forwarder)->Run();
  if (!signal.ok()) {
    std::cerr << "h2-forwarder: " << signal.status().message() << "\n";
    return 1;
  }
  std::fprintf(stderr, "h2-forwarder: signal %d, shutting down\n", *signal);
  forwarder->reset();
  close(signal_fd);
  return 0;
}
