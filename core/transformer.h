#pragma once
// The decoder-only transformer shared by every family (GPT-2, GPT-NeoX,
// Llama/Mistral/Qwen2, Glassbox toy transformers): each family file maps its
// config and checkpoint onto TransformerConfig/TransformerWeights.
#include <ATen/core/Tensor.h>

#include <vector>

#include "core/model.h"

namespace glassbox {

struct TransformerConfig {
  int n_layers = 0, n_heads = 0, n_kv_heads = 0, d_model = 0, d_head = 0, d_mlp = 0;
  int64_t d_vocab = 0, n_ctx = 0;
  enum class Norm { layernorm, rmsnorm } norm = Norm::layernorm;
  double norm_eps = 1e-5;
  enum class Act { gelu_new, gelu, silu, relu } act = Act::gelu_new;
  bool gated_mlp = false;          // act(x W_gate) * (x W_in)
  bool parallel_residual = false;  // x + attn(ln1 x) + mlp(ln2 x)
  bool learned_pos = true;         // W_pos added to the embedding
  int rotary_dim = 0;              // rotate-half RoPE on the first rotary_dim dims of q, k
  double rope_theta = 10000.0;
  // rope_scaling type llama3 (factor > 0 enables it)
  double rope_llama3_factor = 0, rope_low_freq_factor = 1, rope_high_freq_factor = 4;
  int64_t rope_original_max_pos = 8192;
  int64_t sliding_window = 0;  // > 0: a query sees only the last sliding_window keys
};

// Weights in the layout x @ W (columns are outputs); views of the checkpoint
// where possible.
struct LayerWeights {
  at::Tensor ln1_w, ln1_b, ln2_w, ln2_b;  // biases undefined for RMSNorm
  at::Tensor W_Q, b_Q;  // [d_model, H*d_head], [H*d_head]
  at::Tensor W_K, b_K;  // [d_model, H_kv*d_head]
  at::Tensor W_V, b_V;  // [d_model, H_kv*d_head]
  at::Tensor W_O, b_O;  // [H*d_head, d_model], [d_model]
  at::Tensor W_in, b_in;    // [d_model, d_mlp]
  at::Tensor W_gate;        // [d_model, d_mlp] (gated MLPs)
  at::Tensor W_out, b_out;  // [d_mlp, d_model]

  std::vector<at::Tensor*> tensors();  // every one of the above, defined or not
  std::vector<const at::Tensor*> tensors() const;

  // Made from the above (Transformer::fuse_projections), so that one GEMM serves
  // q, k and v, and one the gate and the input: [d_model, (H + 2 H_kv) d_head] with
  // W_Q, W_K and W_V views into it, and [d_model, 2 d_mlp] (gated MLPs).
  at::Tensor W_QKV, b_QKV, W_gate_in;
};

struct TransformerWeights {
  at::Tensor W_E;    // [d_vocab, d_model]
  at::Tensor W_pos;  // [n_ctx, d_model] (learned positions)
  std::vector<LayerWeights> layers;
  at::Tensor ln_final_w, ln_final_b;
  at::Tensor W_U, b_U;  // [d_model, d_vocab], [d_vocab] (b_U may be undefined)
};

class Transformer : public Model {
 public:
  // Checks every weight's shape against the config (Error names `source`).
  Transformer(TransformerConfig config, TransformerWeights weights, const std::string& source);


  const TransformerConfig& config() const { return cfg_; }
  const TransformerWeights& weights() const { return w_; }
  // For scoped weight edits: replace a tensor (never write into a mapped one)
  // and put the original back afterwards.
  TransformerWeights& mutable_weights() { return w_; }

  // Per-head views in TransformerLens's shapes.
  at::Tensor W_Q(int layer) const;  // [H, d_model, d_head]
  at::Tensor W_K(int layer) const;  // [H_kv, d_model, d_head]
  at::Tensor W_V(int layer) const;  // [H_kv, d_model, d_head]
  at::Tensor W_O(int layer) const;  // [H, d_head, d_model]
  int kv_head(int head) const { return head / (cfg_.n_heads / cfg_.n_kv_heads); }

  // ln_final then W_U (+ b_U): logits of residual-stream vectors [..., d_model], on resid's device.
  at::Tensor unembed_resid(const at::Tensor& resid) const;
  // ln_final alone, on the unembedding's device and in its dtype: for products with
  // slices of W_U (the logit lens reads the vocabulary in blocks).
  at::Tensor final_norm(const at::Tensor& resid) const;

  // Moves each block's weights to its device (core/layer_split.h), the embedding to
  // the first and the final norm and unembedding to the last. The forward pass then
  // carries the residual stream across; captures, logits and the per-head views above
  // come back on the first device.
  void place_layers(const std::vector<std::string>& devices) override;

  // Fills the ModelInfo fields that follow from the config.
  void describe(const std::string& family, const std::string& model_type);

 private:
  ForwardResult compute_forward(const ForwardArgs& args) const override;
  at::Tensor norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, HookContext* hooks,
                  Hook scale_hook, Hook normalized_hook, int layer, int64_t offset) const;
  // Rotary cos and sin of this pass's positions, [T, rotary_dim], made once per pass.
  struct Rotary {
    at::Tensor cos, sin;
  };
  at::Tensor attention(const LayerWeights& lw, const at::Tensor& x, int layer, KVCache* kv, HookContext* hooks,
                       int64_t offset, const Rotary& rotary) const;
  at::Tensor mlp(const LayerWeights& lw, const at::Tensor& x, int layer, HookContext* hooks,
                 int64_t offset) const;
  at::Tensor rotary_tables(int64_t offset, int64_t length, bool cosine) const;
  at::Tensor on_first_device(const at::Tensor& t) const;  // t itself unless split
  void fuse_projections();

  TransformerConfig cfg_;
  TransformerWeights w_;
  std::vector<c10::Device> block_devices_;  // per block once split; empty on one device
  at::Tensor inv_freq_;  // [rotary_dim/2], float32
};

}  // namespace glassbox
