// Direct-response rules compiled for evaluation (the language is
// proto/edgekit/rules/v1/rules.proto): the broker answers a Check call with the first rule
// that holds, and the CLI checks with the same code what it writes into the broker config.
//
// Compile validates everything once, with the key path of the bad value in the message
// (regexes compiled, CIDRs parsed into an IpSet, hosts into hash sets), so Match does no
// parsing and allocates nothing but what a header lookup may need: it is on the path of
// every Check call. A RuleSet is immutable and shared: a reload builds a new one and
// swaps a pointer, and a call that holds one sees one rule set from start to end.
#ifndef EDGEKIT_RULES_RULE_SET_H_
#define EDGEKIT_RULES_RULE_SET_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "edgekit/rules/v1/rules.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "rules/ip_set.h"

namespace re2 {
class RE2;
}

namespace edgekit::rules {

// What a rule can test about one request. broker/check_request.h implements it over a
// parsed CheckRequest; tests implement it directly.
class RequestView {
 public:
  virtual ~RequestView() = default;
  virtual absl::string_view method() const = 0;
  // The :path as received, query string included.
  virtual absl::string_view path() const = 0;
  // The :authority as received (may hold a port).
  virtual absl::string_view host() const = 0;
  // The value of header `name` (lowercase; a repeated header's values joined by ","),
  // or nullopt when the request does not carry it.
  virtual std::optional<absl::string_view> header(absl::string_view name) const = 0;
  // The client address the rules test, nullopt when unknown (client_ip tests are false).
  virtual std::optional<IpAddress> client_ip() const = 0;
};

// The answer of a rule: an HTTP response Envoy sends as it is (rule_set.cc says which
// statuses and headers are refused because Envoy would change them).
struct RuleResponse {
  uint32_t status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // sorted by name
};

// Statuses a broker rule may answer with: 200..599 (Envoy sends any number it gets, so
// 1xx and > 599 would reach clients as broken responses; 0 becomes 403).
inline constexpr uint32_t kMinRuleStatus = 200;
inline constexpr uint32_t kMaxRuleStatus = 599;

class RuleSet {
 public:
  struct Rule {
    std::string name;
    RuleResponse respond;
    // Evaluated and reported, never answered: matching goes on past it (Match's `from`).
    bool dry_run = false;
  };

  // Validates and compiles `rules` (first match wins) applying to requests for `hosts`
  // (Istio host syntax; empty: every host). Errors are InvalidArgument "<path>.rules[i]
  // .when.all[0].header.regex: ..." with `path` the key of the section
  // ("direct_responses"): an empty or ambiguous condition, a bad header name, a bad
  // regex, a bad CIDR, a duplicate or malformed rule name, a rule after one that matches
  // every request, a status or header Envoy would change.
  struct Options {
    // client_ip.cidrs_file: read it (relative paths from `base_dir`, "" = the working
    // directory: the broker), or only check that a path is given (the default: the CLI,
    // which writes the path for a broker whose files it cannot see; tests; fuzzers).
    bool read_files = false;
    std::string base_dir;
    // The whole section is in dry run: every rule is, whatever its own `dry_run`.
    bool dry_run = false;
  };
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Compile(
      const google::protobuf::RepeatedPtrField<v1::Rule>& rules,
      const google::protobuf::RepeatedPtrField<std::string>& hosts, absl::string_view path,
      const Options& options);
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Compile(
      const google::protobuf::RepeatedPtrField<v1::Rule>& rules,
      const google::protobuf::RepeatedPtrField<std::string>& hosts, absl::string_view path) {
    return Compile(rules, hosts, path, Options());
  }

  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;
  ~RuleSet();

  // The index of the first rule from `from` on that holds for `request`, or -1. A
  // caller that meets a dry-run rule asks again from the index after it.
  int Match(const RequestView& request, int from = 0) const;

  const std::vector<Rule>& rules() const { return rules_; }
  size_t size() const { return rules_.size(); }
  // CIDR entries over all client_ip tests, as listed (for logs and metrics).
  size_t cidr_count() const { return cidr_count_; }
  // The cidrs_file paths read (as opened), for the broker to watch.
  const std::vector<std::string>& files() const { return files_; }

  struct Node;  // a compiled condition (rule_set.cc)

  // Istio host patterns ("api.example.com", "*.example.com", "*") compiled for lookup.
  struct HostSet {
    bool every_host = true;
    absl::flat_hash_set<std::string> exact;
    absl::flat_hash_set<std::string> wildcard_suffixes;  // ".example.com" for "*.example.com"
    // `host`: lowercase, without its port.
    bool Contains(absl::string_view host) const;
    // Every host `pattern` ("api.example.com", "*.example.com", "*") names is in the set.
    bool Covers(const std::string& pattern) const;
  };

 private:
  RuleSet();

  std::vector<Rule> rules_;
  std::vector<std::unique_ptr<Node>> conditions_;  // per rule; null: every request
  std::vector<HostSet> rule_hosts_;                // per rule (Rule.hosts)
  HostSet hosts_;                                  // the whole set's
  size_t cidr_count_ = 0;
  std::vector<std::string> files_;
};

}  // namespace edgekit::rules

#endif  // EDGEKIT_RULES_RULE_SET_H_
