// Where the files of one render go: one stream of documents (-o -, the default) or the
// set of files in a directory (-o DIR, replaced as one unit, output_dir.h), and which of
// the files each run writes.
//
// The stream holds only cluster objects (output_files.h: cluster_objects), so
// `edgekit render -f edge.yaml | kubectl apply -f -` meets only kinds the Istio CRDs
// define; -o DIR writes every file unless --objects-only; --only FILE picks files by name
// (for either). With -o DIR, edgekit's own files from an earlier render that this run
// does not write (a feature turned off) are dropped from the set; a file is edgekit's
// when every object in it carries app.kubernetes.io/managed-by: edgekit, or it starts
// with the header render gives that non-object file. Other files in DIR are kept.
#ifndef EDGEKIT_CLI_RENDER_OUTPUT_WRITER_H_
#define EDGEKIT_CLI_RENDER_OUTPUT_WRITER_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cli/render/rendered_file.h"

namespace edgekit::cli {

struct OutputSelection {
  // "-" (or empty): the stream; otherwise the directory (created if missing).
  std::string output = "-";
  // With a directory: only the cluster-object files.
  bool objects_only = false;
  // Exactly these files (names from output_files.h), each one the render produced.
  std::vector<std::string> only;
};

// The documents as one stream: "---\n" before every document.
std::string JoinDocuments(const std::vector<std::string>& documents);

// True when `contents`, found as file `name` in an output directory, was written by
// edgekit (see above).
bool IsEdgekitOutput(std::string_view name, std::string_view contents);

// Writes the selected `files` to `out` (stream) or the directory. `source` names the
// config in errors about --only. Notes about dropped files go to `err`. InvalidArgument
// for an --only name that is unknown or not rendered (nothing written); I/O codes as in
// output_dir.h.
absl::Status WriteRenderedFiles(std::vector<RenderedFile> files, const OutputSelection& selection,
                                const std::string& source, std::ostream& out, std::ostream& err);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_OUTPUT_WRITER_H_
