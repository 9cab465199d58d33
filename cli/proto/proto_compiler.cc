// In-process protoc: include-path handling, built-in google/api protos and the
// dependency-ordered FileDescriptorSet, each mirroring protoc 3.21 so that the bytes
// match `protoc --include_imports --descriptor_set_out`.
#include "cli/proto/proto_compiler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/proto/embedded_protos.h"
#include "common/file_io.h"
#include "google/protobuf/compiler/importer.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

#ifndef EDGEKIT_PROTOBUF_INCLUDE_DIR
#error "EDGEKIT_PROTOBUF_INCLUDE_DIR must name the directory holding google/protobuf/*.proto"
#endif

namespace edgekit::cli {
namespace {

using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::FileDescriptorSet;
using ::google::protobuf::compiler::DiskSourceTree;
using ::google::protobuf::compiler::Importer;
using ::google::protobuf::compiler::MultiFileErrorCollector;
using ::google::protobuf::compiler::SourceTree;

// The name to show for a virtual file in messages: its disk path when it came from disk
// (so editors and CI annotations can open it), else the virtual path (built-ins).
std::string DisplayName(DiskSourceTree& disk, const std::string& virtual_file) {
  std::string disk_file;
  if (!disk.VirtualFileToDiskFile(virtual_file, &disk_file)) return virtual_file;
  // The default include directory "." makes every path "./x.proto"; the prefix is noise.
  if (absl::StartsWith(disk_file, "./")) disk_file.erase(0, 2);
  return disk_file;
}

// Formats errors as "file:line:col: message" (1-based, like protoc and gcc) and keeps
// them for the returned status; warnings are printed at once.
class ErrorCollector : public MultiFileErrorCollector {
 public:
  ErrorCollector(DiskSourceTree* disk, std::ostream* warnings) : disk_(disk), warnings_(warnings) {}

  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    errors_.push_back(Format(filename, line, column, message));
  }

  void AddWarning(const std::string& filename, int line, int column,
                  const std::string& message) override {
    if (warnings_ != nullptr) {
      *warnings_ << Format(filename, line, column, absl::StrCat("warning: ", message)) << "\n";
    }
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string Format(const std::string& filename, int line, int column,
                     absl::string_view message) const {
    std::string name = filename.empty() ? "<unknown>" : DisplayName(*disk_, filename);
    // line -1 means the problem has no position (e.g. a file that was not found).
    if (line < 0) return absl::StrCat(name, ": ", message);
    return absl::StrCat(name, ":", line + 1, ":", column + 1, ": ", message);
  }

  DiskSourceTree* disk_;
  std::ostream* warnings_;
  std::vector<std::string> errors_;
};

// The include path on disk first, then the built-in files. The installed well-known
// types are a mapping inside `disk` (see MapIncludePath), which cannot collide with the
// built-ins because they live under different directories.
class ProtoSourceTree : public SourceTree {
 public:
  explicit ProtoSourceTree(DiskSourceTree* disk) : disk_(disk) {}

  google::protobuf::io::ZeroCopyInputStream* Open(const std::string& filename) override {
    if (auto* stream = disk_->Open(filename); stream != nullptr) return stream;
    last_error_ = disk_->GetLastErrorMessage();
    if (const std::string_view* text = FindEmbeddedProto(filename); text != nullptr) {
      return new google::protobuf::io::ArrayInputStream(text->data(),
                                                        static_cast<int>(text->size()));
    }
    return nullptr;
  }

  std::string GetLastErrorMessage() override { return last_error_; }

 private:
  DiskSourceTree* disk_;
  std::string last_error_;
};

// Adds the -I values to `disk` with protoc's rules: ':'-separated lists, VIRTUAL=DISK
// mappings, a warning for a missing directory, and "." when nothing is given.
absl::Status MapIncludePath(const std::vector<std::string>& values, DiskSourceTree* disk,
                            std::ostream* warnings) {
  bool mapped_any = false;
  for (const std::string& value : values) {
    for (absl::string_view part_view : absl::StrSplit(value, ':', absl::SkipEmpty())) {
      std::string part(part_view);
      std::string virtual_path;
      std::string disk_path = part;
      if (std::string::size_type equals = part.find('='); equals != std::string::npos) {
        virtual_path = part.substr(0, equals);
        disk_path = part.substr(equals + 1);
      }
      if (disk_path.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--proto_path ", value,
                         ": empty directory name (use \".\" for the current directory)"));
      }
      if (access(disk_path.c_str(), F_OK) != 0) {
        // The '=' may be part of a real directory name; protoc checks the same way.
        if (access(part.c_str(), F_OK) == 0) {
          virtual_path.clear();
          disk_path = part;
        } else if (warnings != nullptr) {
          *warnings << disk_path << ": warning: directory does not exist.\n";
        }
      }
      disk->MapPath(virtual_path, disk_path);
      mapped_any = true;
    }
  }
  if (!mapped_any) disk->MapPath("", ".");
  // Last, as protoc's own fallback to the installed include directory is last. Only the
  // google/protobuf subtree: the rest of /usr/include is not an include path.
  disk->MapPath("google/protobuf", EDGEKIT_PROTOBUF_INCLUDE_DIR "/google/protobuf");
  return absl::OkStatus();
}

