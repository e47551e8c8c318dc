#pragma once
// llama.cpp control vectors (the GGUF files `llama-cvector-generator` writes
// and `llama-cli --control-vector` reads) and the small GGUF writer they need.
// No torch here. docs/file-formats.md#steering-vectors-and-llamacpp-control-vectors
// has the layout and the layer numbering.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/model_info.h"

namespace glassbox {

// A GGUF v3 file with string and int32 metadata and one-dimensional F32
// tensors, in the order added; the tensor data start at a multiple of 32 bytes
// and each tensor is padded to 32 (the default alignment, so no
// general.alignment key is written), as gguf-py and llama.cpp lay it out.
class GgufWriter {
 public:
  void add_string(const std::string& key, const std::string& value);
  void add_int32(const std::string& key, int32_t value);
  void add_f32_tensor(const std::string& name, std::vector<float> values);
  std::string bytes() const;  // the whole file
  // Writes bytes() atomically (a temporary file next to `path`, then a rename).
  void write(const std::string& path) const;

 private:
  std::string metadata_;  // encoded key/value pairs
  uint64_t metadata_count_ = 0;
  std::vector<std::pair<std::string, std::vector<float>>> tensors_;
};

// One direction per layer, numbered as llama.cpp numbers them: direction N
// (N >= 1) is added to the output of block N (0-based), that is to
// blocks.N.hook_resid_post (= blocks.N+1.hook_resid_pre). Block 0's output
// cannot be steered by such a file.
struct ControlVector {
  std::string model_hint;                        // controlvector.model_hint, e.g. "llama"
  std::map<int, std::vector<float>> directions;  // layer N -> n_embd floats
};

// The file `write_control_vector` writes: general.architecture =
// "controlvector", controlvector.model_hint (string), controlvector.layer_count
// (int32, the number of directions) and the F32 tensors direction.N by
// increasing N. Error naming `where` for no directions, a layer below 1 or
// directions of different lengths.
std::string control_vector_bytes(const ControlVector& vector, const std::string& where);
void write_control_vector(const std::string& path, const ControlVector& vector);

// The N of a tensor named direction.N (decimal, no leading zero; 0 included,
// which control vectors refuse and safetensors steering files use); -1 for any
// other name.
int direction_layer(const std::string& tensor_name);

// Reads and validates a control vector: the architecture, layer_count (any
// integer type) against the tensors, every tensor named direction.N (N >= 1),
// F32, one-dimensional and of one length. With a model, also every N inside
// its blocks 1..n_layers-1 and the length its d_model. Error names the file
// and the problem.
ControlVector read_control_vector(const std::string& path, const ModelInfo* model = nullptr);

}  // namespace glassbox
