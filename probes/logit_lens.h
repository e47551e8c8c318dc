#pragma once
// Logit lens (docs/methods.md#logit-lens): read every layer's residual stream through the
// final norm and the unembedding, p_l = softmax(W_U · ln_final(h_l)) with h_l =
// resid_post of block l (and the embedding, resid_pre of block 0, as layer
// "embed"). Per layer and position: the top-k tokens, the probability of a
// target token, and KL(p_l ‖ p_final) in nats.
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct LogitLensParams {
  std::vector<int64_t> tokens;
  int top_k = 5;
  std::optional<int64_t> target;
  bool include_embed = true;  // also read the embedding as layer "embed"
  // Positions read per step: bounds the [positions, vocab] tensors held at once, and each
  // finished chunk is published (Progress::partial) so that a long prompt fills in as it goes.
  int64_t chunk = 128;
};

struct LogitLensResult {
  std::vector<std::string> token_strings;
  std::vector<int> layers;               // per row: the block index, -1 for the embedding
  std::vector<std::string> layer_names;  // per row: "embed", "L0", "L1", ...
  at::Tensor kl;                         // [rows, T]: KL(p_l ‖ p_final), nats; NaN where not yet computed
  std::optional<int64_t> target;         // the one asked for, else the final prediction at the last position
  bool target_is_prediction = false;     // no target was asked for
  std::string target_string;
  at::Tensor target_prob;                // [rows, T]
  at::Tensor top_ids;                    // [rows, T, k] int64
  at::Tensor top_probs;                  // [rows, T, k]
  std::vector<std::string> top_strings;  // [rows * T * k]: token strings of top_ids
};

LogitLensResult logit_lens(const Model& model, const LogitLensParams& params, const Progress& progress);

// /plots/logit_lens_top_prob: heatmap [layer row, position] of the top token's
//   probability, the token written in each cell (cell_text) and the top k in cell_notes;
// /plots/logit_lens_kl: heatmap [layer row, position], the same cell text and notes;
// /plots/logit_lens_target_prob: heatmap [layer row, position], the same cell text and notes;
// /plots/logit_lens_target_by_layer: line over layer rows at the last position;
// /plots/logit_lens_top_tokens: table in long form, one row per (layer,
//   position, rank) in that order, columns x = layer (-1 = embed), position,
//   rank (1 = most likely), token_id, probability; row labels y = the
//   predicted token strings (spaces shown as ␣).
std::vector<Plot> to_plots(const LogitLensResult& result);

}  // namespace glassbox::probes
