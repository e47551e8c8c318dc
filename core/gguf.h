#pragma once
// GGUF reader (llama.cpp's single-file model format), memory-mapped and
// validated completely on open: magic, version (2 or 3), counts, every string
// and array length, value types, general.alignment, tensor types, dimensions
// against sizes, and tensor data inside the file without overlap. No torch
// here: tensors are typed views into the mapping, dequantized to float32 on
// request.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/safetensors.h"

namespace glassbox {

// Metadata value types, numbered as in the file.
enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* gguf_value_type_name(GgufValueType t);

struct GgufValue {
  GgufValueType type = GgufValueType::UINT8;
  // Scalars: integers in `integer` (UINT64 above INT64_MAX stays exact in
  // `unsigned_integer`), floats in `number`, BOOL as 0/1 in `integer`.
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double number = 0;
  std::string string;
  // ARRAY: `count` elements of `element_type`. Numbers and bools stay in the
  // file's mapping (read them with element()), strings are views into it, so
  // a value must not outlive its GgufFile; arrays of arrays are values.
  GgufValueType element_type = GgufValueType::UINT8;
  uint64_t count = 0;
  const unsigned char* scalars = nullptr;
  std::vector<std::string_view> strings;
  std::vector<GgufValue> arrays;
  GgufValue element(size_t i) const;  // a numeric or bool element; throws Error otherwise

  bool is_integer() const;  // any integer type (not BOOL)
  bool is_number() const;   // integer or float
};

// ggml tensor types, numbered as in the file. Every type the format defines is
// known (so that files holding them validate); dequantize() supports F32, F16,
// BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q2_K..Q6_K.
enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35,
  MXFP4 = 39,
};
const char* ggml_type_name(GgmlType t);
bool ggml_type_dequantizable(GgmlType t);

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> ne;     // ggml order: ne[0] is the fastest-varying (row length)
  std::vector<int64_t> shape;  // row-major order (ne reversed), as numpy and torch see it
  const std::byte* data = nullptr;  // points into the mapping
  size_t nbytes = 0;
  uint64_t offset = 0;  // from the start of the data section
  int64_t numel() const;
};

class GgufFile {
 public:
  static std::shared_ptr<GgufFile> open(const std::string& path);
  const std::string& path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;  // null when absent
  // Typed access; Error names the file and the key (missing, or of another type).
  int64_t integer(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t fallback) const;
  double number(const std::string& key, double fallback) const;
  bool flag(const std::string& key, bool fallback) const;
  std::string string(const std::string& key) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  // An array of strings / of numbers; empty when absent.
  std::vector<std::string> strings(const std::string& key) const;
  std::vector<double> numbers(const std::string& key) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* tensor(const std::string& name) const;  // null when absent
  // The mapping the tensors point into.
  const std::shared_ptr<const MappedFile>& mapping() const { return file_; }

  // The tensor as float32 in row-major order, `out` holding numel() floats.
  // Blocks are split over `threads` threads (0: all cores). Error names the
  // file, the tensor and its type when the type is not supported.
  void dequantize(const GgufTensor& tensor, float* out, int threads = 0) const;
  // Lets the kernel drop the whole pages of the mapping that hold only this
  // tensor's bytes (the tensor stays readable: touched again, they are read
  // back from the file). Loaders call it once a tensor is converted, so the
  // quantized bytes and the float32 copies are not resident together.
  void release(const GgufTensor& tensor) const;

 private:
  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

// True when the file starts with the GGUF magic (cheap check for loaders).
bool is_gguf_file(const std::string& path);

}  // namespace glassbox
