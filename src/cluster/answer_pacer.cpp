#include "cluster/answer_pacer.h"

#include <algorithm>

namespace quorum::cluster {

bool AnswerPacer::on_query(unsigned link, RateClock::time_point now) {
  Link& l = links_[link];
  if (l.scheduled) return false;
  if (!l.last_sent || now - *l.last_sent >= gap_) return true;
  l.scheduled = *l.last_sent + gap_;
  return false;
}

void AnswerPacer::sent(unsigned link, RateClock::time_point now) {
  Link& l = links_[link];
  l.last_sent = now;
  // What was scheduled is answered by this packet.
  l.scheduled.reset();
}

std::optional<RateClock::time_point> AnswerPacer::next_due() const {
  std::optional<RateClock::time_point> next;
  for (const auto& [link, l] : links_) {
    if (l.scheduled && (!next || *l.scheduled < *next)) next = l.scheduled;
  }
  return next;
}

std::vector<unsigned> AnswerPacer::take_due(RateClock::time_point now) {
  std::vector<unsigned> due;
  for (auto& [link, l] : links_) {
    if (l.scheduled && *l.scheduled <= now) {
      l.scheduled.reset();
      due.push_back(link);
    }
  }
  return due;
}

void AnswerPacer::keep_only(const std::vector<unsigned>& links) {
  std::erase_if(links_, [&](const auto& entry) {
    return std::find(links.begin(), links.end(), entry.first) == links.end();
  });
}

}  // namespace quorum::cluster
