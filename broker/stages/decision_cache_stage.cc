#include "broker/stages/decision_cache_stage.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/grpc_bytes.h"
#include "broker/stages/direct_response_stage.h"
#include "common/grpc_codes.h"

namespace edgekit::broker {
namespace {

cache::Metadata Forwardable(const GrpcMetadata* metadata) {
  cache::Metadata out;
  ForEachForwardable(metadata, [&](absl::string_view key, absl::string_view value) {
    out.emplace_back(key, value);
  });
  return out;
}

}  // namespace

StageVerdict DecisionCacheStage::OnRequest(CheckCall& call) {
  if (!call.is_check()) return StageVerdict::kContinue;
  const std::shared_ptr<DecisionCache>& cache = call.config().cache;
  if (!cache->enabled()) return StageVerdict::kContinue;
  const CheckRequestView* request = call.check();
  if (request == nullptr) return RefuseMalformed(call);
  const std::optional<cache::CacheKey> key = cache->Key(*request);
  if (!key.has_value()) {
    call.metrics().cache_bypassed->Increment();
    return StageVerdict::kContinue;
  }
  CheckCall::CacheState& state = call.cache;
  state.cache = cache;
  state.key = *key;
  const cache::DecisionStore::Found found = cache->Find(state.key, call.now());
  if (found.fresh) {
    call.metrics().cache_hits->Increment();
    call.Replay(found.entry);
    return StageVerdict::kAnswer;
  }
  if (cache->settings().coalesce) {
    if (!cache->JoinOrLead(state.key, call.waiter)) {
      state.waiting = true;
      return StageVerdict::kWait;
    }
    state.leader = true;
  }
  call.metrics().cache_misses->Increment();
  return StageVerdict::kContinue;
}

StageVerdict DecisionCacheStage::OnResume(CheckCall& call) {
  CheckCall::CacheState& state = call.cache;
  state.waiting = false;
  if (state.landed != nullptr) {
    call.metrics().cache_coalesced->Increment();
    call.Replay(std::move(state.landed));
    return StageVerdict::kAnswer;
  }
  // The leader failed, or its answer was not stored: not a decision for this call, which
  // goes upstream itself (without a flight of its own).
  call.metrics().cache_misses->Increment();
  return StageVerdict::kContinue;
}

bool DecisionCacheStage::Abandon(CheckCall& call) {
  CheckCall::CacheState& state = call.cache;
  if (!state.waiting) return true;
  if (!state.cache->Leave(state.key, call.waiter)) return false;  // landed: the answer is coming
  state.waiting = false;
  return true;
}

void DecisionCacheStage::OnUpstreamResult(CheckCall& call, const UpstreamResult& result) {
  CheckCall::CacheState& state = call.cache;
  if (state.cache == nullptr) return;  // not a cacheable call
  std::shared_ptr<const cache::Entry> stored;
  const grpc::Status& status = result.status;
  if (status.ok() && result.response != nullptr) {
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (const std::optional<absl::string_view> view =
            ContiguousBytes(*result.response, &slices, &bytes)) {
      // Several slices were joined into `bytes`; a single one is viewed in place: copy it.
      if (view->data() != bytes.data()) bytes.assign(view->data(), view->size());
      stored = state.cache->Admit(std::move(bytes), Forwardable(result.initial_metadata),
                                  Forwardable(result.trailing_metadata), call.now());
      if (stored != nullptr) state.cache->Insert(state.key, stored);
    }
  } else if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
             state.cache->settings().stale_ttl > absl::ZeroDuration()) {
    // Stale-if-error: every attempt failed (a cancelled call has no caller to answer).
    const cache::DecisionStore::Found found = state.cache->Find(state.key, call.now());
    if (found.entry != nullptr) {
      const std::string_view code = GrpcCodeName(static_cast<GrpcCode>(status.error_code()));
      state.cache->NoteStaleServed(
          absl::StrCat(absl::string_view(code.data(), code.size()), ": ", status.error_message()));
      call.Replay(found.entry);
    }
  }
  if (state.leader) {
    // Wakes the waiters (each on its own events; none runs under a lock of this call).
    state.leader = false;
    state.cache->Land(state.key, std::move(stored));
  }
}

}  // namespace edgekit::broker
