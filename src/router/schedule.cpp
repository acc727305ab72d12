#include "router/schedule.h"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace quorum::router {

std::vector<size_t> schedule(const std::vector<RouteCandidate>& candidates) {
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto key = [&](size_t i) {
    const auto& c = candidates[i];
    const int capacity = std::max(c.capacity, 1);
    const bool warm_free_self = c.local && c.loaded && c.in_flight < capacity;
    const double load = static_cast<double>(c.in_flight) / capacity;
    // Smaller sorts first.
    return std::make_tuple(!warm_free_self, !c.loaded, load, !c.local);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  return order;
}

}  // namespace quorum::router
