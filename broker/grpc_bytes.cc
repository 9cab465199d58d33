// A ByteBuffer's bytes as one view (grpc_bytes.h).
#include "broker/grpc_bytes.h"

namespace edgekit::broker {

std::optional<absl::string_view> ContiguousBytes(const grpc::ByteBuffer& buffer,
                                                 std::vector<grpc::Slice>* slices,
                                                 std::string* joined) {
  slices->clear();
  if (!buffer.Dump(slices).ok()) return std::nullopt;
  if (slices->size() == 1) {
    const grpc::Slice& only = (*slices)[0];
    return absl::string_view(reinterpret_cast<const char*>(only.begin()), only.size());
  }
  joined->clear();
  for (const grpc::Slice& slice : *slices) {
    joined->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return absl::string_view(*joined);
}

}  // namespace edgekit::broker
