#pragma once
// Attention maps (docs/methods.md#attention-patterns-and-head-scores): every head's pattern with token labels, an
// all-heads overview, and per-head scores in the TransformerLens style. With
// A[i, j] the attention from query i to key j, each score is the attention a
// query pays to a set of keys, summed over the set and averaged over the
// queries whose set is not empty (NaN when no query has one):
//   previous-token: {i-1};
//   duplicate-token: earlier occurrences of token i, {j < i : tok[j] = tok[i]};
//   induction: the tokens after those, {j+1 : j < i, tok[j] = tok[i]}.
// Scores are measured on the prompt, or, with induction_seq_len = N > 0, on
// the standard repeated random sequence [BOS] + r + r with r N distinct random
// tokens (BOS only if the model has one).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/params.h"

namespace glassbox::probes {

struct AttentionParams {
  std::vector<int64_t> tokens;    // patterns are shown for these; may be empty with induction_seq_len
  int induction_seq_len = 0;      // > 0: scores on a repeated random sequence of this half-length
  uint64_t seed = 0;              // for the random sequence
  std::optional<int64_t> bos;     // prepended to the random sequence when set
};

struct AttentionResult {
  std::vector<std::string> token_strings;  // of the tokens whose patterns are shown
  at::Tensor patterns;                     // [n_layers, n_heads, T query, T key]
  std::vector<int64_t> score_tokens;       // the sequence the scores were measured on
  // The patterns on score_tokens when they are not the tokens shown (the repeated random
  // sequence beside a prompt): [n_layers, n_heads, T', T'], else undefined.
  std::vector<std::string> score_token_strings;
  at::Tensor score_patterns;
  at::Tensor previous_token, duplicate_token, induction;  // [n_layers, n_heads]
};

AttentionResult attention(const Model& model, const AttentionParams& params, const Progress& progress);

// /plots/pattern_L{l}H{h}: heatmap [query position, key position] per head;
// /plots/scored_pattern_L{l}H{h}: the same on the sequence the scores were
//   measured on, when that is not the prompt;
// /plots/attention_overview: heatmap [n_layers*T, n_heads*T], every pattern
//   tiled (row l*T+i, column h*T+j holds layer l head h query i key j; in
//   h5py: data.reshape(L, T, H, T)), labels "L0 3:␣the" / "H0 3:␣the";
// /plots/head_previous_token, head_duplicate_token, head_induction: heatmaps
//   [layer, head].
std::vector<Plot> to_plots(const AttentionResult& result);

// One head's pattern and where every head of its layer looks from the last token.
struct AttentionPattern {
  HeadRef head;
  std::vector<std::string> token_strings;
  at::Tensor layer_patterns;  // [n_heads, T query, T key] of head.layer
};

AttentionPattern attention_pattern(const Model& model, const std::vector<int64_t>& tokens, HeadRef head,
                                   const Progress& progress);

// /plots/pattern_L{l}H{h}: heatmap [query, key]; /plots/last_token_L{l}:
// heatmap [head, key] of the last query's attention.
std::vector<Plot> to_plots(const AttentionPattern& result);

}  // namespace glassbox::probes
