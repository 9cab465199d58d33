// `edgekit render`: turns an edge.yaml (or the flags of `render gzip` / `render
// ext-authz`) into the Istio manifests and side files for each enabled feature.
//
// Output is deterministic: fixed key order, fixed file and document order, so the same
// input gives the same bytes. The whole config is validated and everything is rendered in
// memory before the first byte is written; with -o DIR each file is replaced atomically.
//
// Files (with -o DIR) and, in this order, the documents of the stream (-o - or default):
//   gzip.yaml                      EnvoyFilter (networking.istio.io/v1alpha3), when gzip is
//                                  on and transcoding is not
//   transcoding.yaml               EnvoyFilter with the transcoder (and the compressor
//                                  first when gzip is on)
//   routes.yaml                    VirtualService (networking.istio.io/v1)
//   direct-response-wasm.yaml      WasmPlugin for rules routes cannot express
//   ext-authz.yaml                 ServiceEntry (networking.istio.io/v1) and
//                                  AuthorizationPolicy (security.istio.io/v1, CUSTOM); in
//                                  loopback mode also a Gateway, VirtualService, EnvoyFilter
//   ext-authz-istio-operator.yaml  IstioOperator overlay (install.istio.io/v1alpha1)
//   ext-authz-istiod-values.yaml   istiod Helm values (meshConfig.extensionProviders)
//   broker.yaml                    the edgekit broker's --config file
// The IstioOperator overlay, the istiod values and broker.yaml are not objects a cluster
// serves, so the stream (-o -, the default) leaves them out: `render -f edge.yaml |
// kubectl apply -f -` meets only kinds the Istio CRDs define. They are written with
// -o DIR, or selected by name with --only FILE (to the stream or the directory). With -o
// DIR the set is replaced as one unit (cli/render/output_writer.h), and edgekit's files
// from an earlier render that this one no longer writes are left out of it.
#ifndef EDGEKIT_CLI_COMMANDS_RENDER_COMMAND_H_
#define EDGEKIT_CLI_COMMANDS_RENDER_COMMAND_H_

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/commands/command.h"
#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::cli {

struct RenderOptions {
  // -f FILE: the edge.yaml. Ignored when `config` is set.
  std::string config_file;
  // The config built from flags by `render gzip` / `render ext-authz`; not owned.
  const edge::v1::EdgeConfig* config = nullptr;
  // -o: "-" (default) writes one multi-document stream to `out`; otherwise a directory
  // (created if missing) that gets one file per feature.
  std::string output = "-";
  std::ostream* out = &std::cout;
  // --objects-only: leave out what is not applied with kubectl (istiod Helm values, the
  // IstioOperator overlay, the broker config). Always so for the stream, unless `only`
  // names such a file.
  bool objects_only = false;
  // --only FILE (repeatable): write just these files of the set (names as listed above);
  // each must be one this config renders.
  std::vector<std::string> only;
  // Warnings ("<source>: <key.path>: warning: ...") go here; the output is still written.
  std::ostream* err = &std::cerr;
};

// Loads (or takes) the config, applies defaults, validates, renders and writes.
// InvalidArgument "<source>: <key.path>: <problem>" for bad input (nothing written);
// NotFound / PermissionDenied / Unavailable for I/O.
absl::Status RunRender(const RenderOptions& options);

// The one-liners: renders the config their flags stand for (or returns its error) with
// `output`'s options.
absl::Status RunRender(const absl::StatusOr<edge::v1::EdgeConfig>& config,
                       const RenderOptions& output);

// `edgekit render -f edge.yaml`; the one-liners (render_*_command.h) are added to the
// returned command's app.
Command AddRenderCommand(CLI::App& app);

}  // namespace edgekit::cli

#endif  // EDGEKIT_CLI_COMMANDS_RENDER_COMMAND_H_
