#pragma once
// How much each layer adds to the residual stream (Csordás et al., "Do Language
// Models Use Their Depth Efficiently?", docs/methods.md#layer-contributions-and-skip-layer-effect). With h_l the residual
// before block l (resid_pre), a_l the attention output and m_l the MLP output:
// attention ‖a‖/‖h‖, MLP ‖m‖/‖h+a‖, layer ‖a+m‖/‖h‖ and the cosines cos(a,h),
// cos(m,h+a), cos(a+m,h), per token. h+a is resid_pre + attn_out in every
// model: resid_mid for serial blocks; for parallel-residual blocks (GPT-NeoX),
// where the MLP reads h, it is the residual the MLP's output is added to
// together with a.
//
// Skip-layer effect: layer s is skipped at positions 1..T-1 (resid_post[s] :=
// resid_pre[s]; position 0, usually BOS, keeps its output) and the rest of the
// model is rerun from there. For each later layer l, with Δ_l = resid_post[l] −
// resid_pre[l] (the layer's contribution) and Δ̃_l the same in the skipped run:
// max over positions t of ‖Δ_l,t − Δ̃_l,t‖/‖Δ_l,t‖; on the output, per
// position, ‖softmax(z_t) − softmax(z̃_t)‖₂.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

// One forward pass's residual pieces, stacked per layer: [n_layers, T, d_model],
// float32; and its logits [T, vocab].
struct ResidualParts {
  at::Tensor resid_pre, attn_out, mlp_out, resid_post;
  at::Tensor logits;
};
ResidualParts residual_parts(const Model& model, const std::vector<int64_t>& tokens);

struct ContributionsParams {
  std::vector<int64_t> tokens;
  bool skip_layers = true;  // also measure the skip-layer effect (one partial pass per layer)
};

struct ContributionsResult {
  std::vector<std::string> token_strings;
  // [3, n_layers, T]; index 0 attention, 1 MLP, 2 layer (see the header comment).
  at::Tensor norm_ratio, cosine;
  // [n_layers skipped, n_layers affected]; NaN where affected <= skipped.
  // Undefined when the skip-layer effect was not asked for.
  at::Tensor skip_effect;
  at::Tensor skip_output_effect;  // [n_layers skipped, T]: ‖softmax(z_t) − softmax(z̃_t)‖₂
};

ContributionsResult contributions(const Model& model, const ContributionsParams& params, const Progress& progress);

// /plots/contributions: line [3 series (attention, mlp, layer), n_layers] of the
//   norm ratios' means over tokens; /plots/contributions_cosine: the same for cosines;
// /plots/contributions_{attention,mlp,layer}_tokens and
//   /plots/contributions_cosine_{attention,mlp,layer}_tokens: heatmaps [layer, token];
// with the skip-layer effect: /plots/skip_effect heatmap [skipped layer, affected
//   layer], /plots/skip_output_effect bar [skipped layer] (max over positions),
//   /plots/skip_output_effect_tokens heatmap [skipped layer, token].
std::vector<Plot> to_plots(const ContributionsResult& result);

}  // namespace glassbox::probes
