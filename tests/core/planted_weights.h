#pragma once
// A reference model with one weight changed: NaN or Inf planted where a test needs it.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "test_util.h"

namespace glassbox::test {

// A copy of reference model `name` in `dir` whose tensor `tensor` (float32) holds `value` as
// its first element; returns the copy's folder.
inline std::string planted_copy(const TempDir& dir, const std::string& name, const std::string& tensor, float value) {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(model_dir(name)))
    if (entry.path().extension() != ".safetensors") fs::copy_file(entry.path(), dir.file(entry.path().filename()));
  const Checkpoint checkpoint = Checkpoint::open_dir(model_dir(name));
  std::vector<std::vector<std::byte>> bytes;
  std::vector<TensorToWrite> tensors;
  for (const std::string& n : checkpoint.names()) {
    const TensorRecord& r = checkpoint.get(n);
    bytes.emplace_back(r.data, r.data + r.nbytes);
    if (n == tensor) std::memcpy(bytes.back().data(), &value, sizeof value);
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    const TensorRecord& r = checkpoint.get(checkpoint.names()[i]);
    TensorToWrite t;
    t.name = r.name;
    t.dtype = r.dtype;
    t.shape = r.shape;
    t.data = bytes[i].data();
    t.nbytes = bytes[i].size();
    tensors.push_back(t);
  }
  write_safetensors(dir.file("model.safetensors"), tensors);
  return dir.path();
}

}  // namespace glassbox::test
