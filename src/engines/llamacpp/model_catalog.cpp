#include "engines/llamacpp/model_catalog.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engines/llamacpp/gguf_file.h"

namespace quorum::engines::llamacpp {

namespace fs = std::filesystem;

namespace {

bool ends_with_gguf(const std::string& name) {
  if (name.size() < 5) return false;
  std::string ext = name.substr(name.size() - 5);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".gguf";
}

}  // namespace

std::string model_id_from_path(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (ends_with_gguf(name) && name.size() > 5) name.resize(name.size() - 5);
  return name;
}

ModelCatalog::ModelCatalog(std::string models_dir, std::vector<ConfiguredModel> configured)
    : models_dir_(std::move(models_dir)), configured_(std::move(configured)) {}

CatalogModel ModelCatalog::describe(const std::string& id, const std::string& path) {
  CatalogModel m;
  m.id = id;
  m.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    m.problem = check_gguf_file(path);  // says "does not exist" or why it cannot be read
    if (m.problem.empty()) m.problem = std::string("cannot read the file: ") + std::strerror(errno);
    checked_.erase(path);
    return m;
  }
  m.size = static_cast<uint64_t>(st.st_size);
  m.mtime = st.st_mtim.tv_sec;
  m.version = std::to_string(m.size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
              std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
  auto it = checked_.find(path);
  if (it == checked_.end() || it->second.version != m.version) {
    Checked checked{m.version, check_gguf_file(path), {}};
    if (checked.problem.empty()) checked.shape = read_model_shape(path);
    it = checked_.insert_or_assign(path, std::move(checked)).first;
  }
  m.problem = it->second.problem;
  m.shape = it->second.shape;
  return m;
}

std::vector<CatalogModel> ModelCatalog::scan() {
  std::lock_guard lock(mutex_);
  std::map<std::string, CatalogModel> found;
  std::error_code ec;
  if (!models_dir_.empty()) {
    for (fs::directory_iterator it(models_dir_, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || !ends_with_gguf(name)) continue;
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec) && !it->is_symlink(type_ec)) continue;
      std::string id = model_id_from_path(name);
      found.insert_or_assign(id, describe(id, it->path().string()));
    }
  }
  for (const auto& c : configured_) {
    std::string id = c.id.empty() ? model_id_from_path(c.path) : c.id;
    found.insert_or_assign(id, describe(id, c.path));
  }
  last_.clear();
  for (auto& [id, m] : found) last_.push_back(std::move(m));
  return last_;
}

std::optional<CatalogModel> ModelCatalog::find(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& m : last_) {
      if (m.id == id) return m;
    }
  }
  for (auto& m : scan()) {
    if (m.id == id) return m;
  }
  return std::nullopt;
}

}  // namespace quorum::engines::llamacpp
