#pragma once
// Residual-stream norms: ‖h‖₂ of resid_pre of block 0 (the embedding) and of
// every block's resid_post, per token.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct ResidualNorms {
  std::vector<std::string> token_strings;
  std::vector<std::string> rows;  // "embed", "L0", "L1", ...
  at::Tensor norms;               // [n_layers + 1, T]
};

ResidualNorms residual_norms(const Model& model, const std::vector<int64_t>& tokens, const Progress& progress);

// /plots/resid_norm: heatmap [row, token]; /plots/resid_norm_mean: line [row], mean over tokens.
std::vector<Plot> to_plots(const ResidualNorms& result);

}  // namespace glassbox::probes
