#pragma once
// Which files a model folder may read. A model from the internet is data, never
// code: only safetensors and GGUF weights are read (pickle can run code when
// unpickled), and every path a folder's own files name (shard indexes, Ollama
// manifests), links followed, must stay inside the folder it came from.
#include <filesystem>
#include <string>
#include <vector>

namespace glassbox {

// Whether `path` lies inside `root` (both canonical).
bool is_within(const std::filesystem::path& root, const std::filesystem::path& path);

// The real location of `path` (links followed) when it exists inside `root`
// (canonical); otherwise an empty path and `problem` says why.
struct ResolvedPath {
  enum Status { inside, missing, dangling, outside };
  Status status = missing;
  std::filesystem::path real;
  std::string problem;
};
ResolvedPath resolve_inside(const std::filesystem::path& root, const std::filesystem::path& path);

// Whether a name from a file (a shard in an index) is a relative path that does
// not climb out of its folder: not empty, not absolute, no "..".
bool is_plain_relative(const std::filesystem::path& name);

// The folder a model folder's files may resolve into: the folder itself, or for a
// Hugging Face cache snapshot (.../models--org--name/snapshots/REVISION), the cached
// repository, whose snapshot files are links into its blobs/ folder. Canonical.
std::filesystem::path weights_root(const std::filesystem::path& folder);

// Pickle-format weights in `folder` (.bin, .pt, .pth, .ckpt), sorted by name:
// never loaded, only named in messages.
std::vector<std::string> pickle_weight_files(const std::filesystem::path& folder);

}  // namespace glassbox
