#pragma once
// A loaded model: architecture, weights, tokenizer and hook points. Load any
// supported Hugging Face folder, .gguf file or Glassbox toy model with load_model().
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/hooks.h"
#include "core/model_info.h"

namespace glassbox {

class Tokenizer;
struct Progress;

struct LoadOptions {
  std::string device = "cpu";     // "cpu", "cuda[:N]", or several ("cuda:0,cuda:1": split by layers)
  std::string dtype = "float32";  // compute dtype: float32 or bfloat16
};

// Per-layer keys and values of earlier positions, for incremental decoding and
// for re-running only the positions after a patch. Shapes [B, H_kv, T_past, d_head].
struct KVCache {
  std::vector<at::Tensor> k, v;
  int64_t length() const;
  KVCache repeat_batch(int64_t n) const;                // batch 1 -> n
};

// One batched forward pass, possibly partial.
struct ForwardArgs {
  at::Tensor tokens;         // [B, T] int64 (needed when start_layer == 0)
  at::Tensor resid;          // [B, T, d_model]: resid_pre of start_layer (when start_layer > 0)
  int start_layer = 0;
  int stop_layer = -1;       // run blocks [start_layer, stop_layer); -1 = all
  KVCache* kv = nullptr;     // read past keys/values; new ones are appended
  HookContext* hooks = nullptr;
  bool logits = true;        // compute ln_final + unembedding after the last block
  const Progress* progress = nullptr;  // told "block l" after each block; checked for Cancel
};

struct ForwardResult {
  at::Tensor logits;  // [B, T, vocab] (undefined if not asked for or stopped early)
  at::Tensor resid;   // [B, T, d_model]: the residual after the last block run
};

struct RunOptions {
  std::optional<NameFilter> capture;  // capture hook points whose names match
  // When set, each captured activation is handed here as soon as it is made
  // (batch dimension dropped) instead of being kept in RunResult::cache.
  ActivationCache::Sink stream;
  std::vector<Edit> edits;
  const Progress* progress = nullptr;  // passed to the forward pass
};

struct RunResult {
  at::Tensor logits;        // [T, vocab], float32
  ActivationCache cache;    // batch dimension dropped
};

class Model {
 public:
  Model();  // out of line: Tokenizer is incomplete here
  virtual ~Model();
  const ModelInfo& info() const { return info_; }
  const std::string& dir() const { return dir_; }  // the model folder, or the .gguf file
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }  // null if the folder has none
  c10::Device device() const { return device_; }
  c10::ScalarType dtype() const { return dtype_; }

  // One forward pass (compute_forward); while a NumericalWatch is open on this thread its
  // output is checked for NaN and Inf (core/numerical_faults.h).
  ForwardResult forward(const ForwardArgs& args) const;

  // One sequence, ids as given. Captured activations drop the batch dimension.
  RunResult run(const std::vector<int64_t>& tokens, const RunOptions& options = {}) const;
  // Display strings of tokens (decoded pieces; "<id>" without a tokenizer).
  std::vector<std::string> token_strings(const std::vector<int64_t>& tokens) const;

 protected:
  virtual ForwardResult compute_forward(const ForwardArgs& args) const = 0;
  // Places the blocks on several devices (core/layer_split.h); Error for models that cannot be split.
  virtual void place_layers(const std::vector<std::string>& devices);
  friend std::unique_ptr<Model> load_model(const std::string& path, const struct LoadOptions& options);
  ModelInfo info_;
  std::string dir_;
  std::unique_ptr<Tokenizer> tokenizer_;
  c10::Device device_{c10::kCPU};
  c10::ScalarType dtype_ = c10::kFloat;
};

// Loads a Hugging Face model folder or a .gguf file (architectures llama,
// qwen2, gpt2, gptneox); throws Error naming the file and problem. Unknown
// model_type: the error lists the supported ones.
std::unique_ptr<Model> load_model(const std::string& path, const LoadOptions& options = {});
std::vector<std::string> supported_model_types();

c10::Device parse_device(const std::string& name);      // throws Error
c10::ScalarType parse_dtype(const std::string& name);   // throws Error
// LibTorch intra-op threads; n <= 0 means all cores.
void set_threads(int n);

}  // namespace glassbox
