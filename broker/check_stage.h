// One step of a Check call's pipeline. check_pipeline.cc lists the stages in order;
// adding one is a class implementing this interface plus one line there.
//
// A stage decides on the request (OnRequest): let it go on to the next stage (and, after
// the last, to the upstream), answer it (leaving the answer in the CheckCall), or make it
// wait (for another call's answer; the wait ends in OnResume, or in Abandon when the
// call's deadline comes first or its caller leaves). Once the upstream has answered or
// failed, every stage the call passed hears the result (OnUpstreamResult, in reverse
// order): a cache stores it, and may answer a failure with a stale entry instead.
//
// Stages are shared by every call and hold no per-call state of their own (what a stage
// must remember about a call lives in the CheckCall); they run on the call's events, one
// at a time per call, never under a lock of the call.
#ifndef EDGEKIT_BROKER_CHECK_STAGE_H_
#define EDGEKIT_BROKER_CHECK_STAGE_H_

#include "broker/check_call.h"
#include "broker/forwarder.h"

namespace edgekit::broker {

enum class StageVerdict {
  kContinue,  // not decided here: the next stage, after the last one the upstream
  kAnswer,    // answered: the CheckCall holds the answer
  kWait,      // the call waits; it resumes in OnResume (or gives up in Abandon)
};

class CheckStage {
 public:
  virtual ~CheckStage() = default;
  virtual StageVerdict OnRequest(CheckCall& call) = 0;
  // The wait this stage began has ended: decide again (kWait is not allowed here).
  virtual StageVerdict OnResume(CheckCall& /*call*/) { return StageVerdict::kContinue; }
  // The call stops waiting without its resume. True when it is out of the wait; false
  // when the resume is already on its way (the call then takes that instead).
  virtual bool Abandon(CheckCall& /*call*/) { return true; }
  // The upstream's result (or, for a call that ends while its upstream attempts are in
  // flight, CANCELLED). May answer the call instead (call.answered() afterwards).
  virtual void OnUpstreamResult(CheckCall& /*call*/, const UpstreamResult& /*result*/) {}
};

}  // namespace edgekit::broker

#endif  // EDGEKIT_BROKER_CHECK_STAGE_H_
