// A direct-response rule's condition (`when`: header / path / method tests combined with
// all, any, not, and headers_equal) compiled into disjunctive normal form, each test
// validated on the way (match_blocks.h, direct_response.h). Internal to direct_response/.
#ifndef EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_CONDITION_COMPILER_H_
#define EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_CONDITION_COMPILER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/render/direct_response/direct_response.h"
#include "cli/render/direct_response/match_blocks.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli::direct_response_internal {

// Compiles one condition (negated or not) into DNF, validating as it goes.
class ConditionCompiler {
 public:
  explicit ConditionCompiler(const std::string& source) : source_(source) {}

  // Set when some part of the condition cannot be a VirtualService match: why, and where.
  const std::string& inexpressible() const { return inexpressible_; }
  const std::string& inexpressible_path() const { return inexpressible_path_; }

  // Errors are InvalidArgument "<source>: <path>...: <problem>". An inexpressible part
  // compiles to a block matching everything (the rule goes to Wasm or is refused whole).
  absl::StatusOr<Dnf> Compile(const rules::v1::Condition& c, bool negated, const std::string& path);

 private:
  absl::Status TooBig(const std::string& path);
  absl::StatusOr<Dnf> And(const Dnf& a, const Dnf& b, const std::string& path);
  absl::StatusOr<Dnf> Opaque(const std::string& path, const std::string& why);
  absl::StatusOr<StringMatch> ToMatch(const rules::v1::StringCondition& s, const std::string& path);
  absl::StatusOr<StringMatch> Regex(const std::string& regex, const std::string& path);
  absl::StatusOr<Dnf> Header(const rules::v1::HeaderCondition& h, bool negated,
                             const std::string& path);

  const std::string& source_;
  std::string inexpressible_;
  std::string inexpressible_path_;
};

}  // namespace edgekit::cli::direct_response_internal

#endif  // EDGEKIT_CLI_RENDER_DIRECT_RESPONSE_CONDITION_COMPILER_H_
