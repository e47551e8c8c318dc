// GPT-NeoX / Pythia (HF model_type gpt_neox): fused QKV whose rows are ordered
// (head, q|k|v, d_head), partial rotary, optional parallel residual, untied
// embed_out. nn.Linear weights are [out, in]: transposed views give x @ W.
#include <ATen/ATen.h>

#include "core/arch/family.h"
#include "core/arch/rope.h"
#include "core/transformer.h"

namespace glassbox {

std::unique_ptr<Model> load_gpt_neox(const ModelFolder& f) {
  TransformerConfig c;
  c.n_layers = static_cast<int>(f.integer("num_hidden_layers"));
  c.n_heads = c.n_kv_heads = static_cast<int>(f.integer("num_attention_heads"));
  c.d_model = static_cast<int>(f.integer("hidden_size"));
  if (c.n_heads <= 0 || c.d_model <= 0 || c.d_model % c.n_heads != 0) {
    f.config_error("hidden_size must be a positive multiple of num_attention_heads");
  }
  c.d_head = c.d_model / c.n_heads;
  c.d_mlp = static_cast<int>(f.integer("intermediate_size"));
  c.d_vocab = f.integer("vocab_size");
  c.n_ctx = f.integer("max_position_embeddings", 2048);
  c.norm = TransformerConfig::Norm::layernorm;
  c.norm_eps = f.number("layer_norm_eps", 1e-5);
  c.act = read_activation(f, "hidden_act", "gelu");
  c.parallel_residual = f.flag("use_parallel_residual", true);
  c.learned_pos = false;
  double partial = read_rope(f, "rotary_emb_base", 10000.0, c);
  partial = f.number("rotary_pct", partial);
  c.rotary_dim = static_cast<int>(c.d_head * partial);

  const std::string p = "gpt_neox.";
  const int64_t D = c.d_model, H = c.n_heads, dh = c.d_head;
  TransformerWeights w;
  w.W_E = f.weight(p + "embed_in.weight", {c.d_vocab, D});
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string b = p + "layers." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.ln1_w = f.weight(b + "input_layernorm.weight", {D});
    lw.ln1_b = f.weight(b + "input_layernorm.bias", {D});
    lw.ln2_w = f.weight(b + "post_attention_layernorm.weight", {D});
    lw.ln2_b = f.weight(b + "post_attention_layernorm.bias", {D});
    // [H, 3, dh, D]: split into q, k, v, each [H*dh, D], then x @ W layout.
    at::Tensor qkv = f.weight(b + "attention.query_key_value.weight", {3 * D, D}).view({H, 3, dh, D});
    at::Tensor qkv_b = f.weight(b + "attention.query_key_value.bias", {3 * D}).view({H, 3, dh});
    lw.W_Q = qkv.select(1, 0).reshape({D, D}).t();
    lw.W_K = qkv.select(1, 1).reshape({D, D}).t();
    lw.W_V = qkv.select(1, 2).reshape({D, D}).t();
    lw.b_Q = qkv_b.select(1, 0).reshape({D});
    lw.b_K = qkv_b.select(1, 1).reshape({D});
    lw.b_V = qkv_b.select(1, 2).reshape({D});
    lw.W_O = f.weight(b + "attention.dense.weight", {D, D}).t();
    lw.b_O = f.weight(b + "attention.dense.bias", {D});
    lw.W_in = f.weight(b + "mlp.dense_h_to_4h.weight", {c.d_mlp, D}).t();
    lw.b_in = f.weight(b + "mlp.dense_h_to_4h.bias", {c.d_mlp});
    lw.W_out = f.weight(b + "mlp.dense_4h_to_h.weight", {D, c.d_mlp}).t();
    lw.b_out = f.weight(b + "mlp.dense_4h_to_h.bias", {D});
    w.layers.push_back(std::move(lw));
  }
  w.ln_final_w = f.weight(p + "final_layer_norm.weight", {D});
  w.ln_final_b = f.weight(p + "final_layer_norm.bias", {D});
  const bool tied = f.flag("tie_word_embeddings", false) && !f.has("embed_out.weight");
  w.W_U = tied ? w.W_E.t() : f.weight("embed_out.weight", {c.d_vocab, D}).t();

  auto model = std::make_unique<Transformer>(c, std::move(w), f.config_path);
  model->describe("gpt_neox", "gpt_neox");
  return model;
}

}  // namespace glassbox
