// The program's version: one definition for the whole build, in a source file that CMake generates from the
// project's VERSION (cmake/version.cpp.in). Nothing else spells the version, so a binary that reports another
// one (the update test's "newer" build) costs one more link, not a rebuild.
#pragma once

namespace quorum {

// "MAJOR.MINOR.PATCH" (semantic versioning; update/semver.h reads it). Static storage.
const char* version();

}  // namespace quorum
