#pragma once
// Head SVD (Merullo et al., "Talking Heads"; Elhage et al. 2021; docs/methods.md#head-svd-ov-and-qk).
// In the row-vector convention of the weights (x @ W):
//   OV_h = W_V^h W_O^h: a source token's residual x contributes x·OV_h to the
//        destination; OV = Σ σ_i u_i v_iᵀ reads along u_i (input side) and
//        writes along v_i (output side).
//   QK_h = W_Q^h W_K^hᵀ: the attention score is x_q QK_h x_kᵀ; u_i is read
//        from the query token, v_i from the key token.
// Both are d_model×d_model of rank ≤ d_head; their SVDs come from the thin
// factors (QR of each, then the SVD of the d_head×d_head middle), never from a
// d_model×d_model matrix. Raw weights: no LayerNorm folding, no biases, no
// rotary embedding. GQA: head h uses key/value head Transformer::kv_head(h).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "core/transformer.h"
#include "probes/common.h"

namespace glassbox::probes {

// A matrix given as left [n, r] @ right [r, m].
struct Factors {
  at::Tensor left, right;
};

// left @ right = U diag(S) Vᵀ with U [n, r], S [r] descending, V [m, r]
// (float64), computed from the factors only.
struct FactoredSvd {
  at::Tensor U, S, V;
};
FactoredSvd factored_svd(const Factors& factors);

// The OV and QK circuits of one head as factors ([d_model, d_head] @ [d_head, d_model]).
Factors ov_factors(const Transformer& model, int layer, int head);  // W_V^h, W_O^h
Factors qk_factors(const Transformer& model, int layer, int head);  // W_Q^h, W_K^hᵀ


struct HeadSvdParams {
  HeadRef head;
  int directions = 8;  // top singular directions read out as tokens
  int top_k = 10;      // tokens per direction
};

// One singular direction read as tokens: the top_k highest scores of the
// direction against every token's embedding row (W_E u) or unembedding column
// (vᵀ W_U). Each pair (u_i, v_i) has an arbitrary joint sign; it is fixed so
// that the largest-magnitude score of the OV output side (QK: query side) is
// positive, so "reads these tokens → writes these tokens" holds with + signs.
struct TokenReadout {
  int direction = 0;
  std::vector<int64_t> ids;
  std::vector<float> scores;
  std::vector<std::string> texts;
};

struct HeadSvdResult {
  HeadRef head;
  std::vector<double> ov_singular_values, qk_singular_values;  // [d_head] each
  std::vector<TokenReadout> ov_output;  // v_i through W_U: tokens the head writes
  std::vector<TokenReadout> ov_input;   // u_i through W_E: source tokens that drive it
  std::vector<TokenReadout> qk_query;   // u_i through W_E
  std::vector<TokenReadout> qk_key;     // v_i through W_E
};

HeadSvdResult head_svd(const Model& model, const HeadSvdParams& params, const Progress& progress);

// /plots/ov_singular_values, /plots/qk_singular_values (bar, [d_head]) and the
// token lists as tables /plots/ov_output_tokens, ov_input_tokens,
// qk_query_tokens, qk_key_tokens: one row per (direction, rank) labelled
// "s<i> #<rank> <token>", columns direction, rank, token id, score.
std::vector<Plot> to_plots(const HeadSvdResult& result);

}  // namespace glassbox::probes
