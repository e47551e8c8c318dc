#pragma once
// Neuron and head ablation (docs/methods.md#ablation-zero-mean-and-resample): set chosen MLP
// neurons (blocks.l.mlp.hook_post) or attention heads (blocks.l.attn.hook_z) to
// zero, to their mean activation or to their activation in another prompt, rerun the prompt, and compare with the clean
// run: next-token cross-entropy over the prompt and a target token's
// probability. The mean is over every position of the reference prompts (the
// prompt itself when none are given).
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/common.h"

namespace glassbox::probes {

enum class AblationMode { zero, mean, resample };

struct AblateParams {
  std::vector<int64_t> tokens;
  std::vector<NeuronRef> neurons;
  std::vector<HeadRef> heads;
  AblationMode mode = AblationMode::zero;
  // mean ablation: the prompts averaged over (empty: the prompt); resample: the one prompt.
  std::vector<std::vector<int64_t>> reference;
  std::optional<int64_t> target;
};

struct AblateResult {
  std::vector<std::string> token_strings;
  at::Tensor token_loss;              // [2 (clean, ablated), T-1]: −log p(token t+1) at position t
  double clean_loss = 0, ablated_loss = 0;  // means over positions
  std::optional<int64_t> target;
  std::string target_string;
  at::Tensor target_prob;             // [2 (clean, ablated), T]; undefined without a target
};

AblateResult ablate(const Model& model, const AblateParams& params, const Progress& progress);

// Prompts for mean ablation, one per non-empty line: text for the tokenizer,
// or (ids) comma-separated token ids. Error naming the file and line.
std::vector<std::vector<int64_t>> read_reference_prompts(const std::string& path, bool ids, const Model& model);

// /plots/ablate_summary: table [2 rows (clean, ablated), columns loss and, with
//   a target, target_prob (at the last position)];
// /plots/ablate_token_loss: line [2 series (clean, ablated), T-1 positions];
// /plots/ablate_target_prob: line [2 series (clean, ablated), T] (with a target).
std::vector<Plot> to_plots(const AblateResult& result);

}  // namespace glassbox::probes
