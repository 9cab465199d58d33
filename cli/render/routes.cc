#include "cli/render/routes.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/edge/config_checks.h"
#include "cli/edge/defaults.h"
#include "cli/edge/edge_config.h"
#include "cli/edge/hosts.h"
#include "cli/render/gateway_api_routes.h"
#include "cli/render/manifest_doc.h"
#include "cli/render/output_files.h"
#include "cli/render/route_table.h"
#include "cli/render/team_composition.h"

namespace edgekit::cli {
namespace {

using edge::v1::EdgeConfig;

void EmitRouteTo(Doc& d, const edge::v1::Destination& dest) {
  d.Key("route").Seq().Map();
  d.Key("destination").Map().KV("host", dest.host());
  d.Key("port").Map().KV("number", dest.port()).EndMap();
  d.EndMap();  // destination
  d.EndMap().EndSeq();
}

// The Istio match of one table entry: its path, hosts as an authority regex, methods
// (exact, or a regex for several) and headers.
HttpMatch MatchOf(const RouteTableEntry& e) {
  HttpMatch m;
  m.uri = e.path;
  if (!e.hosts.empty())
    m.authority = StringMatch{StringMatch::Kind::kRegex, AuthorityRegex(e.hosts)};
  if (e.methods.size() == 1) m.method = StringMatch{StringMatch::Kind::kExact, e.methods[0]};
  if (e.methods.size() > 1) {
    m.method = StringMatch{StringMatch::Kind::kRegex, absl::StrJoin(e.methods, "|")};
  }
  m.headers = e.headers;
  return m;
}

}  // namespace

void ApplyRoutingDefaults(EdgeConfig* config) {
  if (config->has_routes() || RoutesNeeded(*config)) {
    ApplyDeclaredDefaults(config->mutable_routes());
  }
}

absl::Status ValidateRoutingConfig(const EdgeConfig& config, const std::string& source) {
  if (!RoutesNeeded(config)) return absl::OkStatus();
  const edge::v1::Routes& routes = config.routes();
  if (absl::Status s = CheckKubernetesName(source, "routes.name", routes.name()); !s.ok()) {
    return s;
  }
  if (routes.has_default_destination()) {
    if (absl::Status s =
            CheckDestination(source, "routes.default_destination", routes.default_destination());
        !s.ok()) {
      return s;
    }
  }
  return ValidateHttpRoutes(config, source);
}

absl::StatusOr<std::vector<RenderedFile>> RenderRoutes(
    const EdgeConfig& config, const std::vector<GrpcServiceRoute>& grpc_routes,
    const CompiledDirectResponses& direct, const RenderContext& context) {
  for (size_t i = 0; i < grpc_routes.size(); ++i) {
    if (absl::Status s = CheckDestination(
            context.source,
            absl::StrCat("transcoding route ", grpc_routes[i].service, " destination"),
            grpc_routes[i].destination);
        !s.ok()) {
      return s;
    }
  }
  const edge::v1::Routes& routes = config.routes();
  const edge::v1::Gateway& gateway = config.gateway();
  absl::StatusOr<RouteTable> table =
      BuildRouteTable(config, grpc_routes, context.source, context.composition);
  if (!table.ok()) return table.status();
  // The same table, rendered for a Gateway API Gateway (direct responses are the
  // broker's there, so there are no direct-response routes).
  if (IsGatewayApi(config)) return RenderGatewayApiRoutes(config, *table, context);
  const bool has_default = table->default_destination.has_value();
  // After a rule answering every request no route can match (`edgekit validate` would
  // report each): they are left out.
  const bool unreachable = direct.catches_all && (has_default || !table->routes.empty());
  if (unreachable && context.warnings != nullptr) {
    context.warnings->push_back(absl::StrCat(
        context.source,
        ": direct_responses.rules: warning: the last rule answers every request, so "
        "routes.http, the gRPC routes and routes.default_destination are never used: they "
        "are left out of the VirtualService"));
  }

  std::string comment;
  std::vector<std::string> hosts(gateway.hosts().begin(), gateway.hosts().end());
  if (hosts.empty()) {
    hosts.push_back("*");
    comment = "# gateway.hosts is empty: these routes serve every host (\"*\").\n";
  }
  if (context.composition != nullptr) absl::StrAppend(&comment, context.composition->Comment());
  if (unreachable) {
    absl::StrAppend(&comment, "# Route ", direct.routes.back().name,
                    " answers every request: the gRPC routes and the default\n"
                    "# route would never match, so they are left out.\n");
  }

  Doc d;
  Header(d, "networking.istio.io/v1", "VirtualService", routes.name(), gateway.namespace_());
  d.Key("spec").Map();
  d.StrSeq("hosts", hosts);
  d.StrSeq("gateways", {absl::StrCat(gateway.namespace_(), "/", gateway.name())});
  d.Key("http").Seq();
  for (const DirectResponseRoute& route : direct.routes) {
    d.Map().KV("name", route.name);
    if (!route.matches.empty()) {
      d.Key("match").Seq();
      for (const HttpMatch& match : route.matches) EmitHttpMatch(d, match);
      d.EndSeq();
    }
    d.Key("directResponse").Map().KV("status", route.status);
    if (route.body.has_value()) d.Key("body").Map().Literal("string", *route.body).EndMap();
    d.EndMap();
    if (!route.headers.empty()) {
      d.Key("headers").Map().Key("response").Map();
      d.Labels("set", route.headers);
      d.EndMap().EndMap();
    }
    d.EndMap();
  }
  for (size_t i = 0; i < (unreachable ? 0 : table->routes.size()); ++i) {
    const RouteTableEntry& route = table->routes[i];
    d.Map().KV("name", route.name);
    d.Key("match").Seq();
    EmitHttpMatch(d, MatchOf(route));
    d.EndSeq();
    EmitRouteTo(d, route.destination);
    d.EndMap();
  }
  if (has_default && !unreachable) {
    d.Map().KV("name", "default");
    EmitRouteTo(d, routes.default_destination());
    d.EndMap();
  }
  d.EndSeq();           // http
  d.EndMap().EndMap();  // spec, document

  std::vector<RenderedFile> files;
  const size_t http_routes =
      direct.routes.size() + (unreachable ? 0 : table->routes.size() + (has_default ? 1 : 0));
  if (http_routes > 0) {
    files.push_back({kRoutesFile, {d.Text(comment)}});
  } else if (context.warnings != nullptr && !direct.in_broker) {
    // Istio rejects a VirtualService without routes; with every rule in the Wasm plugin
    // and nothing to proxy to, there is nothing to route.
    context.warnings->push_back(absl::StrCat(
        context.source,
        ": routes: warning: no VirtualService rendered: every rule is answered by the Wasm "
        "plugin and there is no routes.default_destination or transcoded service, so "
        "requests the plugin lets through get 404 unless another VirtualService serves "
        "these hosts"));
  }
  return files;
}

bool RoutesFeature::Enabled(const EdgeConfig& config) const { return RoutesNeeded(config); }

void RoutesFeature::ApplyDefaults(EdgeConfig* config) const { ApplyRoutingDefaults(config); }

absl::Status RoutesFeature::Validate(const EdgeConfig& config, const RenderContext& context) {
  absl::Status status = ValidateRoutingConfig(config, context.source);
  if (status.ok() || context.composition == nullptr) return status;
  return Relocate(status, context.source, "routes.http", context.composition->http_routes);
}

absl::Status RoutesFeature::Render(const EdgeConfig& config, const RenderContext& context,
                                   std::vector<RenderedFile>* files) {
  absl::StatusOr<std::vector<RenderedFile>> rendered =
      RenderRoutes(config, transcoding_->routes(), direct_->compiled(), context);
  if (!rendered.ok()) return rendered.status();
  files->insert(files->end(), rendered->begin(), rendered->end());
  return absl::OkStatus();
}

}  // namespace edgekit::cli
