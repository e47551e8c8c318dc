#pragma once
// Next-token predictions at one position: the k most likely tokens with their
// probabilities p = softmax(logits[position]) and logits.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct NextTokenParams {
  std::vector<int64_t> tokens;
  int64_t position = -1;  // negative counts from the end
  int top_k = 10;
};

struct NextTokenResult {
  int64_t position = 0;        // absolute
  std::string position_token;  // the token at `position`
  std::vector<int64_t> ids;    // [k], most likely first
  std::vector<std::string> strings;
  at::Tensor probs, logits;    // [k]
  // Under active edits (core ActiveEdits): the same tokens' probabilities
  // without them, and the unedited model's own top k.
  bool edited = false;
  at::Tensor unedited_probs;  // [k]
  std::vector<int64_t> unedited_ids;
  std::vector<std::string> unedited_strings;
  at::Tensor unedited_top_probs;  // [k]
};

NextTokenResult next_token(const Model& model, const NextTokenParams& params, const Progress& progress);

// /plots/next_token: table [k rows, columns probability, logit, token id], rows
//   labelled by the token strings; /plots/next_token_probability: bar [k].
// Under edits the table gains "probability without edits", the bars are
// [2 series (with, without edits), k], and /plots/next_token_unedited is the
// unedited model's top k (table as next_token).
std::vector<Plot> to_plots(const NextTokenResult& result);

}  // namespace glassbox::probes
