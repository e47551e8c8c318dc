// logit-lens: each layer's distribution from LayerNorm/RMSNorm and W_U written
// out in the test, KL and top-k from their definitions.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/transformer.h"
#include "probes/logit_lens.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};

// p = softmax(W_U · norm(h) + b_U) in float64, the final norm written out.
at::Tensor lens_probs(const Transformer& model, const at::Tensor& resid) {
  const TransformerConfig& c = model.config();
  const TransformerWeights& w = model.weights();
  at::Tensor x = resid.to(at::kCPU, at::kDouble), normed;
  if (c.norm == TransformerConfig::Norm::layernorm) {
    at::Tensor centred = x - x.mean(-1, true);
    normed = centred / (centred.pow(2).mean(-1, true) + c.norm_eps).sqrt() * w.ln_final_w.to(at::kCPU, at::kDouble) +
             w.ln_final_b.to(at::kCPU, at::kDouble);
  } else {
    normed = x / (x.pow(2).mean(-1, true) + c.norm_eps).sqrt() * w.ln_final_w.to(at::kCPU, at::kDouble);
  }
  at::Tensor logits = at::matmul(normed, w.W_U.to(at::kCPU, at::kDouble));
  if (w.b_U.defined()) logits = logits + w.b_U.to(at::kCPU, at::kDouble);
  return at::softmax(logits, -1);
}

void expect_formula(const std::string& name) {
  auto model = test::reference_model(name);
  const auto& transformer = dynamic_cast<const Transformer&>(*model);
  probes::LogitLensParams params;
  params.tokens = kTokens;
  params.top_k = 3;
  params.target = 17;
  probes::LogitLensResult result = probes::logit_lens(*model, params, {});
  const int L = model->info().n_layers;
  const int64_t T = kTokens.size();
  ASSERT_EQ(result.layer_names.size(), size_t(L + 1));
  EXPECT_EQ(result.layer_names[0], "embed");
  ASSERT_EQ(result.kl.sizes(), (at::IntArrayRef{L + 1, T}));

  RunOptions o;
  o.capture = NameFilter(".*hook_resid_(pre|post)");
  RunResult run = model->run(kTokens, o);
  at::Tensor final_probs = at::softmax(run.logits.to(at::kCPU, at::kDouble), -1);
  for (int row = 0; row <= L; ++row) {
    const std::string hook = row == 0 ? "blocks.0.hook_resid_pre" : "blocks." + std::to_string(row - 1) + ".hook_resid_post";
    at::Tensor p = lens_probs(transformer, run.cache.get(hook));
    if (row == L) {
      EXPECT_TRUE(at::allclose(p, final_probs, 1e-5, 1e-7)) << "the last layer is the model's output";
    }
    for (int64_t t = 0; t < T; ++t) {
      double kl = 0;
      for (int64_t v = 0; v < p.size(1); ++v) {
        const double pv = p[t][v].item<double>();
        kl += pv * (std::log(pv) - std::log(final_probs[t][v].item<double>()));
      }
      EXPECT_NEAR(result.kl[row][t].item<double>(), kl, 1e-4 * std::max(1.0, kl)) << name << " " << row << "," << t;
      EXPECT_NEAR(result.target_prob[row][t].item<double>(), p[t][17].item<double>(), 1e-6);
      at::Tensor sorted = std::get<0>(p[t].sort(-1, true));
      for (int r = 0; r < 3; ++r) {
        EXPECT_NEAR(result.top_probs[row][t][r].item<double>(), sorted[r].item<double>(), 1e-6);
        EXPECT_NEAR(p[t][result.top_ids[row][t][r].item<int64_t>()].item<double>(), sorted[r].item<double>(), 1e-6);
      }
    }
  }
  EXPECT_LT(result.kl[L].abs().max().item<double>(), 1e-4);
}

TEST(LogitLens, MatchesTheFormulaWithLayerNorm) { expect_formula("gpt2_a"); }
TEST(LogitLens, MatchesTheFormulaWithRmsNorm) { expect_formula("llama_gqa"); }

TEST(LogitLens, StopsWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  probes::LogitLensParams params;
  params.tokens = kTokens;
  Progress progress;
  progress.cancelled = [] { return true; };
  EXPECT_THROW(probes::logit_lens(*model, params, progress), Cancelled);
}

TEST(LogitLens, WithoutATargetFollowsTheFinalPrediction) {
  auto model = test::reference_model("llama_gqa");
  probes::LogitLensParams params;
  params.tokens = kTokens;
  const probes::LogitLensResult result = probes::logit_lens(*model, params, {});
  ASSERT_TRUE(result.target.has_value());
  EXPECT_TRUE(result.target_is_prediction);
  EXPECT_EQ(*result.target, model->run(kTokens).logits[-1].argmax().item<int64_t>());
  // At the last layer and position the target is the top token.
  EXPECT_FLOAT_EQ(result.target_prob[-1][-1].item<float>(), result.top_probs[-1][-1][0].item<float>());
}

