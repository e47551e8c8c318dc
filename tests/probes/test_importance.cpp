// importance: 1 − cos(X, module output) per token from captured activations.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "probes/importance.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};

double one_minus_cos(const at::Tensor& x, const at::Tensor& y) {
  at::Tensor a = x.to(at::kDouble), b = y.to(at::kDouble);
  return 1 - (a * b).sum().item<double>() / (a.norm() * b.norm()).item<double>();
}

void expect_formula(const std::string& name) {
  auto model = test::reference_model(name);
  probes::ImportanceParams params;
  params.tokens = kTokens;
  probes::ImportanceResult result = probes::importance(*model, params, {});
  RunOptions o;
  o.capture = NameFilter(".*");
  RunResult run = model->run(kTokens, o);
  const bool parallel = model->info().parallel_residual;
  for (int l = 0; l < model->info().n_layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    for (int64_t t = 0; t < int64_t(kTokens.size()); ++t) {
      at::Tensor x = run.cache.get(p + "hook_resid_pre")[t];
      at::Tensor a = run.cache.get(p + "hook_attn_out")[t], m = run.cache.get(p + "hook_mlp_out")[t];
      // The MLP reads resid_mid in a serial block, resid_pre in a parallel one.
      at::Tensor mlp_in = parallel ? x : run.cache.get(p + "hook_resid_mid")[t];
      const double expected[3] = {one_minus_cos(x, x + a), one_minus_cos(mlp_in, mlp_in + m),
                                  one_minus_cos(x, run.cache.get(p + "hook_resid_post")[t])};
      for (int i = 0; i < 3; ++i)
        EXPECT_NEAR(result.score[i][l][t].item<double>(), expected[i], 1e-5) << name << " " << i << "," << l << "," << t;
    }
  }
}

TEST(Importance, FollowsTheFormulaOnASerialModel) { expect_formula("gpt2_a"); }
TEST(Importance, FollowsTheFormulaOnAParallelResidualModel) { expect_formula("neox_parallel"); }

TEST(Importance, StopsWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  probes::ImportanceParams params;
  params.tokens = kTokens;
  Progress progress;
  progress.cancelled = [] { return true; };
  EXPECT_THROW(probes::importance(*model, params, progress), Cancelled);
}

TEST(Importance, CliWritesThePlotLayout) {
  test::TempDir dir;
  const std::string out = dir.file("i.h5");
  test::CliRun run =
      test::run_cli("probe importance --model " + test::model_dir("neox_parallel") + " --tokens 3,4,5 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  auto plots = test::read_plot_map(out);
  EXPECT_EQ(plots.at("importance").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(plots.at("importance").series, (std::vector<std::string>{"attention", "mlp", "block"}));
  for (const std::string name : {"importance_attention_tokens", "importance_mlp_tokens", "importance_block_tokens"})
    EXPECT_EQ(plots.at(name).shape, (std::vector<int64_t>{2, 3})) << name;
}

TEST(Importance, BadParametersGiveOneClearError) {
  test::TempDir dir;
  const std::string model = " --model " + test::model_dir("gpt2_a") + " --out " + dir.file("i.h5");
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe importance --tokens 1,x" + model), "--tokens"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe importance --tokens 1 --epsilon 2" + model), "--epsilon"));
}

}  // namespace
}  // namespace glassbox
