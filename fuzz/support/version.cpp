// quorum::version() for the fuzzing build (the main build generates its own from the project's VERSION).
#include "core/version.h"

const char* quorum::version() {
  return "fuzz";
}
