#pragma once
// Trains the grok MLP (core/toy_mlp.h) on a modular-arithmetic task exactly as
// Doshi et al. (docs/methods.md, "The grok MLP"): init N(0, (init_scale/(2N)^{1/3})²) for W1 and W2, MSE
// to the one-hot label, full-batch AdamW. Saves a model folder that load_model()
// opens (model_type glassbox_mlp).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/progress.h"
#include "core/toy_mlp.h"
#include "datasets/modular.h"
#include "datasets/training_curves.h"

namespace glassbox::datasets {

struct ModularTrainConfig {
  ModularSpec data;
  int64_t width = 500;
  int64_t epochs = 1000;
  double lr = 1e-2, beta1 = 0.9, beta2 = 0.98;
  double weight_decay = 0.0;
  double dropout = 0.0;
  bool batchnorm = false;
  double init_scale = 0.5;
  uint64_t init_seed = 0;  // weights and dropout masks
  int64_t log_every = 0;   // epochs between curve points; 0: about 200 points
  std::string device = "cpu";

  void validate(const std::string& where) const;  // throws Error
};

// Rows of a ModularData and the labels each subset is scored against.
struct ModularSubset {
  std::string name;
  at::Tensor rows;    // int64 indices into the data's pairs
  at::Tensor labels;  // int64, one per row
};
// train (noisy labels), train_corrupted (the replaced labels: memorization),
// train_clean and test (the true rule).
std::vector<ModularSubset> modular_subsets(const ModularData& data);
// Fraction of each subset whose argmax logit equals its label; logits [p², p].
std::vector<double> subset_accuracies(const at::Tensor& logits, const std::vector<ModularSubset>& subsets);

struct ModularTrainResult {
  ToyMlpWeights weights;  // float32 on the CPU
  TrainingCurves curves{{"train", "test"}, {"train", "train_corrupted", "train_clean", "test"}};
  std::vector<double> final_accuracy;  // train, train_corrupted, train_clean, test
  double train_seconds = 0;            // optimisation steps only (no evaluation)
};

// Checks progress between epochs (throws Cancelled).
ModularTrainResult train_modular(const ModularTrainConfig& config, const Progress& progress = {});

// Writes <dir>/config.json, model.safetensors, training.h5 and TRAINED_WITH.txt
// (`command`, the command line that made it). Creates dir if missing.
void save_modular_model(const ModularTrainConfig& config, const ModularTrainResult& result,
                        const std::string& dir, const std::string& command);

}  // namespace glassbox::datasets
