// The analyses that need one forward pass (next-token predictions, one head's
// attention pattern, residual norms), against the model's own outputs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "probes/activation.h"
#include "probes/attention.h"
#include "probes/next_token.h"
#include "probes/residual_norms.h"

namespace glassbox::probes {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372};

TEST(NextToken, TopTokensAreTheSoftmaxOfTheLogitsAtThePosition) {
  auto model = test::reference_model("gpt2_a");
  NextTokenParams p;
  p.tokens = kTokens;
  p.position = -2;
  p.top_k = 5;
  const NextTokenResult r = next_token(*model, p, {});
  EXPECT_EQ(r.position, 4);
  const at::Tensor logits = model->run(kTokens).logits[4].cpu();
  const at::Tensor probs = at::softmax(logits, 0);
  const auto [values, ids] = at::topk(logits, 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.ids[size_t(i)], ids[i].item<int64_t>());
    EXPECT_NEAR(r.probs[i].item<float>(), probs[ids[i]].item<float>(), 1e-6);
    EXPECT_NEAR(r.logits[i].item<float>(), values[i].item<float>(), 1e-6);
  }
  const std::vector<Plot> plots = to_plots(r);
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[0].shape, (std::vector<int64_t>{5, 3}));
  p.position = 6;
  EXPECT_THROW(next_token(*model, p, {}), Error);
}

TEST(AttentionPattern, IsTheCapturedPatternOfTheHead) {
  auto model = test::reference_model("llama_gqa");
  const AttentionPattern r = attention_pattern(*model, kTokens, {1, 3}, {});
  RunOptions o;
  o.capture = NameFilter("blocks\\.1\\.attn\\.hook_pattern");
  const at::Tensor pattern = model->run(kTokens, o).cache.get("blocks.1.attn.hook_pattern").cpu();
  const std::vector<Plot> plots = to_plots(r);
  ASSERT_EQ(plots.size(), 2u);
  EXPECT_EQ(plots[0].name, "pattern_L1H3");
  EXPECT_EQ(plots[1].shape, (std::vector<int64_t>{pattern.size(0), 6}));
  for (int64_t q = 0; q < 6; ++q)
    for (int64_t k = 0; k < 6; ++k) EXPECT_FLOAT_EQ(plots[0].at(q, k), pattern[3][q][k].item<float>());
  for (int64_t h = 0; h < pattern.size(0); ++h) EXPECT_FLOAT_EQ(plots[1].at(h, 2), pattern[h][5][2].item<float>());
  EXPECT_THROW(attention_pattern(*model, kTokens, {2, 0}, {}), Error);
}

TEST(Activation, IsTheCapturedTensorWithThePositionFirst) {
  auto model = test::reference_model("llama_gqa");
  RunOptions o;
  o.capture = NameFilter("blocks\\.1\\.(hook_resid_post|attn\\.hook_pattern|attn\\.hook_z)");
  const ActivationCache cache = model->run(kTokens, o).cache;
  for (const std::string hook : {"blocks.1.hook_resid_post", "blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z"}) {
    const Activation r = activation(*model, kTokens, hook, {});
    at::Tensor expected = cache.get(hook).cpu();
    EXPECT_EQ(r.shape, expected.sizes().vec()) << hook;
    // The pattern's query dimension is the position: [heads, q, k] -> [q, heads * k].
    if (hook.find("pattern") != std::string::npos) expected = expected.permute({1, 0, 2});
    expected = expected.reshape({6, -1});
    const std::vector<Plot> plots = to_plots(r);
    ASSERT_EQ(plots.size(), 2u);
    ASSERT_EQ(plots[0].shape, (std::vector<int64_t>{6, expected.size(1)})) << hook;
    for (int64_t t = 0; t < 6; ++t) {
      EXPECT_NEAR(plots[1].data[size_t(t)], expected[t].norm().item<float>(), 1e-5) << hook;
      for (int64_t c = 0; c < expected.size(1); c += 7)
        EXPECT_FLOAT_EQ(plots[0].at(t, c), expected[t][c].item<float>()) << hook << " " << t << " " << c;
    }
  }
  EXPECT_THROW(activation(*model, kTokens, "blocks.1.hook_nothing", {}), Error);
  EXPECT_THROW(activation(*model, kTokens, "blocks.1.hook_resid_post|.*", {}), Error);
  EXPECT_THROW(activation(*model, {}, "blocks.1.hook_resid_post", {}), Error);
}

TEST(ResidualNorms, AreTheNormsOfTheResidualStream) {
  auto model = test::reference_model("neox_parallel");
  const ResidualNorms r = residual_norms(*model, kTokens, {});
  RunOptions o;
  o.capture = NameFilter(".*hook_resid_(pre|post)");
  const RunResult run = model->run(kTokens, o);
  ASSERT_EQ(r.norms.size(0), model->info().n_layers + 1);
  EXPECT_NEAR(r.norms[0][2].item<float>(), run.cache.get("blocks.0.hook_resid_pre")[2].norm().item<float>(), 1e-4);
  const int last = model->info().n_layers - 1;
  EXPECT_NEAR(r.norms[last + 1][5].item<float>(),
              run.cache.get("blocks." + std::to_string(last) + ".hook_resid_post")[5].norm().item<float>(), 1e-4);
  EXPECT_EQ(r.rows.front(), "embed");
}

}  // namespace
}  // namespace glassbox::probes
