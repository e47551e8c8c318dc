#pragma once
// Activation sparsity (docs/methods.md#mlp-sparsity): the fraction of MLP hidden units
// (blocks.l.mlp.hook_post) with |value| > ε, per token and layer.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct SparsityParams {
  std::vector<int64_t> tokens;
  double epsilon = 0.01;
};

struct SparsityResult {
  std::vector<std::string> token_strings;
  double epsilon = 0;
  at::Tensor active_fraction;  // [n_layers, T]
};

SparsityResult sparsity(const Model& model, const SparsityParams& params, const Progress& progress);

// /plots/sparsity: line [n_layers], the mean over tokens;
// /plots/sparsity_tokens: heatmap [layer, token].
std::vector<Plot> to_plots(const SparsityResult& result);

}  // namespace glassbox::probes
