// contributions: norm ratios and cosines from the formula on captured
// activations; the skip-layer effect against full reruns with a replace edit.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "probes/contributions.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};

double l2(const at::Tensor& v) { return v.to(at::kDouble).norm().item<double>(); }
double cosine(const at::Tensor& u, const at::Tensor& v) {
  at::Tensor a = u.to(at::kDouble), b = v.to(at::kDouble);
  return (a * b).sum().item<double>() / (a.norm() * b.norm()).item<double>();
}

RunResult capture_all(const Model& model) {
  RunOptions o;
  o.capture = NameFilter(".*");
  return model.run(kTokens, o);
}

// Every ratio and cosine, token by token, from the definitions.
void expect_formula(const Model& model) {
  probes::ContributionsParams params;
  params.tokens = kTokens;
  params.skip_layers = false;
  probes::ContributionsResult result = probes::contributions(model, params, {});
  RunResult run = capture_all(model);
  const int L = model.info().n_layers;
  ASSERT_EQ(result.norm_ratio.sizes(), (at::IntArrayRef{3, L, int64_t(kTokens.size())}));
  EXPECT_FALSE(result.skip_effect.defined());
  for (int l = 0; l < L; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    for (int64_t t = 0; t < int64_t(kTokens.size()); ++t) {
      at::Tensor h = run.cache.get(p + "hook_resid_pre")[t], a = run.cache.get(p + "hook_attn_out")[t],
                 m = run.cache.get(p + "hook_mlp_out")[t];
      const double expected[2][3] = {{l2(a) / l2(h), l2(m) / l2(h + a), l2(a + m) / l2(h)},
                                     {cosine(a, h), cosine(m, h + a), cosine(a + m, h)}};
      for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(result.norm_ratio[i][l][t].item<double>(), expected[0][i], 1e-4 * expected[0][i]) << l << "," << t;
        EXPECT_NEAR(result.cosine[i][l][t].item<double>(), expected[1][i], 1e-4) << l << "," << t;
      }
    }
  }
}

TEST(Contributions, RatiosAndCosinesFollowTheFormulaOnGpt2) { expect_formula(*test::reference_model("gpt2_a")); }

TEST(Contributions, ParallelResidualUsesResidPrePlusAttentionOut) {
  auto model = test::reference_model("neox_parallel");
  ASSERT_TRUE(model->info().parallel_residual);
  // No resid_mid in a parallel block: h+a is formed from resid_pre and attn_out,
  // and the block's output is h + a + m.
  RunResult run = capture_all(*model);
  EXPECT_FALSE(run.cache.has("blocks.0.hook_resid_mid"));
  EXPECT_TRUE(at::allclose(run.cache.get("blocks.0.hook_resid_post"),
                           run.cache.get("blocks.0.hook_resid_pre") + run.cache.get("blocks.0.hook_attn_out") +
                               run.cache.get("blocks.0.hook_mlp_out"),
                           1e-4, 1e-5));
  expect_formula(*model);
}

TEST(Contributions, SkipEffectEqualsFullRerunsWithTheLayerSkipped) {
  for (const std::string name : {"gpt2_a", "llama_gqa"}) {
    auto model = test::reference_model(name);
    probes::ContributionsParams params;
    params.tokens = kTokens;
    probes::ContributionsResult result = probes::contributions(*model, params, {});
    const int L = model->info().n_layers;
    const int64_t T = kTokens.size();
    RunResult clean = capture_all(*model);
    at::Tensor clean_probs = at::softmax(clean.logits.to(at::kDouble), -1);
    for (int s = 0; s < L; ++s) {
      // resid_post[s] := resid_pre[s] at positions 1..T-1, the whole model rerun.
      std::vector<int64_t> positions;
      for (int64_t t = 1; t < T; ++t) positions.push_back(t);
      RunOptions o;
      o.capture = NameFilter(".*hook_resid_(pre|post)");
      const std::string pre = "blocks." + std::to_string(s) + ".hook_resid_pre";
      o.edits.push_back(Edit::replace("blocks." + std::to_string(s) + ".hook_resid_post", positions,
                                      clean.cache.get(pre).narrow(0, 1, T - 1)));
      RunResult skipped = model->run(kTokens, o);
      for (int l = 0; l < L; ++l) {
        const float got = result.skip_effect[s][l].item<float>();
        if (l <= s) {
          EXPECT_TRUE(std::isnan(got)) << name << " s=" << s << " l=" << l;
          continue;
        }
        const std::string p = "blocks." + std::to_string(l) + ".";
        double worst = 0;
        for (int64_t t = 0; t < T; ++t) {
          at::Tensor delta = clean.cache.get(p + "hook_resid_post")[t] - clean.cache.get(p + "hook_resid_pre")[t];
          at::Tensor delta_skipped =
              skipped.cache.get(p + "hook_resid_post")[t] - skipped.cache.get(p + "hook_resid_pre")[t];
          worst = std::max(worst, l2(delta - delta_skipped) / l2(delta));
        }
        EXPECT_NEAR(got, worst, 1e-4 * std::max(1.0, worst)) << name << " s=" << s << " l=" << l;
        EXPECT_GT(worst, 0);
      }
      at::Tensor change = clean_probs - at::softmax(skipped.logits.to(at::kDouble), -1);
      for (int64_t t = 0; t < T; ++t)
        EXPECT_NEAR(result.skip_output_effect[s][t].item<double>(), l2(change[t]), 1e-5) << name << s << "," << t;
      EXPECT_EQ(result.skip_output_effect[s][0].item<double>(), 0.0);  // position 0 keeps its output
    }
  }
}

