#pragma once
// What a family file gets to build a model, and the registry entry it adds.
// Internal to core: includes nlohmann/json and ATen.
#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "core/transformer.h"

namespace glassbox {

class GgufFile;

// An opened model: its config, its weights and the load options. A Hugging
// Face folder has config.json and a safetensors checkpoint; a .gguf file is
// presented the same way (see gguf_model_folder), so family files read both.
struct ModelFolder {
  std::string dir;          // the folder, or the .gguf file
  std::string config_path;  // the file config errors name: config.json or the .gguf
  nlohmann::json config;
  Checkpoint checkpoint;
  // GGUF: tensors already dequantized and laid out as the HF checkpoint has
  // them, under the HF names, in the compute dtype.
  std::map<std::string, at::Tensor> converted;
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = c10::kFloat;
  // GGUF: the tensors holding NaN or Inf, by their GGUF names (found as they are dequantized).
  std::vector<std::string> nonfinite_tensors;

  // The named tensor as an at::Tensor of the compute dtype on the device,
  // after checking its shape (Error names the checkpoint, tensor and shapes).
  // Zero-copy from the mapping when dtype and device already match.
  at::Tensor weight(const std::string& name, const std::vector<int64_t>& shape) const;
  bool has(const std::string& name) const { return converted.count(name) || checkpoint.has(name); }
  // Config access with the config file named in errors.
  int64_t integer(const std::string& key) const { return json_int(config, key, config_path); }
  int64_t integer(const std::string& key, int64_t fallback) const {
    return json_int(config, key, config_path, fallback);
  }
  double number(const std::string& key, double fallback) const {
    return json_number(config, key, config_path, fallback);
  }
  bool flag(const std::string& key, bool fallback) const { return json_bool(config, key, config_path, fallback); }
  std::string string(const std::string& key, const std::string& fallback) const {
    return json_string(config, key, config_path, fallback);
  }
  // Error "<config.json>: <problem>".
  [[noreturn]] void config_error(const std::string& problem) const;
};

// A tensor over a checkpoint record without copying (CPU); the mapping stays
// alive as long as the tensor does.
at::Tensor tensor_from_record(const TensorRecord& record);

// "NaN" or "Inf" when `t` (floating point) holds one, NaN when it holds both; one reduction
// over t (min and max carry NaN and the infinities).
std::optional<std::string> nonfinite_kind(const at::Tensor& t);

struct Family {
  const char* model_type;  // config.json's model_type
  std::unique_ptr<Model> (*load)(const ModelFolder& folder);
};

// The activation a config names under `key` (HF spellings: gelu_new,
// gelu_pytorch_tanh, gelu_fast, gelu, relu, silu, swish); Error names the
// config and the value when it is not supported.
TransformerConfig::Act read_activation(const ModelFolder& f, const std::string& key, const std::string& fallback);

// A .gguf model as a ModelFolder: its metadata as the equivalent config.json
// (model_type llama, qwen2, gpt2 or gpt_neox), its tensors dequantized and
// renamed and re-laid-out as llama.cpp's converter found them in the HF
// checkpoint. `weights_dtype` gets the file's main tensor type (e.g. Q4_1).
ModelFolder gguf_model_folder(const GgufFile& file, c10::Device device, c10::ScalarType dtype,
                              std::string& weights_dtype);

// One line per family file in core/model.cpp's registry.
std::unique_ptr<Model> load_gpt2(const ModelFolder& folder);
std::unique_ptr<Model> load_gpt_neox(const ModelFolder& folder);
std::unique_ptr<Model> load_llama(const ModelFolder& folder);
std::unique_ptr<Model> load_toy_mlp(const ModelFolder& folder);  // core/arch/toy_mlp.cpp

}  // namespace glassbox
