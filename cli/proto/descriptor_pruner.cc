#include "cli/proto/descriptor_pruner.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace edgekit::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;

// Collects the top-level definitions (by full name) and whole files the services need.
class Needs {
 public:
  void Service(const google::protobuf::ServiceDescriptor& s) {
    names_.insert(s.full_name());
    for (int i = 0; i < s.method_count(); ++i) {
      Message(*s.method(i)->input_type());
      Message(*s.method(i)->output_type());
    }
  }

  // `file` and everything it imports, whole (the option definitions the transcoder reads).
  void WholeFile(const FileDescriptor& file) {
    if (!whole_.insert(file.name()).second) return;
    for (int i = 0; i < file.dependency_count(); ++i) WholeFile(*file.dependency(i));
  }

  bool Has(const std::string& full_name) const { return names_.count(full_name) > 0; }
  bool Whole(const std::string& file) const { return whole_.count(file) > 0; }

 private:
  void Message(const Descriptor& d) {
    const Descriptor* top = &d;
    while (top->containing_type() != nullptr) top = top->containing_type();
    if (!names_.insert(top->full_name()).second) return;
    Walk(*top);  // kept whole: every field of it and of its nested types counts
  }
  void Walk(const Descriptor& d) {
    for (int i = 0; i < d.field_count(); ++i) Field(*d.field(i));
    for (int i = 0; i < d.nested_type_count(); ++i) Walk(*d.nested_type(i));
  }
  void Field(const FieldDescriptor& f) {
    if (f.message_type() != nullptr) Message(*f.message_type());
    if (f.enum_type() != nullptr) Enum(*f.enum_type());
  }
  void Enum(const EnumDescriptor& e) {
    if (e.containing_type() != nullptr) {
      Message(*e.containing_type());
    } else {
      names_.insert(e.full_name());
    }
  }

  std::set<std::string> names_;
  std::set<std::string> whole_;
};

// What importing `name` gives a file once pruned: `name` itself when kept, else the kept
// files it forwards with `import public` (transitively).
std::vector<std::string> KeptImports(
    const std::string& name, const std::map<std::string, const FileDescriptorProto*>& by_name,
    const std::map<std::string, int>& kept) {
  if (kept.count(name) > 0) return {name};
  std::vector<std::string> out;
  auto it = by_name.find(name);
  if (it == by_name.end()) return out;
  const FileDescriptorProto& file = *it->second;
  for (int index : file.public_dependency()) {
    if (index < 0 || index >= file.dependency_size()) continue;
    for (std::string& dep : KeptImports(file.dependency(index), by_name, kept)) {
      out.push_back(std::move(dep));
    }
  }
  return out;
}

std::string FullName(const FileDescriptorProto& file, const std::string& name) {
  return file.package().empty() ? name : absl::StrCat(file.package(), ".", name);
}

}  // namespace

absl::StatusOr<FileDescriptorSet> PruneDescriptorSet(const FileDescriptorSet& set,
                                                     const std::vector<std::string>& services) {
  DescriptorPool pool;
  for (const FileDescriptorProto& file : set.file()) {
    if (pool.BuildFile(file) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.name(), " does not build (the set must hold every import, in order)"));
    }
  }
  Needs needs;
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service = pool.FindServiceByName(name);
    if (service == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("service ", name, " is not in the set"));
    }
    needs.Service(*service);
  }
  if (const FieldDescriptor* http = pool.FindExtensionByName("google.api.http")) {
    needs.WholeFile(*http->file());
  }

  FileDescriptorSet out;
  std::map<std::string, int> kept;  // file name -> index in `out`
  std::map<std::string, const FileDescriptorProto*> by_name;
  for (const FileDescriptorProto& file : set.file()) by_name[file.name()] = &file;
  for (const FileDescriptorProto& file : set.file()) {
    if (needs.Whole(file.name())) {
      kept[file.name()] = out.file_size();
      *out.add_file() = file;
      continue;
    }
    FileDescriptorProto pruned = file;
    pruned.clear_message_type();
    pruned.clear_enum_type();
    pruned.clear_service();
    pruned.clear_extension();
    for (const auto& m : file.message_type()) {
      if (needs.Has(FullName(file, m.name()))) *pruned.add_message_type() = m;
    }
    for (const auto& e : file.enum_type()) {
      if (needs.Has(FullName(file, e.name()))) *pruned.add_enum_type() = e;
    }
    for (const auto& s : file.service()) {
      if (needs.Has(FullName(file, s.name()))) *pruned.add_service() = s;
    }
    if (pruned.message_type_size() + pruned.enum_type_size() + pruned.service_size() == 0) {
      continue;
    }
    const bool changed = pruned.message_type_size() != file.message_type_size() ||
                         pruned.enum_type_size() != file.enum_type_size() ||
                         pruned.service_size() != file.service_size() || file.extension_size() > 0;
    if (changed) pruned.clear_source_code_info();
    // Imports of files still in the set, public ones remapped; weak ones dropped. A
    // dropped import may have forwarded types with `import public`: its kept public
    // imports take its place, or the types reached through it would no longer resolve.
    pruned.clear_dependency();
    pruned.clear_public_dependency();
    pruned.clear_weak_dependency();
    std::set<int> public_deps(file.public_dependency().begin(), file.public_dependency().end());
    std::set<std::string> added;
    for (int i = 0; i < file.dependency_size(); ++i) {
      for (const std::string& dep : KeptImports(file.dependency(i), by_name, kept)) {
        if (!added.insert(dep).second) continue;
        if (public_deps.count(i) > 0) pruned.add_public_dependency(pruned.dependency_size());
        pruned.add_dependency(dep);
      }
    }
    kept[file.name()] = out.file_size();
    *out.add_file() = std::move(pruned);
  }

  // The result must build on its own and still hold every method.
  DescriptorPool check;
  for (const FileDescriptorProto& file : out.file()) {
    if (check.BuildFile(file) == nullptr) {
      return absl::InternalError(absl::StrCat("pruning left ", file.name(), " unbuildable"));
    }
  }
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* original = pool.FindServiceByName(name);
    const google::protobuf::ServiceDescriptor* service = check.FindServiceByName(name);
    if (service == nullptr || service->method_count() != original->method_count()) {
      return absl::InternalError(absl::StrCat("pruning lost methods of ", name));
    }
  }
  return out;
}

}  // namespace edgekit::cli
