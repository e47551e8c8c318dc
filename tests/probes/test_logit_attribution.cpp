// logit-attribution: the components sum to the model's own logit difference
// (LayerNorm, RMSNorm, parallel residual, SmolLM2 on IOI); one head's share
// written out by hand from the raw weights and a final norm recomputed from
// the residual; a prompt set's mean is the mean of its rows' runs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "core/tokenizer.h"
#include "core/transformer.h"
#include "probes/logit_attribution.h"
#include "probes/registry.h"

namespace glassbox::probes {
namespace {

const std::vector<int64_t> kTokens = {303, 211, 294, 53, 204, 372, 152, 505};
const char* const kIoiPrompt = "When Mary and John went to the store, John gave a drink to";

// The model's top and bottom prediction at `position`: a logit difference far from 0.
Metric extreme_metric(const Model& model, const std::vector<int64_t>& tokens, int64_t position) {
  const at::Tensor logits = model.run(tokens).logits[position];
  Metric m;
  m.answer = logits.argmax().item<int64_t>();
  m.wrong = logits.argmin().item<int64_t>();
  return m;
}

void expect_components_sum_to_logit_diff(const Model& model, const LogitAttributionParams& p) {
  const LogitAttributionResult r = logit_attribution(model, p, {});
  const at::Tensor logits = model.run(p.tokens).logits[r.position].to(at::kDouble);
  const double expected = (logits[p.metric.answer] - logits[p.metric.wrong]).item<double>();
  EXPECT_NEAR(r.logit_diff, expected, 1e-6 * std::abs(expected));
  EXPECT_NEAR(r.components_sum, expected, 1e-4 * std::abs(expected));
  EXPECT_NEAR(r.components.sum().item<double>(), r.components_sum, 1e-9 * std::abs(expected));
  ASSERT_EQ(r.component_labels.size(), size_t(r.components.numel()));
  // The finer pieces add up to the layer totals: heads and b_O to hook_attn_out,
  // neurons and b_out to hook_mlp_out.
  const double tolerance = 1e-5 * std::max(1.0, r.attention.abs().max().item<double>());
  EXPECT_LE((r.heads.sum(1) + r.attention_bias - r.attention).abs().max().item<double>(), tolerance);
  EXPECT_NEAR(r.neurons.sum().item<double>() + r.mlp_bias[r.neuron_layer].item<double>(),
              r.mlp[r.neuron_layer].item<double>(), 1e-5 * std::max(1.0, std::abs(r.mlp[r.neuron_layer].item<double>())));
}

void expect_sums(const std::string& name, bool learned_pos, bool biases) {
  SCOPED_TRACE(name);
  auto model = test::reference_model(name);
  const int L = model->info().n_layers;
  for (const int64_t position : {int64_t(-1), int64_t(3)}) {
    LogitAttributionParams p;
    p.tokens = kTokens;
    p.position = position;
    p.metric = extreme_metric(*model, kTokens, position < 0 ? int64_t(kTokens.size()) + position : position);
    p.neuron_layer = position < 0 ? -1 : 0;
    expect_components_sum_to_logit_diff(*model, p);
  }
  LogitAttributionParams p;
  p.tokens = kTokens;
  p.metric = extreme_metric(*model, kTokens, -1);
  const LogitAttributionResult r = logit_attribution(*model, p, {});
  EXPECT_EQ(r.neuron_layer, L - 1);
  EXPECT_EQ(r.top_neurons.numel(), std::min<int64_t>(20, model->info().d_mlp));
  // The labels the table shows: positions and biases only where the model has them.
  const auto has = [&](const std::string& label) {
    return std::find(r.component_labels.begin(), r.component_labels.end(), label) != r.component_labels.end();
  };
  EXPECT_EQ(r.component_labels.front(), "embed");
  EXPECT_EQ(has("pos_embed"), learned_pos);
  EXPECT_EQ(has("L0 b_O"), biases);
  EXPECT_EQ(has("ln_final bias"), biases);
  EXPECT_TRUE(has("L" + std::to_string(L - 1) + " heads") && has("L0 neurons"));
}

TEST(LogitAttribution, SumsToTheLogitDifferenceWithLayerNorm) { expect_sums("gpt2_a", true, true); }
TEST(LogitAttribution, SumsToTheLogitDifferenceWithRmsNorm) { expect_sums("llama_gqa", false, false); }
TEST(LogitAttribution, SumsToTheLogitDifferenceWithParallelResidual) { expect_sums("neox_parallel", false, true); }

// Head h's output z_h · W_O[h rows], put through a LayerNorm/RMSNorm whose scale
// is recomputed from the last resid_post, projected on ln_final.w ⊙ (W_U[:, a] − W_U[:, w]).
void expect_head_by_hand(const std::string& name) {
  SCOPED_TRACE(name);
  auto model = test::reference_model(name);
  const auto& t = dynamic_cast<const Transformer&>(*model);
  const TransformerConfig& c = t.config();
  const int layer = c.n_layers - 1, head = c.n_heads - 1;
  LogitAttributionParams p;
  p.tokens = kTokens;
  p.metric = extreme_metric(*model, kTokens, -1);
  const LogitAttributionResult r = logit_attribution(*model, p, {});

  RunOptions o;
  o.capture = NameFilter("blocks\\.\\d+\\.(attn\\.hook_z|hook_resid_post)");
  const RunResult run = model->run(kTokens, o);
  const auto d = [](const at::Tensor& x) { return x.to(at::kCPU, at::kDouble); };
  const at::Tensor z = d(run.cache.get(hook_name(Hook::z, layer))[-1][head]);
  const at::Tensor W_O_rows = d(t.weights().layers[layer].W_O).narrow(0, int64_t(head) * c.d_head, c.d_head);
  at::Tensor out = at::matmul(z, W_O_rows);
  at::Tensor resid = d(run.cache.get(hook_name(Hook::resid_post, c.n_layers - 1))[-1]);
  const bool layernorm = c.norm == TransformerConfig::Norm::layernorm;
  if (layernorm) {
    resid = resid - resid.mean();
    out = out - out.mean();
  }
  const double scale = std::sqrt(resid.pow(2).mean().item<double>() + c.norm_eps);
  const at::Tensor& W_U = t.weights().W_U;
  const at::Tensor direction = d(W_U.select(1, p.metric.answer)) - d(W_U.select(1, p.metric.wrong));
  const double expected = at::dot(out / scale * d(t.weights().ln_final_w), direction).item<double>();
  EXPECT_NEAR(r.heads[layer][head].item<double>(), expected, 1e-5 * std::max(1.0, std::abs(expected)));
  EXPECT_GT(std::abs(expected), 1e-3) << "the head writes something along the direction";
}

TEST(LogitAttribution, OneHeadMatchesAHandComputationWithLayerNorm) { expect_head_by_hand("gpt2_a"); }
TEST(LogitAttribution, OneHeadMatchesAHandComputationWithRmsNorm) { expect_head_by_hand("llama_gqa"); }

TEST(LogitAttribution, RejectsBadParameters) {
  auto model = test::reference_model("gpt2_a");
  const auto fails = [&](auto change, const std::string& needle) {
    LogitAttributionParams p;
    p.tokens = kTokens;
    p.metric.answer = 5;
    p.metric.wrong = 7;
    change(p);
    try {
      logit_attribution(*model, p, {});
      ADD_FAILURE() << "no error; expected one mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("logit-attribution"), std::string::npos) << e.what();
    }
  };
  fails([](LogitAttributionParams& p) { p.metric.kind = Metric::Kind::prob; }, "logit difference");
  fails([](LogitAttributionParams& p) { p.metric.wrong = p.metric.answer; }, "same token");
  fails([&](LogitAttributionParams& p) { p.metric.answer = model->info().d_vocab; }, "outside the vocabulary");
  fails([](LogitAttributionParams& p) { p.position = 8; }, "position 8");
  fails([](LogitAttributionParams& p) { p.tokens.clear(); }, "no tokens");
  fails([&](LogitAttributionParams& p) { p.neuron_layer = model->info().n_layers; }, "neuron layer");
  fails([](LogitAttributionParams& p) { p.top_neurons = 0; }, "top neurons");
}

class SmolLM2Attribution : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path = GLASSBOX_SMOLLM2_GGUF;
    ASSERT_TRUE(std::filesystem::exists(path)) << path << ": run .ci/setup.sh";
    model_ = test::load_on_test_device(path).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static std::vector<int64_t> encode(const std::string& text) { return model_->tokenizer()->encode(text, false); }
  static int64_t token(const std::string& text) {
    const std::vector<int64_t> ids = encode(text);
    EXPECT_EQ(ids.size(), 1u) << text;
    return ids.at(0);
  }
  static AnalysisOutput run_analysis(const AnalysisInputs& in, const ParamInputs& inputs) {
    const Analysis* a = find_analysis("logit-attribution");
    EXPECT_NE(a, nullptr);
    return a->run(*model_, in, parse_params(a->params(model_->info()), inputs, *model_, Front::cli), {});
  }
  static inline Model* model_ = nullptr;
};

TEST_F(SmolLM2Attribution, IoiComponentsSumToTheLogitDifferenceInAboutOneForwardPass) {
  LogitAttributionParams p;
  p.tokens = encode(kIoiPrompt);
  p.metric.answer = token(" Mary");
  p.metric.wrong = token(" John");
  expect_components_sum_to_logit_diff(*model_, p);

  // CPU time, not wall time: CI machines are shared.
  const auto cpu_seconds = [](auto&& work) {
    double best = 1e9;
    for (int i = 0; i < 2; ++i) {
      const std::clock_t start = std::clock();
      work();
      best = std::min(best, double(std::clock() - start) / CLOCKS_PER_SEC);
    }
    return best;
  };
  LogitAttributionResult r;
  const double forward = cpu_seconds([&] { model_->run(p.tokens); });
  const double attribution = cpu_seconds([&] { r = logit_attribution(*model_, p, {}); });
  std::printf("[logit-attribution] SmolLM2 IOI: logit diff %.3f, components %.3f; CPU %.3f s (a forward pass %.3f s)\n",
              r.logit_diff, r.components_sum, attribution, forward);
  EXPECT_GT(r.logit_diff, 0) << "SmolLM2 prefers the indirect object";
  // One forward pass and tensor algebra; a rerun per component would cost hundreds of passes.
  EXPECT_LT(attribution, 5 * forward + 0.5);
}

TEST_F(SmolLM2Attribution, TheAnalysisReadsTheTokensAndSummarisesTheTopHeads) {
  AnalysisInputs in;
  in.tokens = encode(kIoiPrompt);
  const AnalysisOutput out = run_analysis(in, {{"answer", {" Mary", true}}, {"wrong", {" John", true}}});
  LogitAttributionParams p;
  p.tokens = in.tokens;
  p.metric.answer = token(" Mary");
  p.metric.wrong = token(" John");
  const LogitAttributionResult r = logit_attribution(*model_, p, {});
  EXPECT_EQ(out.summary.at("answer"), p.metric.answer);
  EXPECT_EQ(out.summary.at("wrong"), p.metric.wrong);
  EXPECT_DOUBLE_EQ(out.summary.at("logit_diff").get<double>(), r.logit_diff);
  EXPECT_DOUBLE_EQ(out.summary.at("components_sum").get<double>(), r.components_sum);
  const nlohmann::json& heads = out.summary.at("top_heads");
  std::printf("[logit-attribution] SmolLM2 IOI top heads: %s\n", heads.dump().c_str());
  ASSERT_EQ(heads.size(), 5u);
  const int64_t H = r.heads.size(1);
  const int64_t best = r.heads.abs().flatten().argmax().item<int64_t>();
  EXPECT_EQ(heads[0].at("head"), "L" + std::to_string(best / H) + "H" + std::to_string(best % H));
  EXPECT_DOUBLE_EQ(heads[0].at("attribution").get<double>(), r.heads.flatten()[best].item<double>());
  for (size_t i = 1; i < heads.size(); ++i)
    EXPECT_LE(std::abs(heads[i].at("attribution").get<double>()), std::abs(heads[i - 1].at("attribution").get<double>()));

  std::map<std::string, Plot> plots;
  for (const Plot& plot : out.plots) plots[plot.name] = plot;
  const Plot& layers = plots.at("logit_attribution_layers");
  EXPECT_EQ(layers.series, (std::vector<std::string>{"attention", "mlp"}));
  EXPECT_EQ(layers.shape, (std::vector<int64_t>{2, 30}));
  const Plot& head_map = plots.at("logit_attribution_heads");
  EXPECT_EQ(head_map.shape, (std::vector<int64_t>{30, 9}));
  EXPECT_EQ(head_map.y_label, "layer");
  EXPECT_EQ(head_map.x_label, "head");
  const Plot& neurons = plots.at("logit_attribution_neurons");
  EXPECT_EQ(neurons.x.labels.at(0), "L29N" + std::to_string(r.top_neurons[0].item<int64_t>()));
  EXPECT_EQ(neurons.shape, (std::vector<int64_t>{20}));
  const Plot& table = plots.at("logit_attribution_components");
  ASSERT_EQ(table.y.labels.size(), r.component_labels.size() + 2);
  EXPECT_EQ(table.y.labels.back(), "logit difference (model)");
  EXPECT_FLOAT_EQ(table.data.back(), static_cast<float>(r.logit_diff));
}

TEST_F(SmolLM2Attribution, APromptSetsMeanIsTheMeanOfItsRows) {
  test::TempDir dir;
  const std::string csv = dir.file("ioi.csv");
  const std::vector<std::array<std::string, 4>> rows = {
      {kIoiPrompt, "When Mary and John went to the store, Mary gave a drink to", " Mary", " John"},
      {"When Tom and Anna went to the park, Anna gave a ball to",
       "When Tom and Anna went to the park, Tom gave a ball to", " Tom", " Anna"},
      {"After Lisa and Mark had lunch, Mark handed a note to", "After Lisa and Mark had lunch, Lisa handed a note to",
       " Lisa", " Mark"},
  };
  {
    std::ofstream out(csv);
    out << "clean,corrupted,answer,wrong\n";
    for (const auto& row : rows) out << '"' << row[0] << "\",\"" << row[1] << "\"," << row[2] << "," << row[3] << "\n";
  }
  AnalysisInputs in;
  in.tokens = encode(kIoiPrompt);
  in.dataset = csv;
  const AnalysisOutput out = run_analysis(in, {});

  std::vector<at::Tensor> heads, layers;
  double logit_diff = 0;
  for (const auto& row : rows) {
    LogitAttributionParams p;
    p.tokens = encode(row[0]);
    p.metric.answer = token(row[2]);
    p.metric.wrong = token(row[3]);
    const LogitAttributionResult r = logit_attribution(*model_, p, {});
    heads.push_back(r.heads);
    layers.push_back(at::stack({r.attention, r.mlp}));
    logit_diff += r.logit_diff / rows.size();
  }
  EXPECT_EQ(out.summary.at("rows"), 3);
  EXPECT_NEAR(out.summary.at("logit_diff").get<double>(), logit_diff, 1e-5 * std::abs(logit_diff));
  std::map<std::string, Plot> plots;
  for (const Plot& plot : out.plots) plots[plot.name] = plot;
  const auto expect_close = [&](const std::string& name, const at::Tensor& expected) {
    const Plot& plot = plots.at(name);
    const at::Tensor actual = at::tensor(plot.data, at::kDouble).view(expected.sizes());
    EXPECT_LE((actual - expected).abs().max().item<double>(), 1e-5 * expected.abs().max().item<double>()) << name;
  };
  const at::Tensor stacked_heads = at::stack(heads);
  expect_close("logit_attribution_heads", stacked_heads.mean(0));
  expect_close("logit_attribution_heads_std", (stacked_heads - stacked_heads.mean(0)).pow(2).mean(0).sqrt());
  expect_close("logit_attribution_layers", at::stack(layers).mean(0));
  EXPECT_EQ(plots.at("logit_attribution_components").x.labels, (std::vector<std::string>{"mean", "std"}));
}

}  // namespace
}  // namespace glassbox::probes
