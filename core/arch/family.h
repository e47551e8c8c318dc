#pragma once
// What a family file gets to build a model, and the registry entry it adds.
// Internal to core: includes nlohmann/json and ATen.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/model.h"
#include "core/safetensors.h"

namespace glassbox {

// An opened model folder: its config, its checkpoint and the load options.
struct ModelFolder {
  std::string dir;
  std::string config_path;
  nlohmann::json config;
  Checkpoint checkpoint;
  c10::Device device{c10::kCPU};
  c10::ScalarType dtype = c10::kFloat;

  // The named tensor as an at::Tensor of the compute dtype on the device,
  // after checking its shape (Error names the checkpoint, tensor and shapes).
  // Zero-copy from the mapping when dtype and device already match.
  at::Tensor weight(const std::string& name, const std::vector<int64_t>& shape) const;
  bool has(const std::string& name) const { return checkpoint.has(name); }
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

struct Family {
  const char* model_type;  // config.json's model_type
  const char* family;      // the family it belongs to
  std::unique_ptr<Model> (*load)(const ModelFolder& folder);
};

// One line per family file in core/model.cpp's registry.
std::unique_ptr<Model> load_gpt2(const ModelFolder& folder);
std::unique_ptr<Model> load_gpt_neox(const ModelFolder& folder);
std::unique_ptr<Model> load_llama(const ModelFolder& folder);
std::unique_ptr<Model> load_toy_mlp(const ModelFolder& folder);  // core/arch/toy_mlp.cpp

}  // namespace glassbox
