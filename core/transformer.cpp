#include "core/transformer.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/layer_split.h"
#include "core/progress.h"

namespace glassbox {

namespace {

void expect_shape(const at::Tensor& t, std::vector<int64_t> shape, const std::string& what,
                  const std::string& source) {
  if (!t.defined()) fail(source, "missing weight " + what);
  if (t.sizes().vec() != shape) {
    std::string want, got;
    for (auto d : shape) want += (want.empty() ? "" : ",") + std::to_string(d);
    for (auto d : t.sizes()) got += (got.empty() ? "" : ",") + std::to_string(d);
    fail(source, "weight " + what + " has shape [" + got + "], the config implies [" + want + "]");
  }
}

void expect_optional(const at::Tensor& t, std::vector<int64_t> shape, const std::string& what,
                     const std::string& source) {
  if (t.defined()) expect_shape(t, std::move(shape), what, source);
}

}  // namespace

std::vector<at::Tensor*> LayerWeights::tensors() {
  return {&ln1_w, &ln1_b, &ln2_w, &ln2_b, &W_Q, &b_Q, &W_K, &b_K, &W_V,
          &b_V,   &W_O,   &b_O,   &W_in,  &b_in, &W_gate, &W_out, &b_out};
}

std::vector<const at::Tensor*> LayerWeights::tensors() const {
  std::vector<at::Tensor*> all = const_cast<LayerWeights*>(this)->tensors();
  return {all.begin(), all.end()};
}

Transformer::Transformer(TransformerConfig config, TransformerWeights weights, const std::string& source)
    : cfg_(std::move(config)), w_(std::move(weights)) {
  const auto& c = cfg_;
  if (c.n_layers <= 0 || c.n_heads <= 0 || c.d_model <= 0 || c.d_head <= 0 || c.d_mlp <= 0 || c.d_vocab <= 0) {
    fail(source, "layers, heads, widths and vocabulary size must be positive");
  }
  if (c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads != 0) {
    fail(source, "the number of attention heads (" + std::to_string(c.n_heads) +
                     ") must be a multiple of the key/value heads (" + std::to_string(c.n_kv_heads) + ")");
  }
  if (c.rotary_dim < 0 || c.rotary_dim > c.d_head || c.rotary_dim % 2) {
    fail(source, "rotary dimension " + std::to_string(c.rotary_dim) + " must be even and at most d_head");
  }
  if (static_cast<int>(w_.layers.size()) != c.n_layers) fail(source, "layer count differs from the config");
  const int64_t D = c.d_model, Hq = int64_t(c.n_heads) * c.d_head, Hkv = int64_t(c.n_kv_heads) * c.d_head;
  expect_shape(w_.W_E, {c.d_vocab, D}, "token embedding", source);
  if (c.learned_pos) expect_shape(w_.W_pos, {c.n_ctx, D}, "position embedding", source);
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w_.layers[l];
    std::string at = " of layer " + std::to_string(l);
    expect_shape(lw.ln1_w, {D}, "ln1 weight" + at, source);
    expect_shape(lw.ln2_w, {D}, "ln2 weight" + at, source);
    expect_optional(lw.ln1_b, {D}, "ln1 bias" + at, source);
    expect_optional(lw.ln2_b, {D}, "ln2 bias" + at, source);
    expect_shape(lw.W_Q, {D, Hq}, "query weight" + at, source);
    expect_shape(lw.W_K, {D, Hkv}, "key weight" + at, source);
    expect_shape(lw.W_V, {D, Hkv}, "value weight" + at, source);
    expect_shape(lw.W_O, {Hq, D}, "attention output weight" + at, source);
    expect_optional(lw.b_Q, {Hq}, "query bias" + at, source);
    expect_optional(lw.b_K, {Hkv}, "key bias" + at, source);
    expect_optional(lw.b_V, {Hkv}, "value bias" + at, source);
    expect_optional(lw.b_O, {D}, "attention output bias" + at, source);
    expect_shape(lw.W_in, {D, c.d_mlp}, "MLP input weight" + at, source);
    if (c.gated_mlp) expect_shape(lw.W_gate, {D, c.d_mlp}, "MLP gate weight" + at, source);
    expect_shape(lw.W_out, {c.d_mlp, D}, "MLP output weight" + at, source);
    expect_optional(lw.b_in, {c.d_mlp}, "MLP input bias" + at, source);
    expect_optional(lw.b_out, {D}, "MLP output bias" + at, source);
  }
  expect_shape(w_.ln_final_w, {D}, "final norm weight", source);
  expect_optional(w_.ln_final_b, {D}, "final norm bias", source);
  expect_shape(w_.W_U, {D, c.d_vocab}, "unembedding", source);
  expect_optional(w_.b_U, {c.d_vocab}, "unembedding bias", source);

