// Semantic versions (semver.org): MAJOR.MINOR.PATCH with an optional -PRERELEASE and an ignored +BUILD. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace quorum::update {

struct SemVer {
  unsigned long major = 0, minor = 0, patch = 0;
  std::string prerelease;  // "" for a release; "rc.1" for 1.2.0-rc.1
};

// Null when `text` is not MAJOR.MINOR.PATCH[-PRE][+BUILD] (digits without leading zeros, identifiers of
// [0-9A-Za-z-], not empty).
std::optional<SemVer> parse_semver(std::string_view text);

// Negative, zero or positive as `a` precedes, equals or follows `b` in semver precedence: numbers compared as
// numbers; a prerelease precedes its release; prerelease identifiers compared one by one, numeric ones as
// numbers and before alphanumeric ones, a shorter list first when all before are equal.
int compare(const SemVer& a, const SemVer& b);

}  // namespace quorum::update
