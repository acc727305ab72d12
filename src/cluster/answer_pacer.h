// AnswerPacer: when this node may multicast its records in answer to a query (pure). RFC 6762 section 6: a
// responder multicasts a record on an interface at most once a second. A query that arrives within the
// second after our records went out on its link is answered once that second is over; any number of queries
// meanwhile are answered by that one packet. So 10 000 queries a second cost at most one answer a second per
// link, and a querier that just joined still gets an answer. Not thread-safe (the mDNS service's executor).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "core/rate_limit.h"

namespace quorum::cluster {

class AnswerPacer {
 public:
  explicit AnswerPacer(RateClock::duration gap = std::chrono::seconds(1)) : gap_(gap) {}

  // A query for our records arrived on `link` (an interface index) at `now`. True: multicast the answer now,
  // then call sent(). False: it is scheduled (or was already) for when next_due() says.
  bool on_query(unsigned link, RateClock::time_point now);
  // Our records were multicast on `link` at `now` (an answer, or an announcement of our own).
  void sent(unsigned link, RateClock::time_point now);
  // When the earliest scheduled answer is due; nullopt when none is.
  std::optional<RateClock::time_point> next_due() const;
  // The links whose scheduled answer is due at `now`, no longer scheduled: multicast on each, then sent().
  std::vector<unsigned> take_due(RateClock::time_point now);
  // Forgets the links not in `links` (interfaces gone).
  void keep_only(const std::vector<unsigned>& links);

 private:
  struct Link {
    std::optional<RateClock::time_point> last_sent;
    std::optional<RateClock::time_point> scheduled;
  };
  RateClock::duration gap_;
  std::map<unsigned, Link> links_;
};

}  // namespace quorum::cluster
