// sparsity: the fraction of |mlp.hook_post| > ε counted unit by unit.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "probes/sparsity.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};

TEST(Sparsity, CountsUnitsAboveEpsilon) {
  for (const std::string name : {"gpt2_a", "llama_gqa"}) {
    auto model = test::reference_model(name);
    RunOptions o;
    o.capture = NameFilter(".*mlp\\.hook_post");
    RunResult run = model->run(kTokens, o);
    for (double epsilon : {0.0, 0.05, 0.5}) {
      probes::SparsityParams params;
      params.tokens = kTokens;
      params.epsilon = epsilon;
      probes::SparsityResult result = probes::sparsity(*model, params, {});
      for (int l = 0; l < model->info().n_layers; ++l) {
        at::Tensor post = run.cache.get("blocks." + std::to_string(l) + ".mlp.hook_post").cpu();
        for (int64_t t = 0; t < post.size(0); ++t) {
          int64_t active = 0;
          for (int64_t n = 0; n < post.size(1); ++n) active += std::abs(post[t][n].item<float>()) > epsilon;
          EXPECT_NEAR(result.active_fraction[l][t].item<double>(), double(active) / post.size(1), 1e-6)
              << name << " eps " << epsilon << " " << l << "," << t;
        }
      }
    }
  }
}

TEST(Sparsity, StopsWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  probes::SparsityParams params;
  params.tokens = kTokens;
  Progress progress;
  progress.cancelled = [] { return true; };
  EXPECT_THROW(probes::sparsity(*model, params, progress), Cancelled);
}

TEST(Sparsity, CliWritesThePlotLayout) {
  test::TempDir dir;
  const std::string out = dir.file("s.h5");
  test::CliRun run = test::run_cli("probe sparsity --model " + test::model_dir("gpt2_a") +
                                   " --tokens 3,4,5 --epsilon 0.1 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  auto plots = test::read_plot_map(out);
  EXPECT_EQ(plots.at("sparsity").kind, "line");
  EXPECT_EQ(plots.at("sparsity").shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(plots.at("sparsity_tokens").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_NE(plots.at("sparsity").y_label.find("0.1"), std::string::npos);
}

TEST(Sparsity, BadParametersGiveOneClearError) {
  test::TempDir dir;
  const std::string model = " --model " + test::model_dir("gpt2_a") + " --tokens 1,2 --out " + dir.file("s.h5");
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe sparsity --epsilon -1" + model), "epsilon"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe sparsity --epsilon abc" + model), "--epsilon"));
}

}  // namespace
}  // namespace glassbox
