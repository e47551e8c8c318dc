#pragma once
// Composition between attention heads (Elhage et al. 2021; Merullo et al.,
// "Talking Heads"; docs/methods.md#composition-scores), on raw weights.
//
// CS(A, B) = ‖AB‖_F / (‖A‖_F ‖B‖_F) with A = OV of an earlier (sender) head
// and, for the later (receiver) head, as TransformerLens's
// all_composition_scores does in the row-vector convention (x @ W):
//   Q-composition: B = QK_B   (the sender writes what the receiver's query reads)
//   K-composition: B = QK_Bᵀ  (... what the receiver's key reads)
//   V-composition: B = OV_B   (... what the receiver's value reads)
// With A = U_A S_A V_Aᵀ and B = U_B S_B V_Bᵀ (factored SVDs, orthonormal
// columns), ‖AB‖_F = ‖S_A (V_Aᵀ U_B) S_B‖_F: a d_head×d_head product per pair;
// no d_model×d_model matrix is formed.
//
// Component-wise score of sender component i (v_i: the i-th right singular
// vector of the sender's OV, the direction it writes): ‖v_iᵀ B‖ / ‖B‖_F.
//
// Intervention: OV ← OV − (1 − s) σ_i u_i v_iᵀ for one component i of one head
// (s = 0 removes it), done as W_O^h ← W_O^h (I − (1 − s) v_i v_iᵀ) so GQA heads
// sharing W_V are untouched; the prompt is rerun and the weight put back.
#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/head_svd.h"

namespace glassbox::probes {

struct CompositionParams {
  std::optional<HeadRef> sender;  // also compute this head's component-wise scores
};

struct CompositionResult {
  int n_layers = 0, n_heads = 0, d_head = 0;
  // [n_layers·n_heads (sender l·H+h), same (receiver)]; NaN unless the sender's
  // layer is earlier than the receiver's.
  at::Tensor q, k, v;
  std::optional<HeadRef> sender;
  at::Tensor sender_singular_values;             // [d_head]
  at::Tensor component_q, component_k, component_v;  // [d_head (component), L·H (receiver)], NaN likewise
};

CompositionResult composition(const Model& model, const CompositionParams& params, const Progress& progress);

// /plots/composition_q, composition_k, composition_v (heatmaps, y sender, x
// receiver); with a sender: /plots/component_scores_q, _k, _v ([component,
// receiver]) and /plots/sender_ov_singular_values.
std::vector<Plot> to_plots(const CompositionResult& result);

struct SvdInterventionParams {
  std::vector<int64_t> tokens;
  HeadRef head;
  int component = 0;   // index of the singular component of the head's OV
  double scale = 0.0;  // 0 removes the component
  int64_t target = -1;  // optional token whose probability is reported
  int top_k = 10;       // tokens with the largest logit change
};

struct SvdInterventionResult {
  HeadRef head;
  int component = 0;
  double scale = 0.0, singular_value = 0.0;
  at::Tensor clean_logits, edited_logits;  // [vocab] at the last position
  int64_t target = -1;
  double clean_prob = 0, edited_prob = 0, clean_logit = 0, edited_logit = 0;
  int64_t clean_rank = 0, edited_rank = 0;  // tokens with a higher logit
  std::vector<int64_t> top_changed;         // largest |Δlogit| first
  std::vector<std::string> top_changed_texts;
};

// Scales one singular component of one head's OV, reruns the prompt and puts
// the original W_O back (also when an exception or cancellation interrupts).
SvdInterventionResult svd_intervention(Model& model, const SvdInterventionParams& params, const Progress& progress);

// /plots/intervention_target (table: prob, logit, rank × clean, edited, change;
// only with a target) and /plots/intervention_top_changes (table: token rows ×
// token id, clean logit, edited logit, change).
std::vector<Plot> to_plots(const SvdInterventionResult& result);

}  // namespace glassbox::probes
