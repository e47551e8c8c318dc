// Llama 2/3, Mistral and Qwen2 (HF model_type llama, mistral, qwen2): RMSNorm,
// SwiGLU, grouped-query attention, rotate-half RoPE (optionally llama3-scaled),
// q/k/v biases for Qwen2, tied or untied lm_head. nn.Linear weights are
// [out, in]: transposed views give x @ W without copying.
#include <ATen/ATen.h>

#include "core/arch/family.h"
#include "core/arch/rope.h"
#include "core/transformer.h"

namespace glassbox {

std::unique_ptr<Model> load_llama(const ModelFolder& f) {
  const std::string type = f.string("model_type", "llama");
  TransformerConfig c;
  c.n_layers = static_cast<int>(f.integer("num_hidden_layers"));
  c.n_heads = static_cast<int>(f.integer("num_attention_heads"));
  c.n_kv_heads = static_cast<int>(f.integer("num_key_value_heads", c.n_heads));
  c.d_model = static_cast<int>(f.integer("hidden_size"));
  if (c.n_heads <= 0) f.config_error("num_attention_heads must be positive");
  c.d_head = static_cast<int>(f.integer("head_dim", c.d_model / c.n_heads));
  c.d_mlp = static_cast<int>(f.integer("intermediate_size"));
  c.d_vocab = f.integer("vocab_size");
  c.n_ctx = f.integer("max_position_embeddings", 4096);
  c.norm = TransformerConfig::Norm::rmsnorm;
  c.norm_eps = f.number("rms_norm_eps", 1e-6);
  c.act = read_activation(f, "hidden_act", "silu");
  c.gated_mlp = true;
  c.learned_pos = false;
  const double partial = read_rope(f, "rope_theta", 10000.0, c);
  c.rotary_dim = static_cast<int>(c.d_head * partial);
  // Mistral's sliding window; Qwen2 declares one but uses it only when use_sliding_window is set.
  if (type == "mistral" || f.flag("use_sliding_window", false)) c.sliding_window = f.integer("sliding_window", 0);

  const bool qkv_bias = type == "qwen2" || f.flag("attention_bias", false);
  const bool o_bias = type != "qwen2" && f.flag("attention_bias", false);
  const bool mlp_bias = f.flag("mlp_bias", false);
  const int64_t D = c.d_model, Hq = int64_t(c.n_heads) * c.d_head, Hkv = int64_t(c.n_kv_heads) * c.d_head;
  TransformerWeights w;
  w.W_E = f.weight("model.embed_tokens.weight", {c.d_vocab, D});
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string b = "model.layers." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.ln1_w = f.weight(b + "input_layernorm.weight", {D});
    lw.ln2_w = f.weight(b + "post_attention_layernorm.weight", {D});
    lw.W_Q = f.weight(b + "self_attn.q_proj.weight", {Hq, D}).t();
    lw.W_K = f.weight(b + "self_attn.k_proj.weight", {Hkv, D}).t();
    lw.W_V = f.weight(b + "self_attn.v_proj.weight", {Hkv, D}).t();
    lw.W_O = f.weight(b + "self_attn.o_proj.weight", {D, Hq}).t();
    if (qkv_bias) {
      lw.b_Q = f.weight(b + "self_attn.q_proj.bias", {Hq});
      lw.b_K = f.weight(b + "self_attn.k_proj.bias", {Hkv});
      lw.b_V = f.weight(b + "self_attn.v_proj.bias", {Hkv});
    }
    if (o_bias) lw.b_O = f.weight(b + "self_attn.o_proj.bias", {D});
    lw.W_gate = f.weight(b + "mlp.gate_proj.weight", {c.d_mlp, D}).t();
    lw.W_in = f.weight(b + "mlp.up_proj.weight", {c.d_mlp, D}).t();
    lw.W_out = f.weight(b + "mlp.down_proj.weight", {D, c.d_mlp}).t();
    if (mlp_bias) {
      lw.b_in = f.weight(b + "mlp.up_proj.bias", {c.d_mlp});
      lw.b_out = f.weight(b + "mlp.down_proj.bias", {D});
    }
    w.layers.push_back(std::move(lw));
  }
  w.ln_final_w = f.weight("model.norm.weight", {D});
  const bool tied = f.flag("tie_word_embeddings", false) || !f.has("lm_head.weight");
  w.W_U = tied ? w.W_E.t() : f.weight("lm_head.weight", {c.d_vocab, D}).t();

  auto model = std::make_unique<Transformer>(c, std::move(w), f.config_path);
  model->describe(type, type);
  return model;
}

}  // namespace glassbox
