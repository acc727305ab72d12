// A join token as a person hands it over: what a copy and paste brings around it (spaces, tabs, line ends)
// taken away before it is decoded (membership.h decode_join_token, which accepts exactly the token). Used by
// `quorum cluster join` and by the node's page.
#pragma once

#include <string>
#include <string_view>

namespace quorum::cluster {

inline std::string trim_pasted_token(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(kSpace) - first + 1));
}

}  // namespace quorum::cluster
