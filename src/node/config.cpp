#include "node/config.h"

#include <cstdlib>

namespace quorum::node {

Result<EngineSpec> parse_engine_spec(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return ApiError::invalid_request("--engine expects NAME=URL or NAME=TYPE:URL, got '" + text + "'");
  }
  EngineSpec spec;
  spec.name = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  for (std::string type : {"openai", "ollama"}) {
    if (rest.rfind(type + ":", 0) == 0 && rest.rfind(type + "://", 0) != 0) {
      spec.type = type;
      rest = rest.substr(type.size() + 1);
    }
  }
  if (rest.rfind("http://", 0) != 0) {
    return ApiError::invalid_request("--engine " + spec.name + ": the URL must start with http:// (got '" +
                                     rest + "')");
  }
  spec.url = rest;
  if (spec.type.empty()) spec.type = rest.find(":11434") != std::string::npos ? "ollama" : "openai";
  return spec;
}

Result<std::pair<std::string, unsigned short>> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return ApiError::invalid_request("--listen expects HOST:PORT, got '" + text + "'");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  if (host == "localhost") host = "127.0.0.1";
  char* end = nullptr;
  long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (colon + 1 == text.size() || *end != '\0' || port < 0 || port > 65535) {
    return ApiError::invalid_request("--listen: bad port in '" + text + "'");
  }
  return std::make_pair(host, static_cast<unsigned short>(port));
}

Result<std::pair<std::string, unsigned short>> parse_peer(const std::string& text) {
  auto colon = text.rfind(':');
  std::string host = colon == std::string::npos ? std::string() : text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = colon == std::string::npos ? 0 : std::strtol(text.c_str() + colon + 1, &end, 10);
  if (host.empty() || colon + 1 == text.size() || !end || *end != '\0' || port <= 0 || port > 65535) {
    return ApiError::invalid_request("--peer expects HOST:PORT, got '" + text + "'");
  }
  return std::make_pair(host, static_cast<unsigned short>(port));
}

Result<uint64_t> parse_byte_size(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();
  double scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  if (unit == "k") scale = 1024.0;
  if (unit == "m") scale = 1024.0 * 1024;
  if (unit == "g") scale = 1024.0 * 1024 * 1024;
  if (unit == "t") scale = 1024.0 * 1024 * 1024 * 1024;
  if (end == text.c_str() || scale == 0 || !(value >= 0) || value * scale > 1.8e19) {
    return ApiError::invalid_request("expected a size such as 8G or 512M, got '" + text + "'");
  }
  return static_cast<uint64_t>(value * scale);
}

std::vector<EngineSpec> default_autodetect_candidates() {
  return {{"ollama", "ollama", "http://127.0.0.1:11434"},
          {"lmstudio", "openai", "http://127.0.0.1:1234"},
          {"llama-server", "openai", "http://127.0.0.1:8080"},
          {"vllm", "openai", "http://127.0.0.1:8000"}};
}

std::string default_state_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/quorum";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.local/share/quorum";
  return ".quorum";
}

}  // namespace quorum::node
