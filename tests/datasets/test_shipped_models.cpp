// The toy models in resources/models load through load_model and score what
// their config.json records (the numbers in docs/toy-models.md).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include "core/model.h"
#include "datasets/train_modular.h"
#include "datasets/train_transformer.h"
#include "datasets/two_hop.h"
#include "test_util.h"

using namespace glassbox;

TEST(ShippedModels, GrokMlpScoresItsRecordedAccuracies) {
  const std::string dir = test::resources("models/grok-mlp-p97-wd0");
  auto model = load_model(dir);
  EXPECT_EQ(model->info().family, "glassbox_mlp");
  const nlohmann::json config = read_json_file(dir + "/config.json");
  const datasets::ModularData data = datasets::make_modular(datasets::modular_spec_from_model_dir(dir));
  ForwardArgs args;
  args.tokens = data.pairs;
  at::Tensor logits;
  {
    at::NoGradGuard no_grad;
    logits = model->forward(args).logits.squeeze(1);
  }
  std::vector<double> accuracy = datasets::subset_accuracies(logits, datasets::modular_subsets(data));
  const auto& recorded = config["training"]["final_accuracy"];
  EXPECT_NEAR(accuracy[0], recorded["train"].get<double>(), 1e-9);
  EXPECT_NEAR(accuracy[1], recorded["train_corrupted"].get<double>(), 1e-9);
  EXPECT_NEAR(accuracy[3], recorded["test"].get<double>(), 1e-9);
  EXPECT_GT(accuracy[1], 0.9);  // memorized
  EXPECT_GT(accuracy[3], 0.95);  // and generalizes
}

TEST(ShippedModels, TwoHopTransformerScoresItsRecordedAccuracies) {
  const std::string dir = test::resources("models/two-hop");
  auto model = load_model(dir);
  EXPECT_EQ(model->info().model_type, "glassbox_transformer");
  ASSERT_NE(model->tokenizer(), nullptr);
  const nlohmann::json config = read_json_file(dir + "/config.json");
  const datasets::PromptTask task =
      datasets::make_two_hop(datasets::two_hop_spec_from_json(config["dataset"], dir + "/config.json"));
  std::vector<double> accuracy = datasets::prompt_accuracies(*model, task);
  ASSERT_EQ(accuracy.size(), 3u);
  for (size_t i = 0; i < task.sets.size(); ++i) {
    EXPECT_NEAR(accuracy[i], config["training"]["final_accuracy"][task.sets[i].name].get<double>(), 1e-9)
        << task.sets[i].name;
  }
  EXPECT_EQ(accuracy[0], 1.0);  // every one-hop fact
}
