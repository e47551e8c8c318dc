// A .gguf model presented as the Hugging Face folder it was converted from:
// the metadata becomes the equivalent config.json, the tensors get their HF
// names and layouts back (undoing what llama.cpp's convert_hf_to_gguf.py
// does), so the family files and the hook points are the same for both.
#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <optional>

#include "core/arch/family.h"
#include "core/error.h"
#include "core/gguf.h"

namespace glassbox {

namespace {

using nlohmann::json;

// How a GGUF tensor is turned back into the HF one.
enum class Relayout {
  none,
  transpose,        // GPT-2 Conv1D weights: GGUF [out, in], HF [in, out]
  unpermute_q,      // llama: the converter interleaved rotary pairs of q_proj rows...
  unpermute_k,      // ...and of k_proj rows (with the key/value head count)
  neox_fused_qkv,   // GPT-NeoX: GGUF (q|k|v, head, d_head), HF (head, q|k|v, d_head)
};

struct HfTensor {
  std::string name;
  Relayout relayout = Relayout::none;
};

struct NameRule {
  const char* gguf;  // after "blk.N." for per-layer tensors
  const char* hf;    // after the HF layer prefix
  Relayout relayout;
};

struct ArchMapping {
  const char* arch;        // general.architecture
  const char* model_type;  // the HF model_type it loads as
  const char* layer_prefix;
  std::vector<NameRule> top, layer;
};

const std::vector<ArchMapping>& arch_mappings() {
  static const std::vector<NameRule> llama_layer = {
      {"attn_norm.weight", "input_layernorm.weight", Relayout::none},
      {"ffn_norm.weight", "post_attention_layernorm.weight", Relayout::none},
      {"attn_q.weight", "self_attn.q_proj.weight", Relayout::unpermute_q},
      {"attn_k.weight", "self_attn.k_proj.weight", Relayout::unpermute_k},
      {"attn_v.weight", "self_attn.v_proj.weight", Relayout::none},
      {"attn_output.weight", "self_attn.o_proj.weight", Relayout::none},
      {"attn_q.bias", "self_attn.q_proj.bias", Relayout::unpermute_q},
      {"attn_k.bias", "self_attn.k_proj.bias", Relayout::unpermute_k},
      {"attn_v.bias", "self_attn.v_proj.bias", Relayout::none},
      {"ffn_gate.weight", "mlp.gate_proj.weight", Relayout::none},
      {"ffn_up.weight", "mlp.up_proj.weight", Relayout::none},
      {"ffn_down.weight", "mlp.down_proj.weight", Relayout::none},
  };
  static const std::vector<NameRule> llama_top = {
      {"token_embd.weight", "model.embed_tokens.weight", Relayout::none},
      {"output_norm.weight", "model.norm.weight", Relayout::none},
      {"output.weight", "lm_head.weight", Relayout::none},
  };
  // Qwen2 uses rotate-half rotary in llama.cpp too: nothing was permuted.
  static std::vector<NameRule> qwen2_layer = [] {
    std::vector<NameRule> rules = llama_layer;
    for (NameRule& r : rules) r.relayout = Relayout::none;
    return rules;
  }();
  static const std::vector<ArchMapping> mappings = {
      {"llama", "llama", "model.layers.", llama_top, llama_layer},
      {"qwen2", "qwen2", "model.layers.", llama_top, qwen2_layer},
      {"gpt2", "gpt2", "h.",
       {{"token_embd.weight", "wte.weight", Relayout::none},
        {"position_embd.weight", "wpe.weight", Relayout::none},
        {"output_norm.weight", "ln_f.weight", Relayout::none},
        {"output_norm.bias", "ln_f.bias", Relayout::none},
        {"output.weight", "lm_head.weight", Relayout::none}},
       {{"attn_norm.weight", "ln_1.weight", Relayout::none},
        {"attn_norm.bias", "ln_1.bias", Relayout::none},
        {"attn_qkv.weight", "attn.c_attn.weight", Relayout::transpose},
        {"attn_qkv.bias", "attn.c_attn.bias", Relayout::none},
        {"attn_output.weight", "attn.c_proj.weight", Relayout::transpose},
        {"attn_output.bias", "attn.c_proj.bias", Relayout::none},
        {"ffn_norm.weight", "ln_2.weight", Relayout::none},
        {"ffn_norm.bias", "ln_2.bias", Relayout::none},
        {"ffn_up.weight", "mlp.c_fc.weight", Relayout::transpose},
        {"ffn_up.bias", "mlp.c_fc.bias", Relayout::none},
        {"ffn_down.weight", "mlp.c_proj.weight", Relayout::transpose},
        {"ffn_down.bias", "mlp.c_proj.bias", Relayout::none}}},
      {"gptneox", "gpt_neox", "gpt_neox.layers.",
       {{"token_embd.weight", "gpt_neox.embed_in.weight", Relayout::none},
        {"output_norm.weight", "gpt_neox.final_layer_norm.weight", Relayout::none},
        {"output_norm.bias", "gpt_neox.final_layer_norm.bias", Relayout::none},
        {"output.weight", "embed_out.weight", Relayout::none}},
       {{"attn_norm.weight", "input_layernorm.weight", Relayout::none},
        {"attn_norm.bias", "input_layernorm.bias", Relayout::none},
        {"ffn_norm.weight", "post_attention_layernorm.weight", Relayout::none},
        {"ffn_norm.bias", "post_attention_layernorm.bias", Relayout::none},
        {"attn_qkv.weight", "attention.query_key_value.weight", Relayout::neox_fused_qkv},
        {"attn_qkv.bias", "attention.query_key_value.bias", Relayout::neox_fused_qkv},
        {"attn_output.weight", "attention.dense.weight", Relayout::none},
        {"attn_output.bias", "attention.dense.bias", Relayout::none},
        {"ffn_up.weight", "mlp.dense_h_to_4h.weight", Relayout::none},
        {"ffn_up.bias", "mlp.dense_h_to_4h.bias", Relayout::none},
        {"ffn_down.weight", "mlp.dense_4h_to_h.weight", Relayout::none},
        {"ffn_down.bias", "mlp.dense_4h_to_h.bias", Relayout::none}}},
  };
  return mappings;
}

// "blk.3.attn_q.weight" -> layer 3, "attn_q.weight".
std::optional<std::pair<std::string, std::string>> split_layer(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return std::nullopt;
  const size_t dot = name.find('.', 4);
  if (dot == std::string::npos || dot == 4) return std::nullopt;
  const std::string layer = name.substr(4, dot - 4);
  if (layer.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::make_pair(layer, name.substr(dot + 1));
}

std::optional<HfTensor> hf_tensor(const ArchMapping& mapping, const std::string& gguf_name) {
  for (const NameRule& rule : mapping.top)
    if (gguf_name == rule.gguf) return HfTensor{rule.hf, rule.relayout};
  if (auto layer = split_layer(gguf_name)) {
    for (const NameRule& rule : mapping.layer)
      if (layer->second == rule.gguf)
        return HfTensor{mapping.layer_prefix + layer->first + "." + rule.hf, rule.relayout};
  }
  return std::nullopt;
}

// Undoes convert_hf_to_gguf.py's permute(): it grouped each head's rows as
// (d_head/2, 2) from HF's (2, d_head/2), interleaving the rotate-half pairs.
at::Tensor unpermute_rotary(const at::Tensor& t, int64_t heads, const std::string& path, const std::string& name) {
  if (heads <= 0 || t.size(0) % (2 * heads) != 0)
    fail(path, "tensor '" + name + "': " + std::to_string(t.size(0)) + " rows do not split into " +
                   std::to_string(heads) + " heads of rotary pairs");
  std::vector<int64_t> shape = t.sizes().vec();
  std::vector<int64_t> grouped = {heads, t.size(0) / heads / 2, 2};
  grouped.insert(grouped.end(), shape.begin() + 1, shape.end());
  return t.reshape(grouped).transpose(1, 2).reshape(shape).contiguous();
}

at::Tensor neox_fused_qkv(const at::Tensor& t, int64_t heads, const std::string& path, const std::string& name) {
  if (heads <= 0 || t.size(0) % (3 * heads) != 0)
    fail(path, "tensor '" + name + "': " + std::to_string(t.size(0)) + " rows do not split into q, k, v of " +
                   std::to_string(heads) + " heads");
  std::vector<int64_t> shape = t.sizes().vec();
  std::vector<int64_t> grouped = {3, heads, t.size(0) / heads / 3};
  grouped.insert(grouped.end(), shape.begin() + 1, shape.end());
  return t.reshape(grouped).transpose(0, 1).reshape(shape).contiguous();
}

// A count or width the model is built from: positive, and small enough for
// the int the families keep it in (a larger one would wrap silently).
int64_t size_value(const GgufFile& file, const std::string& key, std::optional<int64_t> fallback = std::nullopt) {
  if (fallback && !file.find(key)) return *fallback;
  const int64_t value = file.integer(key);
  if (value <= 0 || value > INT32_MAX)
    fail(file.path(), "metadata '" + key + "' is " + std::to_string(value) + " (expected 1 to " +
                          std::to_string(INT32_MAX) + ")");
  return value;
}

// The HF config.json llama.cpp's converter read the metadata from.
json hf_config(const GgufFile& file, const ArchMapping& mapping) {
  const std::string a = std::string(mapping.arch) + ".";
  const GgufTensor* embedding = file.tensor("token_embd.weight");
  if (!embedding || embedding->shape.size() != 2) fail(file.path(), "no 2-D tensor 'token_embd.weight'");
  const int64_t vocab = embedding->shape[0];
  // llama.cpp sizes the embedding by the vocabulary; a file where they differ is damaged.
  if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
      tokens && tokens->type == GgufValueType::ARRAY && tokens->count != static_cast<uint64_t>(vocab))
    fail(file.path(), "tokenizer.ggml.tokens lists " + std::to_string(tokens->count) +
                          " tokens, but 'token_embd.weight' has " + std::to_string(vocab) + " rows (one per token)");
  const int64_t layers = size_value(file, a + "block_count");
  const int64_t heads = size_value(file, a + "attention.head_count");
  const int64_t hidden = size_value(file, a + "embedding_length");
  const int64_t context = size_value(file, a + "context_length", 2048);
  if (!file.find(a + "attention.key_length") && hidden % heads != 0)
    fail(file.path(), a + "embedding_length " + std::to_string(hidden) + " is not a multiple of " + a +
                          "attention.head_count " + std::to_string(heads));
  const int64_t d_head = size_value(file, a + "attention.key_length", hidden / heads);
  const bool tied = !file.tensor("output.weight");
  json c = {{"model_type", mapping.model_type}, {"vocab_size", vocab}, {"tie_word_embeddings", tied}};
  const std::string type = mapping.model_type;
  if (type == "gpt2") {
    c["n_layer"] = layers;
    c["n_head"] = heads;
    c["n_embd"] = hidden;
    c["n_inner"] = size_value(file, a + "feed_forward_length", 4 * hidden);
    const GgufTensor* positions = file.tensor("position_embd.weight");
    c["n_positions"] = positions && positions->shape.size() == 2 ? positions->shape[0] : context;
    c["layer_norm_epsilon"] = file.number(a + "attention.layer_norm_epsilon", 1e-5);
    return c;
  }
  c["num_hidden_layers"] = layers;
  c["num_attention_heads"] = heads;
  c["hidden_size"] = hidden;
  c["intermediate_size"] = size_value(file, a + "feed_forward_length");
  c["max_position_embeddings"] = context;
  const double rotary_fraction =
      static_cast<double>(file.integer(a + "rope.dimension_count", d_head)) / static_cast<double>(d_head);
  if (type == "gpt_neox") {
    c["layer_norm_eps"] = file.number(a + "attention.layer_norm_epsilon", 1e-5);
    c["use_parallel_residual"] = file.flag(a + "use_parallel_residual", true);
    c["rotary_emb_base"] = file.number(a + "rope.freq_base", 10000.0);
    c["rotary_pct"] = rotary_fraction;
    return c;
  }
  c["num_key_value_heads"] = size_value(file, a + "attention.head_count_kv", heads);
  c["head_dim"] = d_head;
  c["rms_norm_eps"] = file.number(a + "attention.layer_norm_rms_epsilon", 1e-6);
  c["rope_theta"] = file.number(a + "rope.freq_base", 10000.0);
  if (rotary_fraction != 1.0) c["rope_parameters"] = {{"partial_rotary_factor", rotary_fraction}};
  // Scaled rotary changes every position's numbers: refuse rather than be wrong.
  const std::string scaling = file.string(a + "rope.scaling.type", "none");
  if (scaling != "none") fail(file.path(), "rope scaling '" + scaling + "' (" + a + "rope.scaling.type) is not supported");
  if (file.tensor("rope_freqs.weight"))
    fail(file.path(), "tensor 'rope_freqs.weight' (Llama 3 rope scaling factors) is not supported");
  return c;
}

}  // namespace

ModelFolder gguf_model_folder(const GgufFile& file, c10::Device device, c10::ScalarType dtype,
                              std::string& weights_dtype) {
  const std::string arch = file.string("general.architecture");
  const ArchMapping* mapping = nullptr;
  for (const ArchMapping& m : arch_mappings())
    if (arch == m.arch) mapping = &m;
  if (!mapping) {
    std::string list;
    for (const ArchMapping& m : arch_mappings()) list += (list.empty() ? "" : ", ") + std::string(m.arch);
    fail(file.path(), "general.architecture '" + arch + "' is not supported (supported: " + list + ")");
  }
  ModelFolder folder;
  folder.dir = file.path();
  folder.config_path = file.path();
  folder.config = hf_config(file, *mapping);
  folder.device = device;
  folder.dtype = dtype;

  const int64_t heads = folder.config.value("num_attention_heads", folder.config.value("n_head", int64_t(0)));
  const int64_t kv_heads = folder.config.value("num_key_value_heads", heads);
  std::map<std::string, size_t> bytes_of_type;  // of the layers' matrices, to name the main type
  for (const GgufTensor& t : file.tensors()) {
    const std::optional<HfTensor> hf = hf_tensor(*mapping, t.name);
    if (!hf) continue;  // e.g. rope tables llama.cpp computes itself
    at::Tensor values = at::empty(t.shape, at::kFloat);
    file.dequantize(t, values.data_ptr<float>());
    file.release(t);  // the quantized bytes are not needed again
    if (nonfinite_kind(values)) folder.nonfinite_tensors.push_back(t.name);
    switch (hf->relayout) {
      case Relayout::none: break;
      case Relayout::transpose:
        if (values.dim() != 2) fail(file.path(), "tensor '" + t.name + "' must be 2-D");
        values = values.t().contiguous();
        break;
      case Relayout::unpermute_q: values = unpermute_rotary(values, heads, file.path(), t.name); break;
      case Relayout::unpermute_k: values = unpermute_rotary(values, kv_heads, file.path(), t.name); break;
      case Relayout::neox_fused_qkv: values = neox_fused_qkv(values, heads, file.path(), t.name); break;
    }
    if (dtype != at::kFloat || !device.is_cpu()) values = values.to(device, dtype);
    folder.converted[hf->name] = values;
    if (t.shape.size() == 2 && split_layer(t.name)) bytes_of_type[ggml_type_name(t.type)] += t.nbytes;
  }
  weights_dtype.clear();
  size_t most = 0;
  for (const auto& [type, bytes] : bytes_of_type) {
    if (bytes > most) weights_dtype = type, most = bytes;
  }
  return folder;
}

}  // namespace glassbox
