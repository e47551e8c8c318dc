#pragma once
// The modular-arithmetic MLP of Doshi et al. (docs/methods.md#the-grok-mlp):
//   logits = W2 · h,  h = BN((W1 x)²) (BatchNorm optional),  x = [onehot(a); onehot(b)].
// The one-hot product W1 x is an embedding lookup: row a plus row p+b of W1ᵀ.
// Hook points: hook_hidden_pre = W1 x and hook_hidden_post = h, the neurons'
// outputs exactly as W2 reads them, so zeroing one removes that neuron.
#include <ATen/core/Tensor.h>

#include <string>

#include "core/model.h"

namespace glassbox {

struct ToyMlpWeights {
  int64_t p = 0;
  at::Tensor W_in;   // [2p, N] = W1ᵀ: row a feeds onehot(a), row p+b feeds onehot(b)
  at::Tensor W_out;  // [N, p] = W2ᵀ
  // BatchNorm over the hidden units, [N] each; undefined without BatchNorm.
  at::Tensor bn_weight, bn_bias, bn_mean, bn_var;
  double bn_eps = 1e-5;

  int64_t width() const { return W_in.size(1); }
  bool batchnorm() const { return bn_weight.defined(); }
};

// Training-time behaviour of the same forward pass (the trainer's only difference).
struct ToyMlpTrainMode {
  bool training = false;    // dropout on, BatchNorm uses batch statistics and updates its running ones
  double dropout = 0.0;     // on h
  double bn_momentum = 0.1;
};

// The forward pass shared by the trainer and the loaded model: pairs [B, 2]
// (int64, values in [0, p)) -> logits [B, p]. Differentiable in the weights.
at::Tensor toy_mlp_logits(const ToyMlpWeights& w, const at::Tensor& pairs, HookContext* hooks,
                          const ToyMlpTrainMode& mode = {});

class ToyMlp : public Model {
 public:
  // Checks the weights' shapes (Error names `source`).
  ToyMlp(ToyMlpWeights weights, const std::string& source);

  // tokens [B, 2] = (a, b) -> logits [B, 1, p]: one prediction per pair, no residual stream.

  const ToyMlpWeights& weights() const { return w_; }
  int64_t p() const { return w_.p; }
  int64_t width() const { return w_.width(); }

 private:
  ForwardResult compute_forward(const ForwardArgs& args) const override;
  ToyMlpWeights w_;
};

}  // namespace glassbox
