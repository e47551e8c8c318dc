#pragma once
// safetensors reader (memory-mapped, zero-copy) and writer. No torch here: a
// tensor is a typed view into the mapping; core/weights.cpp turns it into an
// at::Tensor that keeps the mapping alive.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace glassbox {

// Element types a checkpoint can declare. Only F32, F16 and BF16 can be loaded
// as weights; the others are recognised so that files holding them validate.
enum class DType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

const char* dtype_name(DType t);
size_t dtype_size(DType t);

// A read-only memory mapping of a whole file.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws Error naming the file
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

struct TensorRecord {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // points into the mapping
  size_t nbytes = 0;
  int64_t numel() const;
  // The mapping `data` points into; hold it as long as the data is used.
  std::shared_ptr<const MappedFile> file;
};

// One .safetensors file, validated completely on open (see the format's rules:
// header length, JSON object, dtypes, shapes, offsets, file size, metadata).
class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);
  const std::string& path() const;
  const std::map<std::string, TensorRecord>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::map<std::string, TensorRecord> tensors_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a model folder: model.safetensors, or the shards listed in
// model.safetensors.index.json.
class Checkpoint {
 public:
  static Checkpoint open_dir(const std::string& dir);
  static Checkpoint open_file(const std::string& path);
  bool has(const std::string& name) const;
  // Throws Error naming the checkpoint and the missing tensor.
  const TensorRecord& get(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& description() const { return description_; }  // path for messages

 private:
  std::string description_;
  std::map<std::string, TensorRecord> tensors_;
};

// A tensor to write: raw little-endian bytes of `dtype` in row-major order.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
  size_t nbytes;
};

// Writes a valid safetensors file atomically (temporary file, then rename).
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace glassbox