  if (c.rotary_dim > 0) {
    // Computed in double, as HF's float32 tables agree to ~1e-7.
    const int half = c.rotary_dim / 2;
    std::vector<double> inv(half);
    for (int i = 0; i < half; ++i) inv[i] = 1.0 / std::pow(c.rope_theta, (2.0 * i) / c.rotary_dim);
    if (c.rope_llama3_factor > 0) {
      // rope_scaling type llama3: long wavelengths slowed by `factor`, a smooth
      // blend between the low- and high-frequency cut-offs.
      const double old_len = static_cast<double>(c.rope_original_max_pos);
      const double low_wavelen = old_len / c.rope_low_freq_factor;
      const double high_wavelen = old_len / c.rope_high_freq_factor;
      for (double& f : inv) {
        double wavelen = 2 * M_PI / f;
        if (wavelen > low_wavelen) {
          f /= c.rope_llama3_factor;
        } else if (wavelen >= high_wavelen) {
          double smooth = (old_len / wavelen - c.rope_low_freq_factor) /
                          (c.rope_high_freq_factor - c.rope_low_freq_factor);
          f = (1 - smooth) * f / c.rope_llama3_factor + smooth * f;
        }
      }
    }
    inv_freq_ = at::tensor(inv, at::kDouble);
  }
  fuse_projections();
}

// At short prompts three small GEMMs cost more than one of their total width.
// W_Q, W_K and W_V become views of the fused matrix, so it costs no memory.
// Weights being trained stay the optimiser's own tensors, unfused.
void Transformer::fuse_projections() {
  const int64_t Hq = int64_t(cfg_.n_heads) * cfg_.d_head, Hkv = int64_t(cfg_.n_kv_heads) * cfg_.d_head;
  for (LayerWeights& lw : w_.layers) {
    if (lw.W_Q.requires_grad()) continue;
    lw.W_QKV = at::cat({lw.W_Q, lw.W_K, lw.W_V}, 1);
    lw.W_Q = lw.W_QKV.narrow(1, 0, Hq);
    lw.W_K = lw.W_QKV.narrow(1, Hq, Hkv);
    lw.W_V = lw.W_QKV.narrow(1, Hq + Hkv, Hkv);
    const auto bias_or_zero = [&](const at::Tensor& b, int64_t n) { return b.defined() ? b : at::zeros({n}, lw.W_QKV.options()); };
    lw.b_QKV = lw.b_Q.defined() || lw.b_K.defined() || lw.b_V.defined()
                   ? at::cat({bias_or_zero(lw.b_Q, Hq), bias_or_zero(lw.b_K, Hkv), bias_or_zero(lw.b_V, Hkv)})
                   : at::Tensor();
    lw.W_gate_in = cfg_.gated_mlp ? at::cat({lw.W_gate, lw.W_in}, 1) : at::Tensor();
  }
}

