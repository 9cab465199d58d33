// edgekit-loadgen's engine. One sender (open loop: the calling thread, on a fixed
// schedule) or the completion threads themselves (closed loop: each completion starts the
// next call) issue calls; each completion-queue thread records its own samples, merged and
// sorted at the end.
#include "tests/bench/loadgen.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/grpc_codes.h"
#include "common/grpc_metadata.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace edgekit::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kNumCodes = 17;
constexpr absl::Duration kConnectTimeout = absl::Seconds(5);

std::chrono::system_clock::time_point SystemDeadline(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoNanoseconds(d);
}

struct Call {
  grpc::ClientContext ctx;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  Clock::time_point intended;
  bool measured = false;
};

// Written only by its completion-queue thread; read after that thread is joined.
struct alignas(64) ThreadStats {
  std::vector<int64_t> samples_ns;
  std::array<uint64_t, kNumCodes> codes{};
};

class Engine {
 public:
  explicit Engine(const LoadgenOptions& options)
      : o_(options),
        zipf_(std::max(options.tokens, 1), options.zipf_s),
        draws_(options.seed << 40) {
    if (o_.tokens == 0) {
      requests_.emplace_back(CheckRequestBytes(o_.allow, o_.headers));
    } else {
      for (int k = 0; k < o_.tokens; ++k) {
        std::vector<std::pair<std::string, std::string>> headers = o_.headers;
        headers.emplace_back("authorization", absl::StrCat("Bearer token-", k));
        requests_.emplace_back(CheckRequestBytes(o_.allow, headers));
      }
    }
    for (int i = 0; i < o_.connections; ++i) {
      grpc::ChannelArguments args;
      // A local subchannel pool and a distinct argument per channel: otherwise gRPC
      // shares one TCP connection among identical channels.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("edgekit.loadgen.channel", i);
      channels_.push_back(
          grpc::CreateCustomChannel(o_.target, grpc::InsecureChannelCredentials(), args));
      stubs_.push_back(std::make_unique<grpc::GenericStub>(channels_.back()));
    }
    for (int i = 0; i < o_.threads; ++i) {
      cqs_.push_back(std::make_unique<grpc::CompletionQueue>());
    }
    stats_ = std::vector<ThreadStats>(o_.threads);
  }

  absl::Status Connect() {
    for (auto& channel : channels_) {
      if (!channel->WaitForConnected(SystemDeadline(kConnectTimeout))) {
        return absl::UnavailableError(absl::StrCat("target: cannot connect to ", o_.target,
                                                   " within ",
                                                   absl::FormatDuration(kConnectTimeout)));
      }
    }
    return absl::OkStatus();
  }

