#pragma once
// What a loaded model is, as plain data: safe to copy to the GUI thread and to
// include where torch is not (views, the analysis registry).
#include <cstdint>
#include <string>
#include <vector>

namespace glassbox {

struct ModelInfo {
  std::string family;      // gpt2, gpt_neox, llama, mistral, qwen2, glassbox_mlp, ...
  std::string model_type;  // config.json's model_type
  bool transformer = true;  // false for the toy MLP: analyses of prompts need a transformer
  int n_layers = 0, n_heads = 0, n_kv_heads = 0, d_model = 0, d_head = 0, d_mlp = 0;
  int64_t d_vocab = 0, n_ctx = 0;
  std::string norm;        // layernorm | rmsnorm | none
  std::string act;         // gelu_new | gelu | silu | quadratic | ...
  std::string positional;  // learned | rotary | none
  int rotary_dim = 0;
  bool parallel_residual = false, gated_mlp = false, tied_embeddings = false;
  int64_t n_params = 0;
  std::string weights_dtype;  // as stored on disk (GGUF: the main tensor type, e.g. Q4_1)
  std::string format;         // safetensors | gguf
  std::string config_json;    // config.json (GGUF: the equivalent built from its metadata)
  std::vector<std::string> nonfinite_weights;  // tensors holding NaN or Inf, as the file names them
  std::vector<std::string> block_devices;      // per block, when split across devices (else empty)
  std::vector<std::string> hook_names;
};

}  // namespace glassbox
