// ModelCatalog: which GGUF files this node can serve. Every `*.gguf` file in the models directory (the id is
// the file name without `.gguf`) plus each configured `--model [ID=]PATH` (a configured id wins over a file
// of the same name). scan() reads the disk again, so files added or removed while the node runs appear and
// disappear; each file's header is checked (and its metadata read for the model's shape) once per version of
// the file, and a bad file is listed with its problem rather than hidden, so that a request for it gets a
// clear error. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engines/llamacpp/gguf_file.h"

namespace quorum::engines::llamacpp {

struct ConfiguredModel {
  std::string id;  // empty: from the file name
  std::string path;
};

struct CatalogModel {
  std::string id;
  std::string path;
  uint64_t size = 0;
  int64_t mtime = 0;  // Unix seconds
  // Identifies this version of the file (size, modification time in ns, inode): a file replaced by one of the
  // same size within the same second still differs.
  std::string version;
  std::string problem;  // why the file cannot be served (empty when it looks fine)
  ModelShape shape;     // from the file's metadata (all zero when it has none or has a problem)
};

// The id a file is served under: its name without the directory and a trailing ".gguf" (any case).
std::string model_id_from_path(const std::string& path);

class ModelCatalog {
 public:
  ModelCatalog(std::string models_dir, std::vector<ConfiguredModel> configured);

  const std::string& models_dir() const { return models_dir_; }
  // Reads the directory and the configured files now; ordered by id.
  std::vector<CatalogModel> scan();
  // The model from the last scan, scanning first when the id is not known yet.
  std::optional<CatalogModel> find(const std::string& id);

 private:
  struct Checked {
    std::string version;
    std::string problem;
    ModelShape shape;
  };
  CatalogModel describe(const std::string& id, const std::string& path);

  const std::string models_dir_;
  const std::vector<ConfiguredModel> configured_;
  std::mutex mutex_;
  std::map<std::string, Checked> checked_;  // by path
  std::vector<CatalogModel> last_;
};

}  // namespace quorum::engines::llamacpp