void Transformer::describe(const std::string& family, const std::string& model_type) {
  const auto& c = cfg_;
  info_.family = family;
  info_.model_type = model_type;
  info_.n_layers = c.n_layers;
  info_.n_heads = c.n_heads;
  info_.n_kv_heads = c.n_kv_heads;
  info_.d_model = c.d_model;
  info_.d_head = c.d_head;
  info_.d_mlp = c.d_mlp;
  info_.d_vocab = c.d_vocab;
  info_.n_ctx = c.n_ctx;
  info_.norm = c.norm == TransformerConfig::Norm::layernorm ? "layernorm" : "rmsnorm";
  static const char* acts[] = {"gelu_new", "gelu", "silu", "relu"};
  info_.act = acts[static_cast<int>(c.act)];
  info_.positional = c.rotary_dim > 0 ? "rotary" : (c.learned_pos ? "learned" : "none");
  info_.rotary_dim = c.rotary_dim;
  info_.parallel_residual = c.parallel_residual;
  info_.gated_mlp = c.gated_mlp;
  info_.tied_embeddings = w_.W_U.data_ptr() == w_.W_E.data_ptr();

  int64_t n = w_.W_E.numel() + (w_.W_pos.defined() ? w_.W_pos.numel() : 0);
  auto count = [&n](const at::Tensor& t) { n += t.defined() ? t.numel() : 0; };
  for (const auto& lw : w_.layers)
    for (const at::Tensor* t : lw.tensors()) count(*t);
  count(w_.ln_final_w);
  count(w_.ln_final_b);
  count(w_.b_U);
  if (!info_.tied_embeddings) count(w_.W_U);
  info_.n_params = n;

  info_.hook_names = {hook_name(Hook::embed, 0)};
  if (c.learned_pos) info_.hook_names.push_back(hook_name(Hook::pos_embed, 0));
  for (int l = 0; l < c.n_layers; ++l) {
    for (int h = static_cast<int>(Hook::resid_pre); h <= static_cast<int>(Hook::resid_post); ++h) {
      Hook hk = static_cast<Hook>(h);
      if ((hk == Hook::rot_q || hk == Hook::rot_k) && c.rotary_dim == 0) continue;
      if (hk == Hook::resid_mid && c.parallel_residual) continue;
      if (hk == Hook::mlp_pre_linear && !c.gated_mlp) continue;
      info_.hook_names.push_back(hook_name(hk, l));
    }
  }
  info_.hook_names.push_back(hook_name(Hook::ln_final_scale, 0));
  info_.hook_names.push_back(hook_name(Hook::ln_final_normalized, 0));
}

at::Tensor Transformer::on_first_device(const at::Tensor& t) const {
  return block_devices_.empty() ? t : t.to(device_);
}

// On the first device, so that analyses combine heads of any layers.
at::Tensor Transformer::W_Q(int l) const {
  return on_first_device(w_.layers.at(l).W_Q).view({cfg_.d_model, cfg_.n_heads, cfg_.d_head}).permute({1, 0, 2});
}
at::Tensor Transformer::W_K(int l) const {
  return on_first_device(w_.layers.at(l).W_K).view({cfg_.d_model, cfg_.n_kv_heads, cfg_.d_head}).permute({1, 0, 2});
}
at::Tensor Transformer::W_V(int l) const {
  return on_first_device(w_.layers.at(l).W_V).view({cfg_.d_model, cfg_.n_kv_heads, cfg_.d_head}).permute({1, 0, 2});
}
at::Tensor Transformer::W_O(int l) const {
  return on_first_device(w_.layers.at(l).W_O).view({cfg_.n_heads, cfg_.d_head, cfg_.d_model});
}

void Transformer::place_layers(const std::vector<std::string>& names) {
  const LayerSplit split = split_layers(cfg_.n_layers, names);
  std::vector<c10::Device> devices;
  for (const std::string& name : names) devices.push_back(parse_device(name));
  const auto move = [](at::Tensor& t, c10::Device device) {
    if (t.defined()) t = t.to(device);
  };
  // Layer by layer, so that no device ever holds more than its share.
  block_devices_.clear();
  info_.block_devices.clear();
  for (int l = 0; l < cfg_.n_layers; ++l) {
    const int d = split.block_device.at(static_cast<size_t>(l));
    block_devices_.push_back(devices[d]);
    info_.block_devices.push_back(split.devices[d]);
    for (at::Tensor* t : w_.layers[l].tensors()) move(*t, devices[d]);
  }
  move(w_.W_E, devices.front());
  move(w_.W_pos, devices.front());
  for (at::Tensor* t : {&w_.ln_final_w, &w_.ln_final_b, &w_.W_U, &w_.b_U}) move(*t, devices.back());
  device_ = devices.front();
  fuse_projections();  // again, on each block's device
}

namespace {

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  at::Tensor y = at::matmul(x, w);
  return b.defined() ? y + b : y;
}

}  // namespace

