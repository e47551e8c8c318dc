#include "core/model_files.h"

#include <algorithm>

namespace glassbox {
namespace fs = std::filesystem;

bool is_within(const fs::path& root, const fs::path& path) {
  return std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first == root.end();
}

ResolvedPath resolve_inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) {
    if (fs::is_symlink(fs::symlink_status(path, ec))) return {ResolvedPath::dangling, {}, "is a link to a missing file"};
    return {ResolvedPath::missing, {}, "is missing"};
  }
  if (!is_within(root, real))
    return {ResolvedPath::outside, {}, "resolves outside " + root.string() + " (to " + real.string() + ")"};
  return {ResolvedPath::inside, real, ""};
}

bool is_plain_relative(const fs::path& name) {
  if (name.empty() || name.has_root_path()) return false;
  return std::none_of(name.begin(), name.end(), [](const fs::path& part) { return part == ".."; });
}

fs::path weights_root(const fs::path& folder) {
  std::error_code ec;
  fs::path real = fs::canonical(folder, ec);
  if (ec) real = fs::absolute(folder, ec).lexically_normal();
  const fs::path snapshots = real.parent_path();
  const fs::path repository = snapshots.parent_path();
  if (snapshots.filename() == "snapshots" && repository.filename().string().rfind("models--", 0) == 0) return repository;
  return real;
}

std::vector<std::string> pickle_weight_files(const fs::path& folder) {
  static const std::vector<std::string> kPickleExtensions = {".bin", ".pt", ".pth", ".ckpt"};
  std::vector<std::string> pickles;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string extension = it->path().extension().string();
    if (std::find(kPickleExtensions.begin(), kPickleExtensions.end(), extension) != kPickleExtensions.end())
      pickles.push_back(it->path().filename().string());
  }
  std::sort(pickles.begin(), pickles.end());
  return pickles;
}

}  // namespace glassbox
