// GPT-2 (HF model_type gpt2), and Glassbox toy transformers saved in its layout.
// Conv1D weights are stored [in, out], which is already x @ W's layout.
#include <ATen/ATen.h>

#include "core/arch/family.h"
#include "core/transformer.h"

namespace glassbox {

std::unique_ptr<Model> load_gpt2(const ModelFolder& f) {
  TransformerConfig c;
  c.n_layers = static_cast<int>(f.integer("n_layer"));
  c.n_heads = c.n_kv_heads = static_cast<int>(f.integer("n_head"));
  c.d_model = static_cast<int>(f.integer("n_embd"));
  if (c.n_heads <= 0 || c.d_model <= 0 || c.d_model % c.n_heads != 0) {
    f.config_error("n_embd (" + std::to_string(c.d_model) + ") must be a positive multiple of n_head (" +
                   std::to_string(c.n_heads) + ")");
  }
  c.d_head = c.d_model / c.n_heads;
  c.d_mlp = static_cast<int>(f.integer("n_inner", 4 * int64_t(c.d_model)));
  c.d_vocab = f.integer("vocab_size");
  c.n_ctx = f.integer("n_positions", f.integer("n_ctx", 1024));
  c.norm = TransformerConfig::Norm::layernorm;
  c.norm_eps = f.number("layer_norm_epsilon", 1e-5);
  c.act = read_activation(f, "activation_function", "gelu_new");
  if (f.flag("scale_attn_by_inverse_layer_idx", false) || f.flag("reorder_and_upcast_attn", false)) {
    f.config_error("scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported");
  }

  // HF saves GPT2LMHeadModel with "transformer." in front; GPT2Model without.
  const std::string p = f.has("transformer.wte.weight") ? "transformer." : "";
  const int64_t D = c.d_model;
  TransformerWeights w;
  w.W_E = f.weight(p + "wte.weight", {c.d_vocab, D});
  w.W_pos = f.weight(p + "wpe.weight", {c.n_ctx, D});
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string b = p + "h." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.ln1_w = f.weight(b + "ln_1.weight", {D});
    lw.ln1_b = f.weight(b + "ln_1.bias", {D});
    lw.ln2_w = f.weight(b + "ln_2.weight", {D});
    lw.ln2_b = f.weight(b + "ln_2.bias", {D});
    at::Tensor qkv = f.weight(b + "attn.c_attn.weight", {D, 3 * D});
    at::Tensor qkv_b = f.weight(b + "attn.c_attn.bias", {3 * D});
    lw.W_Q = qkv.narrow(1, 0, D);
    lw.W_K = qkv.narrow(1, D, D);
    lw.W_V = qkv.narrow(1, 2 * D, D);
    lw.b_Q = qkv_b.narrow(0, 0, D);
    lw.b_K = qkv_b.narrow(0, D, D);
    lw.b_V = qkv_b.narrow(0, 2 * D, D);
    lw.W_O = f.weight(b + "attn.c_proj.weight", {D, D});
    lw.b_O = f.weight(b + "attn.c_proj.bias", {D});
    lw.W_in = f.weight(b + "mlp.c_fc.weight", {D, c.d_mlp});
    lw.b_in = f.weight(b + "mlp.c_fc.bias", {c.d_mlp});
    lw.W_out = f.weight(b + "mlp.c_proj.weight", {c.d_mlp, D});
    lw.b_out = f.weight(b + "mlp.c_proj.bias", {D});
    w.layers.push_back(std::move(lw));
  }
  w.ln_final_w = f.weight(p + "ln_f.weight", {D});
  w.ln_final_b = f.weight(p + "ln_f.bias", {D});
  const bool tied = f.flag("tie_word_embeddings", true) || !f.has("lm_head.weight");
  w.W_U = tied ? w.W_E.t() : f.weight("lm_head.weight", {c.d_vocab, D}).t();

  auto model = std::make_unique<Transformer>(c, std::move(w), f.config_path);
  model->describe("gpt2", f.string("model_type", "gpt2"));
  return model;
}

}  // namespace glassbox
