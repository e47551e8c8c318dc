// The grok MLP model: forward pass against the dense formula, hook points, and
// the IPR and prune-curve probes on hand-built weights.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/hooks.h"
#include "core/toy_mlp.h"
#include "probes/ipr.h"
#include "probes/prune_curve.h"

using namespace glassbox;

namespace {

ToyMlpWeights random_weights(int64_t p, int64_t n, bool batchnorm) {
  at::manual_seed(3);
  ToyMlpWeights w;
  w.p = p;
  w.W_in = at::randn({2 * p, n});
  w.W_out = at::randn({n, p});
  if (batchnorm) {
    w.bn_weight = at::rand({n}) + 0.5;
    w.bn_bias = at::randn({n});
    w.bn_mean = at::randn({n});
    w.bn_var = at::rand({n}) + 0.5;
  }
  return w;
}

at::Tensor all_pairs(int64_t p) {
  at::Tensor a = at::arange(p).repeat_interleave(p), b = at::arange(p).repeat({p});
  return at::stack({a, b}, 1);
}

// y = W2 BN((W1 x)²) with x = [onehot(a); onehot(b)], as a dense product.
at::Tensor dense_logits(const ToyMlpWeights& w, const at::Tensor& pairs) {
  at::Tensor x = at::cat({at::one_hot(pairs.select(1, 0), w.p), at::one_hot(pairs.select(1, 1), w.p)}, 1)
                     .to(at::kFloat);
  at::Tensor h = at::matmul(x, w.W_in).pow(2);
  if (w.batchnorm()) h = (h - w.bn_mean) / at::sqrt(w.bn_var + w.bn_eps) * w.bn_weight + w.bn_bias;
  return at::matmul(h, w.W_out);
}

}  // namespace

TEST(ToyMlp, ForwardIsTheDenseFormula) {
  for (bool batchnorm : {false, true}) {
    ToyMlp model(random_weights(7, 12, batchnorm), "test");
    ForwardArgs args;
    args.tokens = all_pairs(7);
    at::Tensor logits = model.forward(args).logits;
    ASSERT_EQ(logits.sizes(), (at::IntArrayRef{49, 1, 7}));
    EXPECT_TRUE(at::allclose(logits.squeeze(1), dense_logits(model.weights(), args.tokens), 1e-4, 1e-4));
  }
  ToyMlp model(random_weights(7, 12, false), "test");
  EXPECT_EQ(model.info().family, "glassbox_mlp");
  EXPECT_EQ(model.info().d_mlp, 12);
  EXPECT_EQ(model.info().hook_names, (std::vector<std::string>{"hook_hidden_pre", "hook_hidden_post"}));
}

TEST(ToyMlp, HooksCaptureAndAblateNeurons) {
  ToyMlp model(random_weights(5, 8, false), "test");
  RunOptions capture;
  capture.capture = NameFilter("hook_hidden_.*");
  RunResult r = model.run({2, 3}, capture);
  ASSERT_TRUE(r.cache.has("hook_hidden_pre"));
  at::Tensor pre = r.cache.get("hook_hidden_pre");
  EXPECT_EQ(pre.sizes(), (at::IntArrayRef{8}));
  const ToyMlpWeights& w = model.weights();
  EXPECT_TRUE(at::allclose(pre, w.W_in[2] + w.W_in[5 + 3]));
  EXPECT_TRUE(at::allclose(r.cache.get("hook_hidden_post"), pre * pre));

  // Zeroing neurons 1 and 4 removes exactly their terms from the logits.
  RunOptions ablate;
  ablate.edits.push_back(Edit::zero("hook_hidden_post", {}, {1, 4}));
  at::Tensor logits = model.run({2, 3}, ablate).logits.squeeze(0);
  at::Tensor h = (pre * pre).clone();
  h[1] = 0;
  h[4] = 0;
  EXPECT_TRUE(at::allclose(logits, at::matmul(h, w.W_out), 1e-4, 1e-4));
}

TEST(ToyMlp, BadInputIsAnError) {
  ToyMlp model(random_weights(5, 8, false), "test");
  ForwardArgs args;
  args.tokens = at::tensor({0, 5}, at::kLong).view({1, 2});
  EXPECT_THROW(model.forward(args), Error);
  args.tokens = at::zeros({1, 3}, at::kLong);
  EXPECT_THROW(model.forward(args), Error);
  ToyMlpWeights bad = random_weights(5, 8, false);
  bad.W_out = at::zeros({8, 4});
  EXPECT_THROW(ToyMlp(bad, "test"), Error);
}

