// attention: patterns equal the captured hook_pattern; head scores from
// explicit loops over queries and keys; the repeated random sequence.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "probes/attention.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

// Repeats: 5 at 0, 3, 6; 7 at 1, 4.
const std::vector<int64_t> kTokens = {5, 7, 9, 5, 7, 11, 5, 13};

// Mean over queries with a non-empty key set of the attention summed over the set.
double score(const at::Tensor& pattern, const std::vector<std::set<int64_t>>& keys) {
  double total = 0;
  int queries = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) continue;
    for (int64_t j : keys[i]) total += pattern[i][j].item<double>();
    ++queries;
  }
  return queries ? total / queries : NAN;
}

std::vector<std::set<int64_t>> previous_keys(size_t T) {
  std::vector<std::set<int64_t>> keys(T);
  for (size_t i = 1; i < T; ++i) keys[i] = {int64_t(i) - 1};
  return keys;
}
std::vector<std::set<int64_t>> earlier_keys(const std::vector<int64_t>& tokens, int64_t shift) {
  std::vector<std::set<int64_t>> keys(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (tokens[j] == tokens[i]) keys[i].insert(int64_t(j) + shift);
  return keys;
}

TEST(Attention, PatternsAndScoresFollowTheDefinitions) {
  for (const std::string name : {"gpt2_a", "llama_gqa"}) {
    auto model = test::reference_model(name);
    probes::AttentionParams params;
    params.tokens = kTokens;
    probes::AttentionResult result = probes::attention(*model, params, {});
    RunOptions o;
    o.capture = NameFilter(".*hook_pattern");
    RunResult run = model->run(kTokens, o);
    const int L = model->info().n_layers, H = model->info().n_heads;
    ASSERT_EQ(result.patterns.sizes(), (at::IntArrayRef{L, H, 8, 8}));
    EXPECT_EQ(result.score_tokens, kTokens);
    for (int l = 0; l < L; ++l) {
      at::Tensor pattern = run.cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern").cpu();
      EXPECT_TRUE(at::allclose(result.patterns[l], pattern));
      for (int h = 0; h < H; ++h) {
        EXPECT_NEAR(result.previous_token[l][h].item<double>(), score(pattern[h], previous_keys(8)), 1e-6);
        EXPECT_NEAR(result.duplicate_token[l][h].item<double>(), score(pattern[h], earlier_keys(kTokens, 0)), 1e-6);
        EXPECT_NEAR(result.induction[l][h].item<double>(), score(pattern[h], earlier_keys(kTokens, 1)), 1e-6);
      }
    }
  }
}

TEST(Attention, InductionScoreOnTheRepeatedRandomSequence) {
  auto model = test::reference_model("gpt2_a");
  probes::AttentionParams params;
  params.induction_seq_len = 10;
  params.seed = 3;
  params.bos = 0;
  probes::AttentionResult result = probes::attention(*model, params, {});
  const std::vector<int64_t>& s = result.score_tokens;
  ASSERT_EQ(s.size(), 21u);
  EXPECT_EQ(s[0], 0);
  std::set<int64_t> distinct(s.begin() + 1, s.begin() + 11);
  EXPECT_EQ(distinct.size(), 10u);
  EXPECT_FALSE(distinct.count(0));
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(s[i], s[i + 10]);
  // Without a prompt the patterns are shown for the same sequence.
  EXPECT_EQ(result.patterns.size(2), 21);
  // TransformerLens's induction score on [BOS] + r + r: the mean over the second
  // copy of the attention from i to i - N + 1.
  for (int l = 0; l < 2; ++l) {
    for (int h = 0; h < 4; ++h) {
      double total = 0;
      for (int i = 11; i <= 20; ++i) total += result.patterns[l][h][i][i - 9].item<double>();
      EXPECT_NEAR(result.induction[l][h].item<double>(), total / 10, 1e-6);
    }
  }
  probes::AttentionResult again = probes::attention(*model, params, {});
  EXPECT_EQ(again.score_tokens, s) << "the seed fixes the sequence";
}

TEST(Attention, BesideAPromptThePatternsTheScoresWereMeasuredOnComeToo) {
  auto model = test::reference_model("gpt2_a");
  probes::AttentionParams params;
  params.tokens = kTokens;
  params.induction_seq_len = 6;
  const probes::AttentionResult result = probes::attention(*model, params, {});
  ASSERT_TRUE(result.score_patterns.defined());
  EXPECT_EQ(result.score_patterns.size(2), 12);
  const std::vector<Plot> plots = probes::to_plots(result);
  const auto scored = std::find_if(plots.begin(), plots.end(), [](const Plot& p) { return p.name == "scored_pattern_L1H2"; });
  ASSERT_NE(scored, plots.end());
  EXPECT_EQ(scored->shape, (std::vector<int64_t>{12, 12}));
  // The induction score is the mean attention to i - N + 1 over the second copy, on these patterns.
  double total = 0;
  for (int i = 6; i < 12; ++i) total += scored->at(i, i - 5);
  EXPECT_NEAR(result.induction[1][2].item<double>(), total / 6, 1e-6);
  params.induction_seq_len = 0;  // scored on the prompt itself: nothing more to show
  EXPECT_FALSE(probes::attention(*model, params, {}).score_patterns.defined());
}

TEST(Attention, StopsWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  probes::AttentionParams params;
  params.tokens = kTokens;
  Progress progress;
  progress.cancelled = [] { return true; };
  EXPECT_THROW(probes::attention(*model, params, progress), Cancelled);
}

TEST(Attention, CliWritesThePlotLayout) {
  test::TempDir dir;
  const std::string out = dir.file("a.h5");
  test::CliRun run =
      test::run_cli("probe attention-heads --model " + test::model_dir("gpt2_a") + " --tokens 5,7,9,5,7 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  auto plots = test::read_plot_map(out);
  auto model = test::reference_model("gpt2_a");
  RunOptions o;
  o.capture = NameFilter(".*hook_pattern");
  RunResult r = model->run({5, 7, 9, 5, 7}, o);
  for (int l = 0; l < 2; ++l) {
    at::Tensor pattern = r.cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern").cpu();
    for (int h = 0; h < 4; ++h) {
      const Plot& p = plots.at("pattern_L" + std::to_string(l) + "H" + std::to_string(h));
      EXPECT_EQ(p.kind, "heatmap");
      EXPECT_EQ(p.shape, (std::vector<int64_t>{5, 5}));
      EXPECT_EQ(p.x.labels[3], "<5>");  // the raw token string, its position apart
      EXPECT_EQ(p.x.positions[3], 3);
      EXPECT_FLOAT_EQ(p.at(4, 3), pattern[h][4][3].item<float>());
      EXPECT_FLOAT_EQ(plots.at("attention_overview").at(l * 5 + 4, h * 5 + 3), pattern[h][4][3].item<float>());
    }
  }
  const Plot& overview = plots.at("attention_overview");
  EXPECT_EQ(overview.shape, (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(overview.y.labels[5], "L1 0:<5>");
  EXPECT_EQ(overview.x.labels[6], "H1 1:<7>");
  for (const std::string name : {"head_previous_token", "head_duplicate_token", "head_induction"})
    EXPECT_EQ(plots.at(name).shape, (std::vector<int64_t>{2, 4})) << name;
}

TEST(Attention, BadParametersGiveOneClearError) {
  test::TempDir dir;
  const std::string model = " --model " + test::model_dir("gpt2_a") + " --out " + dir.file("a.h5");
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe attention-heads --induction-seq-len -1" + model), "induction-seq-len"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe attention-heads --induction-seq-len 40" + model),
                                  "--induction-seq-len must lie in"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe attention-heads --induction-seq-len 0" + model), "prompt"));
  EXPECT_EQ(test::run_cli("probe attention-heads --induction-seq-len 8" + model).status, 0);
}

}  // namespace
}  // namespace glassbox