TEST(Contributions, ReportsProgressAndStopsWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  probes::ContributionsParams params;
  params.tokens = kTokens;
  double last = -1;
  Progress progress;
  progress.report = [&](double f, const std::string&) { last = f; };
  probes::contributions(*model, params, progress);
  EXPECT_DOUBLE_EQ(last, 1.0);
  progress.cancelled = [] { return true; };
  EXPECT_THROW(probes::contributions(*model, params, progress), Cancelled);
}

TEST(Contributions, CliWritesThePlotLayout) {
  test::TempDir dir;
  const std::string out = dir.file("c.h5");
  test::CliRun run = test::run_cli("probe contributions --model " + test::model_dir("gpt2_a") +
                                   " --tokens 303,211,294,53,204,372,152,505 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  auto plots = test::read_plot_map(out);
  const Plot& c = plots.at("contributions");
  EXPECT_EQ(c.kind, "line");
  EXPECT_EQ(c.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(c.series, (std::vector<std::string>{"attention", "mlp", "layer"}));
  auto model = test::reference_model("gpt2_a");
  probes::ContributionsParams params;
  params.tokens = kTokens;
  probes::ContributionsResult result = probes::contributions(*model, params, {});
  at::Tensor means = result.norm_ratio.mean(-1);
  for (int i = 0; i < 3; ++i)
    for (int l = 0; l < 2; ++l) EXPECT_NEAR(c.at(i, l), means[i][l].item<float>(), 1e-6);
  for (const std::string name : {"contributions_cosine", "contributions_attention_tokens", "contributions_mlp_tokens",
                                 "contributions_layer_tokens", "contributions_cosine_attention_tokens",
                                 "contributions_cosine_mlp_tokens", "contributions_cosine_layer_tokens",
                                 "skip_effect", "skip_output_effect", "skip_output_effect_tokens"})
    EXPECT_TRUE(plots.count(name)) << name;
  EXPECT_EQ(plots.at("contributions_mlp_tokens").shape, (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(plots.at("contributions_mlp_tokens").x.labels.size(), 8u);
  EXPECT_EQ(plots.at("skip_effect").shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(plots.at("skip_output_effect").shape, (std::vector<int64_t>{2}));
  h5::Reader file(out);
  EXPECT_EQ(file.attr_string("/plots/contributions", "probe"), "contributions");
  EXPECT_NE(file.attr_string("/plots/contributions", "params_json").find("\"skip_layers\":true"), std::string::npos);
}

TEST(Contributions, BadParametersGiveOneClearError) {
  test::TempDir dir;
  const std::string model = " --model " + test::model_dir("gpt2_a") + " --out " + dir.file("c.h5");
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe contributions --tokens 5" + model), "at least 2 tokens"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe contributions --tokens 5,9999" + model), "outside the vocabulary"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe contributions --tokens 5,6 --skip" + model), "--skip"));
  EXPECT_EQ(test::run_cli("probe contributions --tokens 5 --no-skip-layers" + model).status, 0);
}

}  // namespace
}  // namespace glassbox