  // One call on its own queue before the load, to tell the user what the target answers
  // (a load of denies or UNIMPLEMENTED is rarely what was meant).
  void Preflight(LoadgenResult* result) {
    grpc::CompletionQueue cq;
    Call call;
    call.ctx.set_deadline(SystemDeadline(o_.deadline));
    for (const auto& [key, value] : o_.metadata) call.ctx.AddMetadata(key, value);
    grpc::Slice first = requests_[0];
    grpc::ByteBuffer request(&first, 1);
    call.reader = stubs_[0]->PrepareUnaryCall(&call.ctx, o_.method, request, &cq);
    call.reader->StartCall();
    call.reader->Finish(&call.response, &call.status, &call);
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (!call.status.ok()) {
      result->preflight_error =
          absl::StrCat(StatusCodeName(call.status.error_code()), ": ", call.status.error_message());
      return;
    }
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (call.response.Dump(&slices).ok()) {
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    envoy::service::auth::v3::CheckResponse response;
    if (!response.ParseFromString(bytes)) {
      result->preflight_error = "the answer is not a CheckResponse";
      return;
    }
    result->preflight_check_code = response.status().code();
  }

  LoadgenResult Run() {
    std::vector<std::thread> pollers;
    for (int i = 0; i < o_.threads; ++i) pollers.emplace_back([this, i] { Poll(i); });

    const Clock::time_point start = Clock::now();
    measure_start_ = start + absl::ToChronoNanoseconds(o_.warmup);
    measure_end_ = measure_start_ + absl::ToChronoNanoseconds(o_.duration);
    Clock::time_point last_measured_send = measure_start_;

    if (o_.rate > 0) {
      // Open loop: call i is due at start + i/rate whatever happened to earlier calls.
      // When the sender falls behind it catches up in a burst; latency still counts from
      // the due time.
      const double interval_ns = 1e9 / o_.rate;
      for (uint64_t i = 0;; ++i) {
        const Clock::time_point due =
            start + std::chrono::nanoseconds(std::llround(i * interval_ns));
        if (due >= measure_end_) break;
        if (Clock::now() < due) std::this_thread::sleep_until(due);
        Issue(due, i % channels_.size(), i % cqs_.size());
        if (due >= measure_start_) last_measured_send = Clock::now();
      }
    } else {
      const Clock::time_point now = Clock::now();
      for (int i = 0; i < o_.concurrency; ++i) {
        Issue(now, i % channels_.size(), i % cqs_.size());
      }
      std::this_thread::sleep_until(measure_end_);
    }
    stopping_.store(true);
    {
      std::unique_lock<std::mutex> lock(drain_mu_);
      drain_cv_.wait(lock, [this] { return outstanding_.load() == 0; });
    }
    for (auto& cq : cqs_) cq->Shutdown();
    for (auto& t : pollers) t.join();

    LoadgenResult result;
    std::vector<int64_t> samples;
    for (ThreadStats& s : stats_) {
      samples.insert(samples.end(), s.samples_ns.begin(), s.samples_ns.end());
      for (int code = 0; code < kNumCodes; ++code) {
        if (s.codes[code] == 0) continue;
        if (code == 0) {
          result.ok += s.codes[code];
        } else {
          result.errors[static_cast<grpc::StatusCode>(code)] += s.codes[code];
        }
      }
    }
    result.sent = samples.size();
    result.latency = Summarize(&samples);
    const double window_s = absl::ToDoubleSeconds(o_.duration);
    if (o_.rate > 0) {
      // If the sender could not keep the schedule, the window really lasted longer.
      result.elapsed_s = std::max(
          window_s, std::chrono::duration<double>(last_measured_send - measure_start_).count());
    } else {
      result.elapsed_s = window_s;
    }
    result.achieved_rps = result.elapsed_s > 0 ? result.sent / result.elapsed_s : 0;
    return result;
  }

 private:
  void Issue(Clock::time_point intended, size_t channel, size_t cq) {
    auto* call = new Call;
    call->intended = intended;
    call->measured = intended >= measure_start_ && intended < measure_end_;
    call->ctx.set_deadline(SystemDeadline(o_.deadline));
    for (const auto& [key, value] : o_.metadata) call->ctx.AddMetadata(key, value);
    grpc::Slice slice =  // a reference to the prepared bytes, no copy
        requests_.size() == 1 ? requests_[0] : requests_[zipf_.Pick(draws_.fetch_add(1))];
    grpc::ByteBuffer request(&slice, 1);
    outstanding_.fetch_add(1);
    call->reader =
        stubs_[channel]->PrepareUnaryCall(&call->ctx, o_.method, request, cqs_[cq].get());
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call);
  }

  void Poll(size_t index) {
    ThreadStats& stats = stats_[index];
    grpc::CompletionQueue* cq = cqs_[index].get();
    const bool closed_loop = o_.rate <= 0;
    uint64_t next_channel = index;
    void* tag;
    bool ok;
    while (cq->Next(&tag, &ok)) {
      const Clock::time_point now = Clock::now();
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      if (call->measured) {
        stats.samples_ns.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - call->intended).count());
        const int code = static_cast<int>(call->status.error_code());
        ++stats.codes[code >= 0 && code < kNumCodes ? code : 2];  // 2 = UNKNOWN
      }
      // Start the replacement before counting this call out, so the count only reaches
      // zero once no thread will issue again.
      if (closed_loop && !stopping_.load()) {
        Issue(now, next_channel++ % channels_.size(), index);
      }
      call.reset();
      if (outstanding_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(drain_mu_);
        drain_cv_.notify_all();
      }
    }
  }

  const LoadgenOptions& o_;
  const ZipfTokens zipf_;
  std::vector<grpc::Slice> requests_;  // one, or one per token
  std::atomic<uint64_t> draws_;        // starts at seed << 40: 2^40 draws per seed
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<std::unique_ptr<grpc::CompletionQueue>> cqs_;
  std::vector<ThreadStats> stats_;
  Clock::time_point measure_start_, measure_end_;  // set before any call is issued
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> outstanding_{0};
  std::mutex drain_mu_;
  std::condition_variable drain_cv_;
};

}  // namespace

std::string StatusCodeName(grpc::StatusCode code) {
  return std::string(GrpcCodeName(static_cast<GrpcCode>(code)));
}

uint64_t LoadgenResult::error_total() const {
  uint64_t total = 0;
  for (const auto& [code, n] : errors) total += n;
  return total;
}

