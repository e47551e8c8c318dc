// ablate: the ablated run equals the clean run with each removed unit's
// contribution taken out of the block output by hand (neuron n of layer l
// adds post[:, n] · W_out[n, :] to mlp_out; head h adds z[:, h] · W_O[h] to
// attn_out); the loss is the mean next-token cross-entropy.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "core/transformer.h"
#include "probes/ablate.h"
#include "core/model_fixtures.h"

namespace glassbox {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};

double mean_loss(const at::Tensor& logits, const std::vector<int64_t>& tokens) {
  at::Tensor logprobs = at::log_softmax(logits.to(at::kCPU, at::kDouble), -1);
  double total = 0;
  for (int64_t t = 0; t + 1 < int64_t(tokens.size()); ++t) total -= logprobs[t][tokens[t + 1]].item<double>();
  return total / (tokens.size() - 1);
}

RunResult capture(const Model& model, const std::vector<int64_t>& tokens, const std::string& regex) {
  RunOptions o;
  o.capture = NameFilter(regex);
  return model.run(tokens, o);
}

TEST(Ablate, ZeroingNeuronsRemovesTheirWriteToTheResidual) {
  auto model = test::reference_model("gpt2_a");
  const auto& w = dynamic_cast<const Transformer&>(*model).weights();
  probes::AblateParams params;
  params.tokens = kTokens;
  params.neurons = {{0, 3}, {0, 100}};
  params.target = 42;
  probes::AblateResult result = probes::ablate(*model, params, {});

  at::Tensor post = capture(*model, kTokens, "blocks\\.0\\.mlp\\.hook_post").cache.get("blocks.0.mlp.hook_post");
  at::Tensor removed = at::zeros({int64_t(kTokens.size()), model->info().d_model});
  for (int64_t n : {3, 100}) removed += post.select(1, n).unsqueeze(1) * w.layers[0].W_out[n].unsqueeze(0);
  RunOptions by_hand;
  by_hand.edits.push_back(Edit::add("blocks.0.hook_mlp_out", {}, -removed));
  at::Tensor ablated_logits = model->run(kTokens, by_hand).logits;
  at::Tensor clean_logits = model->run(kTokens).logits;

  EXPECT_NEAR(result.clean_loss, mean_loss(clean_logits, kTokens), 1e-5);
  EXPECT_NEAR(result.ablated_loss, mean_loss(ablated_logits, kTokens), 1e-4);
  EXPECT_GT(std::abs(result.ablated_loss - result.clean_loss), 1e-4);
  at::Tensor p = at::softmax(ablated_logits.to(at::kDouble), -1);
  for (int64_t t = 0; t < int64_t(kTokens.size()); ++t)
    EXPECT_NEAR(result.target_prob[1][t].item<double>(), p[t][42].item<double>(), 1e-5);
  EXPECT_EQ(result.token_loss.sizes(), (at::IntArrayRef{2, int64_t(kTokens.size()) - 1}));
}

// Mean ablation of heads in the last layer of a GQA model, means over `reference`.
void expect_mean_head_ablation(const std::vector<std::vector<int64_t>>& reference) {
  auto model = test::reference_model("llama_gqa");
  const auto& transformer = dynamic_cast<const Transformer&>(*model);
  const int l = model->info().n_layers - 1;
  const std::string z_hook = "blocks." + std::to_string(l) + ".attn.hook_z";
  probes::AblateParams params;
  params.tokens = kTokens;
  params.heads = {{l, 1}, {l, 2}};
  params.mode = probes::AblationMode::mean;
  params.reference = reference;
  probes::AblateResult result = probes::ablate(*model, params, {});

  std::vector<at::Tensor> zs;
  for (const auto& prompt : reference.empty() ? std::vector<std::vector<int64_t>>{kTokens} : reference)
    zs.push_back(capture(*model, prompt, z_hook).cache.get(z_hook));
  at::Tensor mean_z = at::cat(zs).mean(0);  // [H, d_head]
  at::Tensor z = capture(*model, kTokens, z_hook).cache.get(z_hook);
  at::Tensor W_O = transformer.W_O(l);  // [H, d_head, d_model]
  at::Tensor change = at::zeros({int64_t(kTokens.size()), model->info().d_model});
  for (int64_t h : {1, 2}) change += at::matmul(mean_z[h].unsqueeze(0) - z.select(1, h), W_O[h]);
  RunOptions by_hand;
  by_hand.edits.push_back(Edit::add("blocks." + std::to_string(l) + ".hook_attn_out", {}, change));
  EXPECT_NEAR(result.ablated_loss, mean_loss(model->run(kTokens, by_hand).logits, kTokens), 1e-4);
  EXPECT_GT(std::abs(result.ablated_loss - result.clean_loss), 1e-5);
}

