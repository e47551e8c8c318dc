#pragma once
// Trains a small causal GPT-2-style transformer (core/transformer.h: LayerNorm,
// learned positions, gelu_new MLP, biases, tied unembedding) on a PromptTask
// with cross-entropy on the answer token, minibatch AdamW. Saves a model folder
// in exact Hugging Face GPT-2 layout (model_type glassbox_transformer) with the
// task's tokenizer.json.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/progress.h"
#include "core/transformer.h"
#include "datasets/prompt_task.h"
#include "datasets/training_curves.h"

namespace glassbox::datasets {

struct TransformerTrainConfig {
  int n_layers = 4, n_heads = 4, d_model = 64, d_mlp = 256;
  int64_t n_ctx = 16;  // learned positions
  int64_t steps = 3000;
  int64_t batch = 256;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.98, weight_decay = 0.1;
  int64_t warmup = 100;  // linear learning-rate warm-up steps
  uint64_t seed = 0;     // weights and batches
  int64_t log_every = 0;  // steps between curve points; 0: about 100 points
  std::string device = "cpu";

  void validate(const std::string& where) const;  // throws Error
};

struct TransformerTrainResult {
  TransformerConfig config;
  TransformerWeights weights;  // float32 on the CPU
  std::vector<std::string> set_names;
  std::vector<double> final_accuracy;  // per set of the task
  TrainingCurves curves{{}, {}};
  double train_seconds = 0;
};

TransformerTrainResult train_transformer(const PromptTask& task, const TransformerTrainConfig& config,
                                         const Progress& progress = {});

// Accuracy of the answer token (argmax at the last position) on each set.
std::vector<double> prompt_accuracies(const Model& model, const PromptTask& task);

// Writes <dir>/config.json (GPT-2 fields, model_type glassbox_transformer, the
// task's spec), model.safetensors (HF GPT-2 names), tokenizer.json,
// training.h5 and TRAINED_WITH.txt.
void save_transformer_model(const PromptTask& task, const TransformerTrainConfig& config,
                            const TransformerTrainResult& result, const std::string& dir, const std::string& command);

}  // namespace glassbox::datasets