absl::Status ValidateLoadgenOptions(const LoadgenOptions& o) {
  if (o.target.empty()) return absl::InvalidArgumentError("target: required");
  if (o.method.empty() || o.method[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("method: want /package.Service/Method, got \"", o.method, "\""));
  }
  if ((o.rate > 0) == (o.concurrency > 0)) {
    return absl::InvalidArgumentError(
        "rate, concurrency: set exactly one (rate: open loop, concurrency: closed loop)");
  }
  if (o.rate < 0 || !std::isfinite(o.rate) || o.rate > 1e6) {
    return absl::InvalidArgumentError(absl::StrCat("rate: must be in (0, 1e6], got ", o.rate));
  }
  if (o.concurrency < 0 || o.concurrency > 100000) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency: must be in [1, 100000], got ", o.concurrency));
  }
  if (o.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration: must be > 0, got ", absl::FormatDuration(o.duration)));
  }
  if (o.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("warmup: must be >= 0, got ", absl::FormatDuration(o.warmup)));
  }
  if (o.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline: must be > 0, got ", absl::FormatDuration(o.deadline)));
  }
  if (o.connections < 1 || o.connections > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("connections: must be in [1, 1000], got ", o.connections));
  }
  if (o.threads < 1 || o.threads > 64) {
    return absl::InvalidArgumentError(absl::StrCat("threads: must be in [1, 64], got ", o.threads));
  }
  if (o.tokens < 0 || o.tokens > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokens: must be in [0, 1000000], got ", o.tokens));
  }
  if (!(o.zipf_s > 0 && o.zipf_s <= 10)) {
    return absl::InvalidArgumentError(absl::StrCat("zipf_s: must be in (0, 10], got ", o.zipf_s));
  }
  for (const auto& [key, value] : o.metadata) {
    if (!IsValidMetadataKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata: key \"", key, "\" must be non-empty lowercase [a-z0-9-_.]"));
    }
  }
  return absl::OkStatus();
}

ZipfTokens::ZipfTokens(int n, double s) : cdf_(static_cast<size_t>(n)) {
  double total = 0;
  for (int k = 0; k < n; ++k) {
    total += 1.0 / std::pow(k + 1, s);
    cdf_[k] = total;
  }
  for (double& c : cdf_) c /= total;
  cdf_.back() = 1.0;
}

int ZipfTokens::Pick(uint64_t draw) const {
  // splitmix64 of the draw number: a well-mixed 64-bit value per draw.
  uint64_t z = draw + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
  return static_cast<int>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
}

LatencySummary Summarize(std::vector<int64_t>* samples_ns) {
  LatencySummary s;
  s.count = samples_ns->size();
  if (samples_ns->empty()) return s;
  std::sort(samples_ns->begin(), samples_ns->end());
  const size_t n = samples_ns->size();
  // Nearest rank: the smallest sample with at least q*n samples at or below it.
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(std::ceil(q * n));
    rank = std::clamp<size_t>(rank, 1, n);
    return (*samples_ns)[rank - 1] / 1e3;
  };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = samples_ns->back() / 1e3;
  long double sum = 0;
  for (int64_t v : *samples_ns) sum += v;
  s.mean_us = static_cast<double>(sum / n / 1e3);
  return s;
}

