// glassbox-cli train / probe ipr / probe prune-curve end to end: the files a
// user gets and the errors for bad flags.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/h5.h"
#include "core/json.h"
#include "test_util.h"

using namespace glassbox;

namespace {


}  // namespace

TEST(ToyCli, TrainModularThenProbes) {
  test::TempDir dir;
  const std::string model = dir.file("mlp");
  test::CliRun train = test::run_cli("train modular --p 23 --op sub --train-frac 0.5 --corrupt 0.2 --width 40 --epochs 30 "
                     "--weight-decay 1 --dropout 0.1 --batchnorm --seed 3 --threads 1 --out " + model);
  ASSERT_EQ(train.status, 0) << train.all();
  for (const char* f : {"config.json", "model.safetensors", "training.h5", "TRAINED_WITH.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(model + "/" + f)) << f;
  }
  nlohmann::json config = read_json_file(model + "/config.json");
  EXPECT_EQ(config["model_type"], "glassbox_mlp");
  EXPECT_EQ(config["dataset"]["op"], "sub");
  EXPECT_EQ(config["dataset"]["seed"], 3);
  EXPECT_TRUE(config["batchnorm"].get<bool>());
  h5::Reader curves(model + "/training.h5");
  EXPECT_EQ(curves.read_strings("/plots/accuracy/series"),
            (std::vector<std::string>{"train", "train_corrupted", "train_clean", "test"}));

  test::CliRun ipr = test::run_cli("probe ipr --model " + model + " --out " + dir.file("ipr.h5"));
  ASSERT_EQ(ipr.status, 0) << ipr.all();
  h5::Reader ipr_file(dir.file("ipr.h5"));
  EXPECT_EQ(ipr_file.attr_string("/plots/ipr", "kind"), "histogram");
  EXPECT_EQ(ipr_file.shape("/plots/ipr_neurons/data"), (std::vector<int64_t>{4, 40}));

  test::CliRun prune = test::run_cli("probe prune-curve --model " + model + " --out " + dir.file("prune.h5"));
  ASSERT_EQ(prune.status, 0) << prune.all();
  h5::Reader prune_file(dir.file("prune.h5"));
  EXPECT_EQ(prune_file.shape("/plots/prune_curve/data"), (std::vector<int64_t>{3, 41}));
  EXPECT_EQ(prune_file.read_strings("/plots/prune_curve/series"),
            (std::vector<std::string>{"train_corrupted", "train_clean", "test"}));
  EXPECT_TRUE(prune_file.exists("/plots/prune_curve_control/data"));
  EXPECT_EQ(prune_file.attr_string("/plots/prune_curve", "probe"), "prune-curve");
}

TEST(ToyCli, TrainTransformerTasks) {
  test::TempDir dir;
  test::CliRun two_hop = test::run_cli("train two-hop --entities 5 --relations 2 --layers 1 --d-model 16 --steps 5 --threads 1 --out " +
                       dir.file("two_hop"));
  ASSERT_EQ(two_hop.status, 0) << two_hop.all();
  EXPECT_TRUE(std::filesystem::exists(dir.file("two_hop/tokenizer.json")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("two_hop/two_hop_heldout.csv")));
  test::CliRun tokens = test::run_cli("tokenize --model " + dir.file("two_hop") + " --text \"the mother of the father of " +
                      "nobody is\"");
  EXPECT_EQ(tokens.status, 0) << tokens.all();

  test::CliRun laundry = test::run_cli("train laundry-list --items 6 --length 3 --train-examples 40 --test-examples 8 --layers 1 "
                       "--d-model 16 --steps 5 --threads 1 --out " + dir.file("laundry"));
  ASSERT_EQ(laundry.status, 0) << laundry.all();
  nlohmann::json config = read_json_file(dir.file("laundry/config.json"));
  EXPECT_EQ(config["model_type"], "glassbox_transformer");
  EXPECT_EQ(config["n_positions"], 9);
}

TEST(ToyCli, BadInputIsOneClearError) {
  test::TempDir dir;
  test::CliRun frac = test::run_cli("train modular --train-frac 1.5 --out " + dir.file("x"));
  EXPECT_NE(frac.status, 0);
  EXPECT_NE(frac.all().find("train fraction must be in (0, 1], got 1.5"), std::string::npos) << frac.all();
  test::CliRun op = test::run_cli("train modular --op div --out " + dir.file("x"));
  EXPECT_NE(op.all().find("--op: unknown operation 'div'"), std::string::npos) << op.all();
  test::CliRun typo = test::run_cli("train two-hop --entites 5 --out " + dir.file("x"));
  EXPECT_NE(typo.all().find("unknown option --entites"), std::string::npos) << typo.all();
  test::CliRun wrong_model = test::run_cli("probe ipr --model " + dir.file("missing") + " --out " + dir.file("x.h5"));
  EXPECT_NE(wrong_model.status, 0);
}