TEST(Ablate, MeanAblatingHeadsOverThePrompt) { expect_mean_head_ablation({}); }
TEST(Ablate, MeanAblatingHeadsOverReferencePrompts) {
  expect_mean_head_ablation({{1, 2, 3, 4, 5}, {400, 401, 402}});
}

TEST(Ablate, StopsWhenCancelled) {
  auto model = test::reference_model("gpt2_a");
  probes::AblateParams params;
  params.tokens = kTokens;
  params.heads = {{0, 0}};
  Progress progress;
  progress.cancelled = [] { return true; };
  EXPECT_THROW(probes::ablate(*model, params, progress), Cancelled);
}

TEST(Ablate, CliWritesThePlotLayout) {
  test::TempDir dir;
  const std::string out = dir.file("a.h5"), reference = dir.file("ref.txt");
  std::ofstream(reference) << "1,2,3\n\n4,5,6,7\n";
  test::CliRun run = test::run_cli("probe ablate --model " + test::model_dir("gpt2_a") +
                                   " --tokens 303,211,294,53 --neurons 0:3,1:7 --heads 1:2 --mode mean"
                                   " --reference-tokens " + reference + " --target 42 --out " + out);
  ASSERT_EQ(run.status, 0) << run.err;
  auto plots = test::read_plot_map(out);
  const Plot& summary = plots.at("ablate_summary");
  EXPECT_EQ(summary.kind, "table");
  EXPECT_EQ(summary.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(summary.y.labels, (std::vector<std::string>{"clean", "ablated"}));
  EXPECT_EQ(summary.x.labels, (std::vector<std::string>{"loss", "target_prob"}));
  const Plot& loss = plots.at("ablate_token_loss");
  EXPECT_EQ(loss.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(loss.series, (std::vector<std::string>{"clean", "ablated"}));
  EXPECT_NEAR((loss.at(1, 0) + loss.at(1, 1) + loss.at(1, 2)) / 3, summary.at(1, 0), 1e-5);
  EXPECT_EQ(plots.at("ablate_target_prob").shape, (std::vector<int64_t>{2, 4}));
  EXPECT_NE(run.out.find("\"loss_change\""), std::string::npos);
}

TEST(Ablate, BadParametersGiveOneClearError) {
  test::TempDir dir;
  const std::string model = " --model " + test::model_dir("gpt2_a") + " --tokens 1,2,3 --out " + dir.file("a.h5");
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --heads ''" + model), "neurons or heads"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --neurons 0-3" + model), "--neurons"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --neurons 2:3" + model), "layer outside [0, 2)"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --heads 0:4" + model), "head 0:4"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --heads 0:1 --mode half" + model), "--mode"));
  EXPECT_TRUE(test::fails_clearly(
      test::run_cli("probe ablate --heads 0:1 --reference-tokens " + dir.file("none.txt") + model), "mode mean"));
  EXPECT_TRUE(test::fails_clearly(
      test::run_cli("probe ablate --heads 0:1 --mode mean --reference-tokens " + dir.file("none.txt") + model),
      "none.txt"));
  EXPECT_TRUE(test::fails_clearly(test::run_cli("probe ablate --heads 0:1 --tokens 5 --model " +
                                                test::model_dir("gpt2_a") + " --out " + dir.file("a.h5")),
                                  "at least 2 tokens"));
}

}  // namespace
}  // namespace glassbox
