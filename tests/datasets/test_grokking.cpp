// The paper's qualitative result at CI size (docs/methods.md#the-grok-mlp; the full-size table
// is tests/bench/reproduce_grokking.sh): without weight decay the MLP both
// memorizes the corrupted training labels and generalizes, and pruning its
// low-IPR neurons removes the memorization while test accuracy holds.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/model.h"
#include "datasets/train_modular.h"
#include "probes/ipr.h"
#include "probes/prune_curve.h"
#include "test_util.h"

using namespace glassbox;

namespace {

datasets::ModularTrainConfig small_grok_config() {
  datasets::ModularTrainConfig c;
  c.data.p = 61;
  c.data.train_frac = 0.5;
  c.data.corrupt = 0.1;
  c.data.seed = 0;
  c.width = 300;
  c.epochs = 1200;
  c.weight_decay = 0;
  c.log_every = 100;
  return c;
}

}  // namespace

TEST(Grokking, MemorizesCorruptedLabelsAndLowIprPruningRemovesThem) {
  const datasets::ModularTrainConfig config = small_grok_config();
  datasets::ModularTrainResult result = datasets::train_modular(config);
  const auto& acc = result.final_accuracy;  // train, train_corrupted, train_clean, test
  EXPECT_GE(acc[1], 0.9) << "corrupted labels memorized";
  EXPECT_GE(acc[2], 0.99);
  EXPECT_GE(acc[3], 0.9) << "and the rule generalizes";

  // Through the saved folder, as a user gets it.
  test::TempDir dir;
  datasets::save_modular_model(config, result, dir.path(), "test");
  auto model = load_model(dir.path());
  const ToyMlp& mlp = probes::require_toy_mlp(*model, "prune-curve");
  const datasets::ModularData data = datasets::make_modular(datasets::modular_spec_from_model_dir(dir.path()));
  probes::PruneCurveParams params;
  for (const auto& s : datasets::modular_subsets(data)) {
    if (s.name != "train") params.sets.push_back({s.name, data.pairs.index_select(0, s.rows), s.labels});
  }
  probes::PruneCurve curve = probes::prune_curve(mlp, params);
  ASSERT_EQ(curve.set_names, (std::vector<std::string>{"train_corrupted", "train_clean", "test"}));
  const auto& low = curve.lowest_first_accuracy;
  const auto& high = curve.highest_first_accuracy;
  EXPECT_NEAR(low[2][0], acc[3], 1e-9);

  // The first k at which the corrupted labels are mostly forgotten.
  size_t k = 0;
  while (k < low[0].size() && low[0][k] > 0.25) ++k;
  ASSERT_LT(k, low[0].size() / 2) << "pruning fewer than half the neurons removes the memorization";
  EXPECT_GE(low[2][k], low[2][0] - 0.02) << "test accuracy holds at k = " << k;
  EXPECT_GE(low[1][k], 0.95) << "clean train accuracy holds at k = " << k;
  // The control order destroys the rule instead.
  EXPECT_LT(high[2][k], 0.5);
  EXPECT_GT(high[0][k], low[0][k]);
}
