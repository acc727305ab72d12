// `quorum update [--check]`: the self-update by hand (docs/update.md).
//
// When a node answers at the URL (loopback), it is asked to do it through its local UI API (the same check
// and apply as the page's button: it drains, relaunches into the new binary and rolls back by itself if the
// new one is not healthy in time); the command waits and reports the outcome. When no node answers, the
// installed binary is updated in place from the feed (--feed or $QUORUM_UPDATE_FEED): downloaded, checked
// against the signed manifest, swapped in with the old one kept as .previous; the next start runs it.
// A binary under /usr is apt's: refused, "update with apt".
#pragma once

#include <string>

namespace quorum::cli {

struct UpdateOptions {
  bool check_only = false;
  bool allow_downgrade = false;
  std::string feed;      // standalone: the release feed
  std::string node_url;  // the running node (cli::node_url)
};

// 0: up to date, or updated; 1: failed or refused (the reason on stderr); 3 (--check): an update is
// available.
int run_update(const UpdateOptions& options);

}  // namespace quorum::cli
