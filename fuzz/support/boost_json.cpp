// Boost.JSON compiled from its sources, with the fuzzing build's instrumentation (the main build links
// Debian's libboost_json instead).
#include <boost/json/src.hpp>
