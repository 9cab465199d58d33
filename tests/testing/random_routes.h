// Generated routes.http for the agreement tests (explain against a simple VirtualService
// evaluator; the Gateway API renderer against the VirtualService): 1 to 6 routes with
// exact, prefix or regex paths drawn from small universes (so that they overlap), host
// scopes, methods and an x-a header test, and a default destination. Header-only.
#ifndef EDGEKIT_TESTS_TESTING_RANDOM_ROUTES_H_
#define EDGEKIT_TESTS_TESTING_RANDOM_ROUTES_H_

#include <random>
#include <string>
#include <vector>

#include "edgekit/edge/v1/edge_config.pb.h"

namespace edgekit::testing {

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& items) {
  return items[std::uniform_int_distribution<size_t>(0, items.size() - 1)(rng)];
}

inline bool Coin(std::mt19937& rng, int percent) {
  return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
}

struct RandomRouteSpace {
  std::vector<std::string> exact, prefix, regex, hosts;
  int hosts_percent = 30;  // a route scoped to one of `hosts`
  // Path kinds drawn as uniform(0, kinds - 1): 0 exact, 1 the second kind (regex if
  // `regex_second`, else prefix), the rest the third.
  int kinds = 3;
  bool regex_second = false;
  int default_percent = 80;  // a routes.default_destination
};

// Adds the routes (destinations r<i>.ns.svc.cluster.local:8080, the default
// web.ns.svc.cluster.local:80) to `edge`.
inline void AddRandomRoutes(std::mt19937& rng, const RandomRouteSpace& space,
                            edge::v1::EdgeConfig* edge) {
  const int routes = std::uniform_int_distribution<int>(1, 6)(rng);
  for (int i = 0; i < routes; ++i) {
    edge::v1::HttpRoute* r = edge->mutable_routes()->add_http();
    r->set_name("r" + std::to_string(i));
    if (Coin(rng, space.hosts_percent)) r->add_hosts(Pick(rng, space.hosts));
    auto* m = r->mutable_match();
    const int kind = std::uniform_int_distribution<int>(0, space.kinds - 1)(rng);
    if (kind == 0) {
      m->set_exact(Pick(rng, space.exact));
    } else if ((kind == 1) == space.regex_second) {
      m->set_regex(Pick(rng, space.regex));
    } else {
      m->set_prefix(Pick(rng, space.prefix));
    }
    if (Coin(rng, 40)) m->add_methods(Coin(rng, 50) ? "GET" : "POST");
    if (Coin(rng, 30)) {
      auto& h = (*m->mutable_headers())["x-a"];
      if (Coin(rng, 50)) {
        h.set_exact("1");
      } else {
        h.set_present(true);
      }
    }
    r->mutable_destination()->set_host("r" + std::to_string(i) + ".ns.svc.cluster.local");
    r->mutable_destination()->set_port(8080);
  }
  if (Coin(rng, space.default_percent)) {
    edge->mutable_routes()->mutable_default_destination()->set_host("web.ns.svc.cluster.local");
    edge->mutable_routes()->mutable_default_destination()->set_port(80);
  }
}

}  // namespace edgekit::testing

#endif  // EDGEKIT_TESTS_TESTING_RANDOM_ROUTES_H_