// Turns an input as typed on the command line into the virtual path the compiler
// knows it by, with protoc's rules: an existing disk file must be inside an include
// directory (and not hidden by an earlier one); anything else is taken as virtual.
absl::StatusOr<std::string> ResolveInput(const std::string& input, DiskSourceTree& disk) {
  std::string disk_file;
  auto exists_virtually = [&]() {
    return disk.VirtualFileToDiskFile(input, &disk_file) || FindEmbeddedProto(input) != nullptr;
  };
  if (access(input.c_str(), F_OK) != 0) {
    if (exists_virtually()) return input;
    return ErrnoToStatus(ENOENT, "cannot open", input);
  }
  // The source tree's open fails on a directory without an errno worth reporting.
  struct stat st;
  if (stat(input.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return ErrnoToStatus(EISDIR, "cannot read", input);
  }
  std::string virtual_file;
  std::string shadowing_file;
  errno = 0;
  switch (disk.DiskFileToVirtualFile(input, &virtual_file, &shadowing_file)) {
    case DiskSourceTree::SUCCESS:
      return virtual_file;
    case DiskSourceTree::SHADOWED:
      return absl::InvalidArgumentError(
          absl::StrCat(input, ": input is shadowed in the include path by \"", shadowing_file,
                       "\"; use that file as the input or reorder the -I directories"));
    case DiskSourceTree::CANNOT_OPEN:
      return ErrnoToStatus(errno != 0 ? errno : EACCES, "cannot read", input);
    case DiskSourceTree::NO_MAPPING:
      if (exists_virtually()) return input;
      return absl::InvalidArgumentError(absl::StrCat(
          input,
          ": file is not inside any include directory; pass -I with a directory that is "
          "a prefix of this path as written (relative and absolute paths do not mix)"));
  }
  return absl::InternalError("unreachable");
}

// protoc's order: depth-first over imports in declaration order, each file once,
// dependencies before the file itself.
void AddWithDependencies(const FileDescriptor* file, bool include_source_info,
                         std::set<const FileDescriptor*>* seen, FileDescriptorSet* set) {
  if (!seen->insert(file).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddWithDependencies(file->dependency(i), include_source_info, seen, set);
  }
  FileDescriptorProto* proto = set->add_file();
  file->CopyTo(proto);
  // CopyTo leaves json_name out; protoc always writes it, and Envoy's transcoder uses
  // it for JSON field names.
  file->CopyJsonNameTo(proto);
  if (include_source_info) file->CopySourceCodeInfoTo(proto);
}

}  // namespace

absl::StatusOr<FileDescriptorSet> CompileProtos(const CompileOptions& options) {
  if (options.inputs.empty()) return absl::InvalidArgumentError("no input .proto files");
  DiskSourceTree disk;
  if (absl::Status status = MapIncludePath(options.proto_paths, &disk, options.warnings);
      !status.ok()) {
    return status;
  }
  std::vector<std::string> virtual_inputs;
  for (const std::string& input : options.inputs) {
    absl::StatusOr<std::string> resolved = ResolveInput(input, disk);
    if (!resolved.ok()) return resolved.status();
    virtual_inputs.push_back(*std::move(resolved));
  }

  ErrorCollector errors(&disk, options.warnings);
  ProtoSourceTree source_tree(&disk);
  Importer importer(&source_tree, &errors);
  // Unused-import warnings for the inputs only, as protoc gives them.
  for (const std::string& input : virtual_inputs) importer.AddUnusedImportTrackFile(input);
  std::vector<const FileDescriptor*> files;
  for (const std::string& input : virtual_inputs) {
    const FileDescriptor* file = importer.Import(input);
    if (file == nullptr) break;  // protoc stops at the first input that fails
    files.push_back(file);
  }
  importer.ClearUnusedImportTrackFiles();
  if (files.size() != virtual_inputs.size() || !errors.errors().empty()) {
    if (errors.errors().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(virtual_inputs[files.size()], ": could not be compiled"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "\n"));
  }

  FileDescriptorSet set;
  std::set<const FileDescriptor*> seen;
  for (const FileDescriptor* file : files) {
    AddWithDependencies(file, options.include_source_info, &seen, &set);
  }
  return set;
}

std::optional<std::string> DecodeDescriptorSet(std::string bytes, FileDescriptorSet* set) {
  if (set->ParseFromString(bytes)) return bytes;
  std::string decoded;
  if (absl::Base64Unescape(absl::StripAsciiWhitespace(bytes), &decoded) &&
      set->ParseFromString(decoded)) {
    return decoded;
  }
  return std::nullopt;
}

std::string SerializeDescriptorSet(const FileDescriptorSet& set) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    // protoc serializes deterministically (map entries sorted), so must we.
    coded.SetSerializationDeterministic(true);
    set.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace edgekit::cli
