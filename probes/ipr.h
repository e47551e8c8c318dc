#pragma once
// Memorizing vs generalizing neurons of the modular-arithmetic MLP (Doshi et
// al., docs/methods.md#neuron-ipr). For neuron k with input weights U_k = W1[k,:p] (from a),
// V_k = W1[k,p:] (from b) and output weights W_k = W2[:,k]: F = |rfft(ν)|,
// IPR(ν) = Σ_i (F_i/‖F‖₂)⁴, score = mean of the three. High IPR: a few
// frequencies (periodic, generalizing); low IPR: spread out (memorizing).
#include <string>
#include <vector>

#include "core/plot.h"
#include "core/toy_mlp.h"

namespace glassbox::probes {

struct NeuronIpr {
  std::vector<double> score;              // [N]: mean of the three below
  std::vector<double> input_a, input_b, output;  // IPR of U_k, V_k, W_k
};

NeuronIpr neuron_ipr(const ToyMlp& model);

// The toy MLP behind a loaded model; Error naming the folder if it is another kind.
const ToyMlp& require_toy_mlp(const Model& model, const std::string& probe);

// /plots/ipr: histogram of the scores (`bins` bins over [0, 1]);
// /plots/ipr_neurons: line chart of every neuron's score and its three parts, neurons ranked by
//   score (x labels: the neuron indices in that order).
std::vector<Plot> to_plots(const NeuronIpr& ipr, int bins = 50);

}  // namespace glassbox::probes
