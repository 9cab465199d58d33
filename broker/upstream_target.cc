#include "broker/upstream_target.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace edgekit::broker {
namespace {

// "host:port" or "[v6]:port" -> host, port.
bool SplitHostPort(absl::string_view hostport, std::string* host, std::string* port) {
  if (absl::StartsWith(hostport, "[")) {
    auto close = hostport.find(']');
    if (close == absl::string_view::npos || close + 1 >= hostport.size() ||
        hostport[close + 1] != ':') {
      return false;
    }
    *host = std::string(hostport.substr(1, close - 1));
    *port = std::string(hostport.substr(close + 2));
  } else {
    auto colon = hostport.rfind(':');
    if (colon == absl::string_view::npos) return false;
    *host = std::string(hostport.substr(0, colon));
    *port = std::string(hostport.substr(colon + 1));
  }
  int number = 0;
  // A port gRPC can dial: digits only, 1..65535.
  return !host->empty() && !port->empty() &&
         std::all_of(port->begin(), port->end(), [](char c) { return absl::ascii_isdigit(c); }) &&
         port->size() <= 5 && absl::SimpleAtoi(*port, &number) && number >= 1 && number <= 65535;
}

}  // namespace

absl::StatusOr<ParsedTarget> ParseUpstreamTarget(const std::string& target) {
  ParsedTarget parsed;
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("upstream.target: ", why, ", got \"", target, "\""));
  };
  absl::string_view rest = target;
  if (absl::ConsumePrefix(&rest, "ipv4:") || absl::ConsumePrefix(&rest, "ipv6:")) {
    const std::string scheme = target.substr(0, 5);
    for (absl::string_view part : absl::StrSplit(rest, ',')) {
      std::string host, port;
      if (!SplitHostPort(part, &host, &port)) return bad("expected ADDRESS:PORT items");
      parsed.addresses.push_back(absl::StrCat(scheme, part));
    }
    parsed.kind = ParsedTarget::Kind::kStatic;
    parsed.authority = std::string(rest.substr(0, rest.find(',')));
    return parsed;
  }
  if (absl::ConsumePrefix(&rest, "dns:")) {
    // dns:///host:port or dns://authority/host:port or dns:host:port
    if (absl::ConsumePrefix(&rest, "//")) {
      auto slash = rest.find('/');
      if (slash == absl::string_view::npos) return bad("expected dns:///HOST:PORT");
      rest = rest.substr(slash + 1);
    }
  } else if (absl::StartsWith(rest, "unix:") || absl::StartsWith(rest, "unix-abstract:") ||
             absl::StartsWith(rest, "vsock:")) {
    // Local sockets: one endpoint, resolved by gRPC itself.
    parsed.kind = ParsedTarget::Kind::kPassThrough;
    parsed.addresses.push_back(target);
    parsed.authority = "localhost";
    return parsed;
  }
  if (!SplitHostPort(rest, &parsed.host, &parsed.port)) {
    return bad("expected HOST:PORT, dns:///HOST:PORT, ipv4:ADDR:PORT[,...] or unix:PATH");
  }
  parsed.kind = ParsedTarget::Kind::kDns;
  parsed.authority = std::string(rest);
  return parsed;
}

}  // namespace edgekit::broker