TEST(LogitLens, InChunksGivesTheSameNumbersAndShowsEachChunkAsItArrives) {
  auto model = test::reference_model("gpt2_a");
  probes::LogitLensParams params;
  params.tokens = kTokens;
  params.top_k = 3;
  const probes::LogitLensResult whole = probes::logit_lens(*model, params, {});
  params.chunk = 3;  // 8 positions: chunks of 3, 3 and 2
  std::vector<std::vector<Plot>> parts;
  std::vector<double> fractions;
  Progress progress;
  progress.partial = [&](const std::vector<Plot>& plots) { parts.push_back(plots); };
  progress.report = [&](double f, const std::string&) { fractions.push_back(f); };
  const probes::LogitLensResult chunked = probes::logit_lens(*model, params, progress);
  EXPECT_TRUE(at::allclose(chunked.kl, whole.kl, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(chunked.top_probs, whole.top_probs, 1e-5, 1e-6));
  EXPECT_TRUE(at::equal(chunked.top_ids, whole.top_ids));
  EXPECT_EQ(chunked.top_strings, whole.top_strings);
  // The first two chunks are published; the last arrives as the result.
  ASSERT_EQ(parts.size(), 2u);
  const Plot& first = parts[0][0];
  ASSERT_EQ(first.name, "logit_lens_top_prob");
  const int64_t T = kTokens.size();
  for (int64_t row = 0; row < first.shape[0]; ++row) {
    for (int64_t t = 0; t < T; ++t) {
      EXPECT_EQ(std::isnan(first.at(row, t)), t >= 3) << row << "," << t;
      EXPECT_EQ(first.cell_text[size_t(row * T + t)].empty(), t >= 3);
    }
  }
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  // The forward pass reports its blocks before the chunks start, then each chunk reports
  // (its layers are read together, a group per unembedding).
  EXPECT_GE(fractions.size(), size_t(model->info().n_layers + 3));
}

TEST(LogitLens, CliWritesThePlotLayout) {
  test::TempDir dir;
  const std::string out = dir.file("l.h5");
  test::CliRun run = test::run_cli("probe logit-lens --model " + test::model_dir("gpt2_a") +
                                   " --tokens 303,211,294,53 --top-k 2 --target 17 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  auto plots = test::read_plot_map(out);
  const Plot& kl = plots.at("logit_lens_kl");
  EXPECT_EQ(kl.kind, "heatmap");
  EXPECT_EQ(kl.shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(kl.y.labels, (std::vector<std::string>{"embed", "L0", "L1"}));
  EXPECT_EQ(plots.at("logit_lens_target_prob").shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(plots.at("logit_lens_target_by_layer").shape, (std::vector<int64_t>{3}));
  // The standard figure: the top token written in each cell, its probability the colour, the top k on hover.
  const Plot& figure = plots.at("logit_lens_top_prob");
  ASSERT_EQ(figure.cell_text.size(), 12u);
  ASSERT_EQ(figure.cell_notes.size(), 12u);
  const Plot& top = plots.at("logit_lens_top_tokens");
  EXPECT_EQ(top.kind, "table");
  EXPECT_EQ(top.shape, (std::vector<int64_t>{3 * 4 * 2, 5}));
  EXPECT_EQ(top.x.labels, (std::vector<std::string>{"layer", "position", "rank", "token_id", "probability"}));
  ASSERT_EQ(top.y.labels.size(), 24u);
  // Row order: layer, then position, then rank; the label is the token string.
  const int64_t row = (1 * 4 + 3) * 2 + 1;  // layer L0, position 3, rank 2
  EXPECT_EQ(top.at(row, 0), 0);
  EXPECT_EQ(top.at(row, 1), 3);
  EXPECT_EQ(top.at(row, 2), 2);
  EXPECT_EQ(top.y.labels[row], "<" + std::to_string(int64_t(top.at(row, 3))) + ">");
  EXPECT_EQ(top.at(0, 0), -1);
  EXPECT_GE(top.at(row - 1, 4), top.at(row, 4));
  const int64_t cell = 1 * 4 + 3;  // layer L0, position 3
  EXPECT_EQ(figure.cell_text[cell], top.y.labels[size_t(cell * 2)]);
  EXPECT_FLOAT_EQ(figure.at(1, 3), top.at(cell * 2, 4));
  EXPECT_NE(figure.cell_notes[cell].find(top.y.labels[size_t(cell * 2 + 1)]), std::string::npos);
}

TEST(LogitLens, BadParametersGiveOneClearError) {
  test::TempDir dir;
  const std::string model = " --model " + test::model_dir("gpt2_a") + " --tokens 1,2 --out " + dir.file("l.h5");
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --top-k 0" + model), "top-k"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --top-k 513" + model), "top-k"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --target 512" + model), "--target"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --target x" + model), "--target"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe logit-lens --target-text the" + model), "tokenizer"));
}

}  // namespace
}  // namespace glassbox
