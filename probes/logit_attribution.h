#pragma once
// Direct logit attribution (docs/methods.md#direct-logit-attribution): the
// final residual stream at one position split into the pieces written into
// it — the token and position embeddings, every head's z·W_O, each attention
// output bias b_O, every MLP neuron's post·W_out and each MLP output bias
// b_out — each put through the final norm with the run's own scale frozen
// (TransformerLens's apply_ln_to_stack: centred for LayerNorm, not for
// RMSNorm) and projected on the logit difference's direction
// W_U[:, answer] − W_U[:, wrong]. The final norm's bias and b_U add constant
// terms. With the scale frozen the map is linear, so the pieces sum to the
// model's own logit difference. One forward pass; the rest is tensor algebra.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/metrics.h"
#include "probes/shard.h"

namespace glassbox::probes {

struct LogitAttributionParams {
  std::vector<int64_t> tokens;
  int64_t position = -1;  // negative counts from the end
  Metric metric;          // the logit difference (the only linear metric)
  int neuron_layer = -1;  // the layer whose neurons are ranked; -1: the last
  int top_neurons = 20;
};

// Every attribution is in logits of the difference, float64 on the CPU.
struct LogitAttributionResult {
  int64_t position = 0;  // absolute
  Metric metric;
  std::string metric_label;  // "logit('␣Mary') − logit('␣John')"
  at::Tensor heads;           // [L, H]: z[pos, h] @ W_O[h]
  at::Tensor attention;       // [L]: hook_attn_out (the heads and b_O)
  at::Tensor attention_bias;  // [L]: b_O (0 where the model has none)
  at::Tensor mlp;             // [L]: hook_mlp_out (the neurons and b_out)
  at::Tensor mlp_bias;        // [L]: b_out (0 where the model has none)
  double embed = 0, pos_embed = 0;  // hook_embed, hook_pos_embed (0 without learned positions)
  double final_norm_bias = 0;       // ln_final.b · direction (0 for RMSNorm)
  double unembed_bias = 0;          // b_U[answer] − b_U[wrong] (0 without b_U)
  int neuron_layer = 0;
  at::Tensor neurons;      // [d_mlp]: mlp_post[pos, n] · W_out[n] of neuron_layer
  at::Tensor top_neurons;  // [k] int64: neurons of neuron_layer by |attribution|, largest first
  // The disjoint pieces the model has, in residual order: "embed",
  // "pos_embed", then per layer "L3 heads", "L3 b_O", "L3 neurons", "L3 b_out",
  // then "ln_final bias", "b_U"; `components` [n] their attributions.
  std::vector<std::string> component_labels;
  at::Tensor components;
  double logit_diff = 0;      // the model's own, from its logits at the position
  double components_sum = 0;  // Σ components
};

// Error "logit-attribution" for an empty prompt, a position outside it, a
// metric other than the logit difference, tokens outside the vocabulary or
// equal, a neuron layer outside the model, fewer than one top neuron.
LogitAttributionResult logit_attribution(const Model& model, const LogitAttributionParams& params,
                                         const Progress& progress);

// A prompt set's attributions (each row with its own answer and wrong token):
// every number of `mean` is the mean over rows and of `spread` the population
// standard deviation; top_neurons ranks |mean|.
struct LogitAttributionSetResult {
  int64_t rows = 0;
  LogitAttributionResult mean, spread;
};
// Each row's attributions as a data set analysis keeps them (probes/shard.h).
void add_attribution_row(RowResults& rows, const std::string& label, const LogitAttributionResult& row);
// Over those rows; neurons of `neuron_layer`, the `top_neurons` largest |mean|.
LogitAttributionSetResult logit_attribution_set(const RowResults& rows, int neuron_layer, int top_neurons);

// /plots/logit_attribution_layers: bar [2 series (attention, mlp), L];
// /plots/logit_attribution_heads: heatmap [layer, head];
// /plots/logit_attribution_neurons: bar [k] over "L29N1234";
// /plots/logit_attribution_components: table [components + sum + the model's
//   logit difference, 1 column].
std::vector<Plot> to_plots(const LogitAttributionResult& result);
// The same plots of the means (the table with a std column), and
// logit_attribution_{layers,heads,neurons}_std of the spread.
std::vector<Plot> to_plots(const LogitAttributionSetResult& result);

}  // namespace glassbox::probes
