#pragma once
// Module importance (He et al., "What Matters in Transformers? Not All
// Attention is Needed", docs/methods.md#module-importance): S = 1 − cos(X, X + f(LN(X))) with X a
// module's residual input and X + f(LN(X)) its output, per token:
//   attention: X = resid_pre, output resid_pre + attn_out;
//   MLP: X = resid_mid (serial blocks) or resid_pre (parallel-residual blocks,
//        whose MLP reads resid_pre), output X + mlp_out;
//   block: X = resid_pre, output resid_post.
// Low S: the module barely turns the residual (a candidate for dropping).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct ImportanceParams {
  std::vector<int64_t> tokens;
};

struct ImportanceResult {
  std::vector<std::string> token_strings;
  at::Tensor score;  // [3 (attention, mlp, block), n_layers, T]
};

ImportanceResult importance(const Model& model, const ImportanceParams& params, const Progress& progress);

// /plots/importance: line [3 series (attention, mlp, block), n_layers], means over tokens;
// /plots/importance_{attention,mlp,block}_tokens: heatmaps [layer, token].
std::vector<Plot> to_plots(const ImportanceResult& result);

}  // namespace glassbox::probes
