// Shrinks a descriptor set to what the gRPC-JSON transcoder needs for some services, as
// `buf build --type` does: the services, the messages and enums their methods use
// (transitively, through fields of nested types too), and the file defining the
// google.api.http option with its own dependencies, so one method of a monolithic API
// does not ship the whole API into an EnvoyFilter.
#ifndef EDGEKIT_CLI_PROTO_DESCRIPTOR_PRUNER_H_
#define EDGEKIT_CLI_PROTO_DESCRIPTOR_PRUNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.pb.h"

namespace edgekit::cli {

// `set` (complete: every import included, in dependency order) reduced to `services`
// (fully qualified) and what they need. Kept files keep their order; a file losing any
// top-level definition loses its source info (its paths would point at the wrong
// elements), its top-level extensions, and the imports of files no longer in the set.
// A top-level message is kept whole when it or any type nested in it is needed. The
// result is checked: it builds into a DescriptorPool holding every method of every
// service. InvalidArgument when `set` does not build or lacks a service.
absl::StatusOr<google::protobuf::FileDescriptorSet> PruneDescriptorSet(
    const google::protobuf::FileDescriptorSet& set, const std::vector<std::string>& services);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_PROTO_DESCRIPTOR_PRUNER_H_
