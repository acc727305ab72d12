#!/usr/bin/env bash
# Prints Quorum's version: the VERSION of the CMake project (CMakeLists.txt), the one place it is written.
# The binaries get it from there at configure time (quorum::version()), the packages and releases from here.
set -euo pipefail
sed -n 's/^project(quorum VERSION \([0-9][0-9.]*\) .*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../CMakeLists.txt"
