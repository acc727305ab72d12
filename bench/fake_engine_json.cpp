// The fake engine's own copy of Boost.JSON (its header-only build), so that the engine double shares no JSON
// code with the node: the two run on the same core in bench/run.sh, and with Debian's shared libboost_json
// each one's parse brought the other's code into cache, a help no real engine gives (llama-server has its
// own JSON code, vLLM is Python) and an engine behind nginx never had (docs/benchmarks.md, twelfth sitting).
#include <boost/json/src.hpp>