at::Tensor Transformer::norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, HookContext* hooks,
                             Hook scale_hook, Hook normalized_hook, int layer, int64_t offset) const {
  // Statistics in float32 whatever the compute dtype, as the references do.
  const at::Tensor xf = x.to(at::kFloat);
  const bool layernorm = cfg_.norm == TransformerConfig::Norm::layernorm;
  if (!hook_wanted(hooks, scale_hook, layer) && !hook_wanted(hooks, normalized_hook, layer)) {
    at::Tensor y = layernorm ? at::layer_norm(xf, {xf.size(-1)}, w.to(at::kFloat),
                                              b.defined() ? b.to(at::kFloat) : at::Tensor(), cfg_.norm_eps)
                             : xf * at::rsqrt(xf.pow(2).mean(-1, true) + cfg_.norm_eps);
    if (layernorm) return y.to(x.scalar_type());
    return y.to(x.scalar_type()) * w;
  }
  at::Tensor centered = layernorm ? xf - xf.mean(-1, true) : xf;
  at::Tensor scale = hook(hooks, scale_hook, layer, (centered.pow(2).mean(-1, true) + cfg_.norm_eps).sqrt(), offset);
  at::Tensor normalized = hook(hooks, normalized_hook, layer, centered / scale, offset).to(x.scalar_type());
  at::Tensor y = normalized * w;
  return b.defined() ? y + b : y;
}

at::Tensor Transformer::rotary_tables(int64_t offset, int64_t length, bool cosine) const {
  at::Tensor pos = at::arange(offset, offset + length, at::kDouble);
  at::Tensor freqs = at::outer(pos, inv_freq_);
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  return (cosine ? emb.cos() : emb.sin()).to(at::kFloat);
}

namespace {

// Rotate-half RoPE on the first rotary_dim features of [B, T, H, d_head].
at::Tensor apply_rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, int rotary_dim) {
  const int64_t T = x.size(1);
  at::Tensor rot = x.narrow(-1, 0, rotary_dim);
  at::Tensor half1 = rot.narrow(-1, 0, rotary_dim / 2), half2 = rot.narrow(-1, rotary_dim / 2, rotary_dim / 2);
  at::Tensor rotated = at::cat({-half2, half1}, -1);
  at::Tensor c = cos.view({1, T, 1, rotary_dim}).to(x.options());
  at::Tensor s = sin.view({1, T, 1, rotary_dim}).to(x.options());
  at::Tensor out = rot * c + rotated * s;
  if (rotary_dim == x.size(-1)) return out;
  return at::cat({out, x.narrow(-1, rotary_dim, x.size(-1) - rotary_dim)}, -1);
}

// Decoding with a KV cache brings the sequence in chunks, and the active edits
// stay for all of them: positions past this chunk's `end` wait for the chunk
// that reaches them (earlier ones were applied by an earlier chunk).
std::vector<Edit> edits_reached_by(const std::vector<Edit>& edits, int64_t end) {
  std::vector<Edit> reached;
  for (const Edit& e : edits) {
    Edit r = e;
    r.positions.clear();
    for (int64_t p : e.positions) {
      if (p < end) r.positions.push_back(p);
    }
    if (e.positions.empty() || !r.positions.empty()) reached.push_back(std::move(r));
  }
  return reached;
}

// Bytes of scores per block of queries when the attention runs blockwise.
constexpr int64_t kAttentionBlockBytes = int64_t{8} << 20;

}  // namespace

