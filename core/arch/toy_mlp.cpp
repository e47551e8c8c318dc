// glassbox_mlp: the modular-arithmetic MLP (core/toy_mlp.h) saved by
// `glassbox-cli train modular`. Checkpoint: W1 [N, 2p], W2 [p, N] (the paper's
// notation, PyTorch Linear layout) and, with BatchNorm, bn.weight, bn.bias,
// bn.running_mean, bn.running_var [N].
#include <ATen/ATen.h>

#include "core/arch/family.h"
#include "core/error.h"
#include "core/toy_mlp.h"

namespace glassbox {

at::Tensor toy_mlp_logits(const ToyMlpWeights& w, const at::Tensor& pairs, HookContext* hooks,
                          const ToyMlpTrainMode& mode) {
  at::Tensor a = pairs.select(1, 0), b = pairs.select(1, 1);
  at::Tensor pre = w.W_in.index_select(0, a) + w.W_in.index_select(0, b + w.p);
  pre = hook(hooks, Hook::hidden_pre, 0, pre);
  at::Tensor h = pre * pre;
  if (w.batchnorm()) {
    h = at::batch_norm(h, w.bn_weight, w.bn_bias, w.bn_mean, w.bn_var, mode.training, mode.bn_momentum, w.bn_eps,
                       /*cudnn_enabled=*/true);
  }
  if (mode.training && mode.dropout > 0) h = at::dropout(h, mode.dropout, /*train=*/true);
  h = hook(hooks, Hook::hidden_post, 0, h);
  return at::matmul(h, w.W_out);
}

ToyMlp::ToyMlp(ToyMlpWeights weights, const std::string& source) : w_(std::move(weights)) {
  const int64_t p = w_.p;
  if (p < 2) fail(source, "the modulus p must be at least 2, got " + std::to_string(p));
  if (!w_.W_in.defined() || w_.W_in.dim() != 2 || w_.W_in.size(0) != 2 * p) {
    fail(source, "input weights must have shape [2p, N] = [" + std::to_string(2 * p) + ", N]");
  }
  const int64_t n = w_.W_in.size(1);
  if (!w_.W_out.defined() || w_.W_out.sizes() != at::IntArrayRef{n, p}) {
    fail(source, "output weights must have shape [N, p] = [" + std::to_string(n) + ", " + std::to_string(p) + "]");
  }
  for (const at::Tensor* t : {&w_.bn_bias, &w_.bn_mean, &w_.bn_var}) {
    if (w_.batchnorm() && (!t->defined() || t->sizes() != at::IntArrayRef{n})) {
      fail(source, "BatchNorm tensors must all have shape [" + std::to_string(n) + "]");
    }
  }
  info_.family = "glassbox_mlp";
  info_.model_type = "glassbox_mlp";
  info_.transformer = false;
  info_.n_layers = 1;
  info_.d_model = static_cast<int>(p);
  info_.d_mlp = static_cast<int>(n);
  info_.d_vocab = p;
  info_.n_ctx = 2;
  info_.norm = w_.batchnorm() ? "batchnorm" : "none";
  info_.act = "quadratic";
  info_.positional = "none";
  info_.n_params = 2 * p * n + n * p + (w_.batchnorm() ? 2 * n : 0);
  info_.hook_names = {hook_name(Hook::hidden_pre, 0), hook_name(Hook::hidden_post, 0)};
  device_ = w_.W_in.device();
  dtype_ = w_.W_in.scalar_type();
}

ForwardResult ToyMlp::compute_forward(const ForwardArgs& args) const {
  if (args.start_layer != 0 || args.kv) fail("glassbox_mlp", "a partial or cached forward pass is not supported");
  const at::Tensor& tokens = args.tokens;
  if (!tokens.defined() || tokens.dim() != 2 || tokens.size(1) != 2) {
    fail("glassbox_mlp", "input must be pairs (a, b): tokens of shape [batch, 2]");
  }
  if (tokens.numel() > 0 && (tokens.min().item<int64_t>() < 0 || tokens.max().item<int64_t>() >= w_.p)) {
    fail("glassbox_mlp", "operands must be in [0, " + std::to_string(w_.p) + ")");
  }
  ForwardResult out;
  out.logits = toy_mlp_logits(w_, tokens.to(device_, at::kLong), args.hooks).unsqueeze(1);
  return out;
}

std::unique_ptr<Model> load_toy_mlp(const ModelFolder& folder) {
  ToyMlpWeights w;
  w.p = folder.integer("p");
  const int64_t n = folder.integer("width");
  if (w.p < 2) folder.config_error("\"p\" must be at least 2");
  if (n < 1) folder.config_error("\"width\" must be at least 1");
  if (folder.string("activation", "quadratic") != "quadratic") {
    folder.config_error("\"activation\" must be \"quadratic\"");
  }
  w.W_in = folder.weight("W1", {n, 2 * w.p}).t().contiguous();
  w.W_out = folder.weight("W2", {w.p, n}).t().contiguous();
  if (folder.flag("batchnorm", false)) {
    w.bn_weight = folder.weight("bn.weight", {n});
    w.bn_bias = folder.weight("bn.bias", {n});
    w.bn_mean = folder.weight("bn.running_mean", {n});
    w.bn_var = folder.weight("bn.running_var", {n});
    w.bn_eps = folder.number("bn_eps", 1e-5);
  }
  return std::make_unique<ToyMlp>(std::move(w), folder.config_path);
}

}  // namespace glassbox