std::string CheckRequestBytes(bool allow,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  envoy::service::auth::v3::CheckRequest request;
  request.mutable_attributes()
      ->mutable_source()
      ->mutable_address()
      ->mutable_socket_address()
      ->set_address("10.0.0.12");
  auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
  http->set_id("12094734528436257311");
  http->set_method("GET");
  http->set_path("/api/v1/orders/84213?include=items,shipping");
  http->set_host("shop.example.com");
  http->set_scheme("https");
  http->set_protocol("HTTP/2");
  auto& h = *http->mutable_headers();
  h[":authority"] = "shop.example.com";
  h[":method"] = "GET";
  h[":path"] = "/api/v1/orders/84213?include=items,shipping";
  h[":scheme"] = "https";
  h["accept"] = "application/json, text/plain, */*";
  h["accept-encoding"] = "gzip, deflate, br";
  h["accept-language"] = "en-GB,en;q=0.9";
  h["authorization"] =
      "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNzAwMDAw"
      "MDAwfQ.c2lnbmF0dXJlLXBsYWNlaG9sZGVyLXNpZ25hdHVyZS1wbGFjZWhvbGRlcg";
  h["cookie"] = "session=7f3c2a9e1b; theme=dark";
  h["user-agent"] =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0 Safari/537.36";
  h["x-forwarded-for"] = "203.0.113.7, 10.0.0.12";
  h["x-forwarded-proto"] = "https";
  h["x-request-id"] = "5f0c9b7e-2d41-4c1a-9a6e-0d8b1f3e7c21";
  h["x-allow"] = allow ? "true" : "false";
  for (const auto& [name, value] : headers) h[name] = value;
  // Proto maps serialize in hash order; deterministic output keeps the bytes stable
  // across runs.
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  request.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

absl::StatusOr<LoadgenResult> RunLoad(const LoadgenOptions& options) {
  if (absl::Status s = ValidateLoadgenOptions(options); !s.ok()) return s;
  Engine engine(options);
  if (absl::Status s = engine.Connect(); !s.ok()) return s;
  LoadgenResult preflight;
  engine.Preflight(&preflight);
  LoadgenResult result = engine.Run();
  result.preflight_check_code = preflight.preflight_check_code;
  result.preflight_error = preflight.preflight_error;
  return result;
}

namespace {

std::string ErrorsJson(const LoadgenResult& r) {
  return absl::StrCat("{",
                      absl::StrJoin(r.errors, ",",
                                    [](std::string* out, const auto& kv) {
                                      absl::StrAppend(out, "\"", StatusCodeName(kv.first),
                                                      "\":", kv.second);
                                    }),
                      "}");
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string ResultToJson(const LoadgenOptions& o, const LoadgenResult& r) {
  const LatencySummary& l = r.latency;
  return absl::StrFormat(
      "{\"tool\":\"edgekit-loadgen\",\"target\":%s,\"method\":%s,\"mode\":\"%s\","
      "\"rate\":%.6g,\"concurrency\":%d,\"connections\":%d,\"threads\":%d,"
      "\"duration_s\":%.6g,\"warmup_s\":%.6g,\"deadline_s\":%.6g,"
      "\"sent\":%d,\"ok\":%d,\"error_total\":%d,\"errors\":%s,"
      "\"elapsed_s\":%.6g,\"achieved_rps\":%.1f,"
      "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
      "\"max_us\":%.1f,\"mean_us\":%.1f,\"preflight_check_code\":%d,"
      "\"preflight_error\":%s}",
      JsonString(o.target), JsonString(o.method), o.rate > 0 ? "open" : "closed", o.rate,
      o.concurrency, o.connections, o.threads, absl::ToDoubleSeconds(o.duration),
      absl::ToDoubleSeconds(o.warmup), absl::ToDoubleSeconds(o.deadline), r.sent, r.ok,
      r.error_total(), ErrorsJson(r), r.elapsed_s, r.achieved_rps, l.p50_us, l.p90_us, l.p99_us,
      l.p999_us, l.max_us, l.mean_us, r.preflight_check_code, JsonString(r.preflight_error));
}

std::string ResultToText(const LoadgenOptions& o, const LoadgenResult& r) {
  const LatencySummary& l = r.latency;
  std::string mode = o.rate > 0 ? absl::StrFormat("open loop at %.6g req/s", o.rate)
                                : absl::StrFormat("closed loop, concurrency %d", o.concurrency);
  std::string out = absl::StrFormat(
      "target       %s %s\n"
      "load         %s, %d connection(s), %s measured after %s warmup\n"
      "sent         %d\n"
      "ok           %d\n"
      "errors       %d",
      o.target, o.method, mode, o.connections, absl::FormatDuration(o.duration),
      absl::FormatDuration(o.warmup), r.sent, r.ok, r.error_total());
  if (!r.errors.empty()) {
    absl::StrAppend(&out, "  (",
                    absl::StrJoin(r.errors, ", ",
                                  [](std::string* s, const auto& kv) {
                                    absl::StrAppend(s, StatusCodeName(kv.first), " ", kv.second);
                                  }),
                    ")");
  }
  absl::StrAppendFormat(
      &out,
      "\nachieved     %.1f req/s over %.3f s\n"
      "latency (us) p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
      r.achieved_rps, r.elapsed_s, l.p50_us, l.p90_us, l.p99_us, l.p999_us, l.max_us, l.mean_us);
  if (r.preflight_check_code >= 0) {
    absl::StrAppendFormat(&out, "preflight    CheckResponse.status.code %d (%s)\n",
                          r.preflight_check_code, r.preflight_check_code == 0 ? "allow" : "deny");
  } else {
    absl::StrAppend(&out, "preflight    ", r.preflight_error, "\n");
  }
  return out;
}

}  // namespace edgekit::bench