TEST(Ipr, PeriodicNeuronsScoreHighNoisyOnesLow) {
  const int64_t p = 31;
  ToyMlpWeights w = random_weights(p, 2, false);
  at::Tensor x = at::arange(p).to(at::kDouble) * (2 * M_PI * 5 / p);
  // Neuron 0: one frequency everywhere (rfft has a single nonzero bin): IPR 1.
  w.W_in.select(1, 0).copy_(at::cat({at::cos(x), at::cos(x + 1.0)}).to(at::kFloat));
  w.W_out.select(0, 0).copy_(at::cos(2 * x).to(at::kFloat));
  ToyMlp model(w, "test");
  probes::NeuronIpr ipr = probes::neuron_ipr(model);
  EXPECT_NEAR(ipr.score[0], 1.0, 1e-6);
  // Neuron 1: Gaussian noise spreads over all 16 bins.
  EXPECT_LT(ipr.score[1], 0.25);

  // The definition, by hand, for the noisy neuron's output weights.
  at::Tensor F = at::fft_rfft(w.W_out[1].to(at::kDouble)).abs();
  double expected = (F / F.norm()).pow(4).sum().item<double>();
  EXPECT_NEAR(ipr.output[1], expected, 1e-9);

  std::vector<Plot> plots = probes::to_plots(ipr, 10);
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[0].name, "ipr");
  EXPECT_EQ(plots[0].kind, "histogram");
  EXPECT_FLOAT_EQ(plots[0].data[9], 1.0f);  // the periodic neuron in the top bin
  EXPECT_EQ(plots[1].shape, (std::vector<int64_t>{4, 2}));
}

// The incremental curve equals rerunning the model with the pruned neurons zeroed.
TEST(PruneCurve, MatchesAblatedForwardPasses) {
  const int64_t p = 11, n = 16;
  ToyMlp model(random_weights(p, n, true), "test");
  at::Tensor pairs = all_pairs(p);
  at::Tensor labels = dense_logits(model.weights(), pairs).argmax(-1);
  labels.slice(0, 0, 30).fill_(3);  // some "corrupted" labels the model does not predict
  probes::PruneCurveParams params;
  params.sets = {{"first", pairs.slice(0, 0, 60), labels.slice(0, 0, 60)},
                 {"rest", pairs.slice(0, 60), labels.slice(0, 60)}};
  probes::PruneCurve curve = probes::prune_curve(model, params);
  ASSERT_EQ(curve.lowest_first_accuracy.size(), 2u);
  ASSERT_EQ(curve.lowest_first_accuracy[0].size(), static_cast<size_t>(n + 1));
  for (size_t k = 1; k + 1 < curve.ipr.size(); ++k) {
    EXPECT_LE(curve.ipr[size_t(curve.lowest_first[k - 1])], curve.ipr[size_t(curve.lowest_first[k])]);
  }
  EXPECT_DOUBLE_EQ(curve.lowest_first_accuracy[1][0], 1.0);  // unpruned: the model's own predictions

  for (int64_t k : {3, 9, 16}) {
    std::vector<int64_t> pruned(curve.lowest_first.begin(), curve.lowest_first.begin() + k);
    std::vector<Edit> edits = {Edit::zero("hook_hidden_post", {}, pruned)};
    HookContext hooks(1, nullptr, edits, nullptr);
    ForwardArgs args;
    args.tokens = pairs;
    args.hooks = &hooks;
    at::Tensor correct = model.forward(args).logits.squeeze(1).argmax(-1).eq(labels).to(at::kDouble);
    EXPECT_NEAR(curve.lowest_first_accuracy[0][size_t(k)], correct.slice(0, 0, 60).mean().item<double>(), 1e-12);
    EXPECT_NEAR(curve.lowest_first_accuracy[1][size_t(k)], correct.slice(0, 60).mean().item<double>(), 1e-12);
  }
  std::vector<Plot> plots = probes::to_plots(curve);
  EXPECT_EQ(plots[0].name, "prune_curve");
  EXPECT_EQ(plots[1].name, "prune_curve_control");
  EXPECT_EQ(plots[0].shape, (std::vector<int64_t>{2, n + 1}));
  EXPECT_EQ(plots[0].series, (std::vector<std::string>{"first", "rest"}));
}