at::Tensor Transformer::attention(const LayerWeights& lw, const at::Tensor& x, int l, KVCache* kv,
                                  HookContext* hooks, int64_t offset, const Rotary& rotary) const {
  const int64_t B = x.size(0), T = x.size(1), H = cfg_.n_heads, Hkv = cfg_.n_kv_heads, dh = cfg_.d_head;
  const at::Tensor qkv = lw.W_QKV.defined() ? linear(x, lw.W_QKV, lw.b_QKV)
                                            : at::cat({linear(x, lw.W_Q, lw.b_Q), linear(x, lw.W_K, lw.b_K),
                                                       linear(x, lw.W_V, lw.b_V)}, -1);
  at::Tensor q = hook(hooks, Hook::q, l, qkv.narrow(-1, 0, H * dh).view({B, T, H, dh}), offset);
  at::Tensor k = hook(hooks, Hook::k, l, qkv.narrow(-1, H * dh, Hkv * dh).view({B, T, Hkv, dh}), offset);
  at::Tensor v = hook(hooks, Hook::v, l, qkv.narrow(-1, (H + Hkv) * dh, Hkv * dh).view({B, T, Hkv, dh}), offset);
  if (cfg_.rotary_dim > 0) {
    const auto& [cos, sin] = rotary;
    q = hook(hooks, Hook::rot_q, l, apply_rotary(q, cos.to(x.device()), sin.to(x.device()), cfg_.rotary_dim), offset);
    k = hook(hooks, Hook::rot_k, l, apply_rotary(k, cos.to(x.device()), sin.to(x.device()), cfg_.rotary_dim), offset);
  }
  at::Tensor qh = q.transpose(1, 2), kh = k.transpose(1, 2), vh = v.transpose(1, 2);  // [B, H, T, dh]
  if (kv) {
    if (kv->k[l].defined()) {
      kh = at::cat({kv->k[l], kh}, 2);
      vh = at::cat({kv->v[l], vh}, 2);
    }
    kv->k[l] = kh;
    kv->v[l] = vh;
  }
  if (Hkv != H) {
    kh = kh.repeat_interleave(H / Hkv, 1);
    vh = vh.repeat_interleave(H / Hkv, 1);
  }
  const int64_t Tk = kh.size(2);
#if TORCH_VERSION_MAJOR >= 2
  // Fused attention where no one looks at or edits the scores and the pattern: the
  // T × T square is never materialised. Causal from position 0 only (is_causal aligns
  // queries and keys at the top left) and within any sliding window.
  const bool window_applies = cfg_.sliding_window > 0 && offset + T > cfg_.sliding_window;
  if (offset == 0 && !window_applies && x.scalar_type() == at::kFloat && !hook_wanted(hooks, Hook::attn_scores, l) &&
      !hook_wanted(hooks, Hook::pattern, l)) {
    at::Tensor z = at::scaled_dot_product_attention(qh, kh, vh, {}, 0.0, /*is_causal=*/true).transpose(1, 2);
    z = hook(hooks, Hook::z, l, z, offset);
    return linear(z.reshape({B, T, H * dh}), lw.W_O, lw.b_O);
  }
#endif
  const double scale = 1.0 / std::sqrt(double(dh));
  // Query i sits at absolute position offset+i and sees keys 0..offset+i.
  at::Tensor mask = at::ones({T, Tk}, at::TensorOptions().dtype(at::kBool).device(x.device())).triu(offset + 1);
  if (cfg_.sliding_window > 0 && offset + T > cfg_.sliding_window) {
    mask = mask.logical_or(at::ones_like(mask).tril(offset - cfg_.sliding_window));
  }
  at::Tensor z;
  if (!hook_wanted(hooks, Hook::attn_scores, l) && !hook_wanted(hooks, Hook::pattern, l)) {
    // No one looks at the scores or the pattern: queries in blocks, each against only the
    // keys it can see. The [H, block, keys] temporaries stay small enough for the allocator
    // to reuse (a fresh [H, T, T] square per layer costs more in page faults than in
    // arithmetic at T = 2,048), and the masked half of the square is never computed.
    const int64_t block = std::max<int64_t>(16, kAttentionBlockBytes / (int64_t{sizeof(float)} * B * H * Tk));
    std::vector<at::Tensor> parts;
    for (int64_t q0 = 0; q0 < T; q0 += block) {
      const int64_t n = std::min(block, T - q0), keys = std::min(Tk, offset + q0 + n);
      at::Tensor s = at::matmul(qh.narrow(2, q0, n), kh.narrow(2, 0, keys).transpose(-1, -2)).to(at::kFloat) * scale;
      s.masked_fill_(mask.narrow(0, q0, n).narrow(1, 0, keys), -INFINITY);
      parts.push_back(at::matmul(at::softmax(s, -1).to(vh.scalar_type()), vh.narrow(2, 0, keys)));
    }
    z = (parts.size() == 1 ? parts[0] : at::cat(parts, 2)).transpose(1, 2);  // [B, T, H, dh]
  } else {
    at::Tensor scores = at::matmul(qh, kh.transpose(-1, -2)).to(at::kFloat) * scale;
    scores = hook(hooks, Hook::attn_scores, l, scores.masked_fill(mask, -INFINITY), offset);
    at::Tensor pattern = hook(hooks, Hook::pattern, l, at::softmax(scores, -1), offset);
    z = at::matmul(pattern.to(vh.scalar_type()), vh).transpose(1, 2);  // [B, T, H, dh]
  }
  z = hook(hooks, Hook::z, l, z, offset);
  return linear(z.reshape({B, T, H * dh}), lw.W_O, lw.b_O);
}

