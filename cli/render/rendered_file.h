// What every feature renderer of `edgekit render` returns: files of YAML documents, plus
// the warnings shown on stderr (the output is still written).
#ifndef EDGEKIT_CLI_RENDER_RENDERED_FILE_H_
#define EDGEKIT_CLI_RENDER_RENDERED_FILE_H_

#include <string>
#include <vector>

namespace edgekit::cli {

struct Composition;  // team_composition.h

// One output file: its name under -o DIR and its YAML documents (each without "---").
struct RenderedFile {
  std::string name;
  std::vector<std::string> documents;
};

// Inputs every renderer may need beyond the config, and where warnings go.
struct RenderContext {
  // Directory relative paths in the config are resolved against (the edge.yaml's
  // directory; "." for flags).
  std::string base_dir = ".";
  // "<source>: <key.path>: <warning>" lines, printed by RunRender to stderr.
  std::vector<std::string>* warnings = nullptr;
  // "<source>: <key.path>: <decision>" lines saying what edgekit decided for the author
  // (the engine `auto` chose), printed by RunRender to stderr after the warnings.
  std::vector<std::string>* notes = nullptr;
  // Where each piece came from when the config was composed from team files
  // (team_composition.h); null for a single edge.yaml.
  const Composition* composition = nullptr;
  // Names the config in messages: the edge.yaml path or "command line".
  std::string source = "command line";
};

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_RENDER_RENDERED_FILE_H_
