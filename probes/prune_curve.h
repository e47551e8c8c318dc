#pragma once
// Pruning curves for the modular-arithmetic MLP (Doshi et al., docs/methods.md#pruning-curves):
// ablate neurons one by one in order of their IPR and track accuracy on named
// sets of pairs (corrupted train labels, clean train labels, test).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/plot.h"
#include "core/progress.h"
#include "core/toy_mlp.h"

namespace glassbox::probes {

// Pairs and the labels they are scored against.
struct LabeledPairs {
  std::string name;
  at::Tensor pairs;   // [n, 2] int64
  at::Tensor labels;  // [n] int64
};

enum class Ablation { zero, mean };  // mean: the neuron's mean output over all given pairs

struct PruneCurveParams {
  std::vector<LabeledPairs> sets;
  Ablation ablation = Ablation::zero;
};

struct PruneCurve {
  std::vector<std::string> set_names;
  std::vector<double> ipr;                      // [N], the order's key
  std::vector<int64_t> lowest_first;            // neuron order, lowest IPR first
  // accuracy[set][k] after ablating the first k neurons of the order, k = 0..N.
  std::vector<std::vector<double>> lowest_first_accuracy, highest_first_accuracy;
};

// The MLP's logits are linear in hook_hidden_post, so each ablation updates them
// by one rank-one term instead of rerunning the model.
PruneCurve prune_curve(const ToyMlp& model, const PruneCurveParams& params, const Progress& progress = {});

// /plots/prune_curve (lowest IPR first) and /plots/prune_curve_control (highest
// first): data [sets, N+1], x = neurons pruned.
std::vector<Plot> to_plots(const PruneCurve& curve);

}  // namespace glassbox::probes