at::Tensor Transformer::mlp(const LayerWeights& lw, const at::Tensor& x, int l, HookContext* hooks,
                            int64_t offset) const {
  auto act = [this](const at::Tensor& t) {
    switch (cfg_.act) {
      case TransformerConfig::Act::gelu_new: return at::gelu(t, "tanh");
      case TransformerConfig::Act::gelu: return at::gelu(t);
      case TransformerConfig::Act::silu: return at::silu(t);
      case TransformerConfig::Act::relu: return at::relu(t);
    }
    return t;
  };
  at::Tensor post;
  if (cfg_.gated_mlp) {
    const at::Tensor gate_in = lw.W_gate_in.defined() ? at::matmul(x, lw.W_gate_in)
                                                      : at::cat({at::matmul(x, lw.W_gate), at::matmul(x, lw.W_in)}, -1);
    const int64_t d_mlp = cfg_.d_mlp;
    at::Tensor pre = hook(hooks, Hook::mlp_pre, l, gate_in.narrow(-1, 0, d_mlp), offset);
    at::Tensor in = gate_in.narrow(-1, d_mlp, d_mlp);
    at::Tensor pre_linear = hook(hooks, Hook::mlp_pre_linear, l, lw.b_in.defined() ? in + lw.b_in : in, offset);
    post = act(pre) * pre_linear;
  } else {
    post = act(hook(hooks, Hook::mlp_pre, l, linear(x, lw.W_in, lw.b_in), offset));
  }
  post = hook(hooks, Hook::mlp_post, l, post, offset);
  return linear(post, lw.W_out, lw.b_out);
}

