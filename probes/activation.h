#pragma once
// One hook point's activation on the prompt: the tensor with its position
// dimension first, flattened to [position, component], and its ℓ2 norm per
// position. What the model panel's double-click on a hook point shows.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct Activation {
  std::string hook;
  std::vector<std::string> token_strings;
  std::vector<int64_t> shape;  // as captured: resid [T, d_model], pattern [heads, T, T], z [T, heads, d_head]
  at::Tensor values;           // [T, components]: the position dimension first, the rest flattened in order
};

Activation activation(const Model& model, const std::vector<int64_t>& tokens, const std::string& hook,
                      const Progress& progress);

// /plots/activation: heatmap [position, component]; /plots/activation_norm: line [position].
std::vector<Plot> to_plots(const Activation& result);

}  // namespace glassbox::probes