ForwardResult Transformer::compute_forward(const ForwardArgs& a) const {
  const int stop = a.stop_layer < 0 ? cfg_.n_layers : a.stop_layer;
  if (a.start_layer < 0 || a.start_layer > stop || stop > cfg_.n_layers) {
    fail("forward", "layer range [" + std::to_string(a.start_layer) + ", " + std::to_string(stop) +
                        ") is outside the model's " + std::to_string(cfg_.n_layers) + " layers");
  }
  if (a.kv && a.kv->k.empty()) {
    a.kv->k.resize(cfg_.n_layers);
    a.kv->v.resize(cfg_.n_layers);
  }
  const int64_t offset = a.kv ? a.kv->length() : 0;
  HookContext* hooks = a.hooks;
  const std::vector<Edit>* active = ActiveEdits::current();
  std::vector<Edit> reached;  // outlives active_hooks, which points into it
  std::optional<HookContext> active_hooks;
  if (active && !active->empty() && a.kv) {
    const at::Tensor& chunk = a.start_layer == 0 ? a.tokens : a.resid;
    if (chunk.defined() && chunk.dim() >= 2) {
      reached = edits_reached_by(*active, offset + chunk.size(1));
      active = &reached;
    }
  }
  if (active && !active->empty()) {
    active_hooks.emplace(cfg_.n_layers, nullptr, *active, nullptr);
    active_hooks->then(a.hooks);
    hooks = &*active_hooks;
  }
  at::Tensor x;
  if (a.start_layer == 0) {
    const at::Tensor& tokens = a.tokens;
    if (!tokens.defined() || tokens.dim() != 2 || tokens.scalar_type() != at::kLong) {
      fail("forward", "tokens must be an int64 tensor [batch, positions]");
    }
    const int64_t B = tokens.size(0), T = tokens.size(1);
    if (T == 0) fail("forward", "no tokens");
    if (tokens.min().item<int64_t>() < 0 || tokens.max().item<int64_t>() >= cfg_.d_vocab) {
      fail("forward", "token ids must lie in [0, " + std::to_string(cfg_.d_vocab) + ")");
    }
    if (cfg_.learned_pos && offset + T > cfg_.n_ctx) {
      fail("forward", std::to_string(offset + T) + " positions exceed the model's context of " +
                          std::to_string(cfg_.n_ctx));
    }
    at::Tensor ids = tokens.to(w_.W_E.device());
    x = hook(hooks, Hook::embed, 0, w_.W_E.index_select(0, ids.reshape(-1)).view({B, T, cfg_.d_model}), offset);
    if (cfg_.learned_pos) {
      at::Tensor pos = w_.W_pos.narrow(0, offset, T).unsqueeze(0).expand({B, T, cfg_.d_model});
      x = x + hook(hooks, Hook::pos_embed, 0, pos, offset);
    }
  } else {
    if (!a.resid.defined() || a.resid.dim() != 3 || a.resid.size(2) != cfg_.d_model) {
      fail("forward", "starting at a later layer needs the residual stream [batch, positions, d_model]");
    }
    x = a.resid.to(w_.W_E.options());
  }
  Rotary rotary;
  if (cfg_.rotary_dim > 0) {
    rotary.cos = rotary_tables(offset, x.size(1), true).to(x.device());
    rotary.sin = rotary_tables(offset, x.size(1), false).to(x.device());
  }
  const bool split = !block_devices_.empty();
  // Captures come back to the first device, where analyses combine layers.
  if (split && a.hooks) a.hooks->capture_to(device_);
  for (int l = a.start_layer; l < stop; ++l) {
    const LayerWeights& lw = w_.layers[l];
    if (split) x = x.to(block_devices_[l]);
    x = hook(hooks, Hook::resid_pre, l, x, offset);
    at::Tensor ln1 = norm(x, lw.ln1_w, lw.ln1_b, hooks, Hook::ln1_scale, Hook::ln1_normalized, l, offset);
    at::Tensor attn_out = hook(hooks, Hook::attn_out, l, attention(lw, ln1, l, a.kv, hooks, offset, rotary), offset);
    at::Tensor mlp_in;
    if (cfg_.parallel_residual) {
      mlp_in = x;
    } else {
      x = hook(hooks, Hook::resid_mid, l, x + attn_out, offset);
      mlp_in = x;
    }
    at::Tensor ln2 = norm(mlp_in, lw.ln2_w, lw.ln2_b, hooks, Hook::ln2_scale, Hook::ln2_normalized, l, offset);
    at::Tensor mlp_out = hook(hooks, Hook::mlp_out, l, mlp(lw, ln2, l, hooks, offset), offset);
    x = cfg_.parallel_residual ? x + attn_out + mlp_out : x + mlp_out;
    x = hook(hooks, Hook::resid_post, l, x, offset);
    if (a.progress) {
      a.progress->check();
      a.progress->update(double(l + 1 - a.start_layer) / double(stop - a.start_layer),
                         "block " + std::to_string(l));
    } else if (const Progress* scope = CancelScope::current()) {
      scope->check();
    }
  }
  ForwardResult result;
  result.resid = on_first_device(x);
  if (a.logits && stop == cfg_.n_layers) {
    at::Tensor normed = norm(x, w_.ln_final_w, w_.ln_final_b, hooks, Hook::ln_final_scale,
                             Hook::ln_final_normalized, 0, offset);
    result.logits = on_first_device(linear(normed, w_.W_U, w_.b_U)).to(at::kFloat);
  }
  return result;
}

at::Tensor Transformer::final_norm(const at::Tensor& resid) const {
  return norm(resid.to(w_.W_U.options()), w_.ln_final_w, w_.ln_final_b, nullptr, Hook::ln_final_scale,
              Hook::ln_final_normalized, 0, 0);
}

at::Tensor Transformer::unembed_resid(const at::Tensor& resid) const {
  return linear(final_norm(resid), w_.W_U, w_.b_U).to(resid.device(), at::kFloat);
}

}  // namespace glassbox
