#pragma once
// Text generation under the active edits (docs/methods.md#generation): greedy
// or sampled (temperature, nucleus top-p, a seed) continuation of a prompt,
// KV-cached: the prompt runs once, then one token per step. Whatever
// ActiveEdits scope encloses the call edits every step; the comparison runs
// the same generation once more without them.
#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"

namespace glassbox::probes {

struct GenerateParams {
  std::vector<int64_t> tokens;  // the prompt
  int max_new_tokens = 20;
  bool sample = false;  // false: greedy (argmax)
  // Sampling only: logits / temperature, then the smallest set of most likely
  // tokens whose probability reaches top_p (at least the top one).
  double temperature = 1.0;
  double top_p = 1.0;
  uint64_t seed = 0;  // the same seed gives the same sample on every platform
  bool stop_at_eos = true;  // stop at the tokenizer's end-of-sequence token (not included)
};

struct Generation {
  std::vector<int64_t> ids;  // the generated tokens, without the prompt
  std::string text;          // ids decoded, special tokens skipped
  // Per generated token, its probability under the model (softmax of the
  // logits at temperature 1, float64), whatever the sampler did.
  std::vector<double> probs;
  bool stopped_at_eos = false;
};

// Generates under whatever edits are active on this thread.
Generation generate(const Model& model, const GenerateParams& params, const Progress& progress);

struct GenerationComparison {
  Generation edited;    // under the active edits; empty when there are none
  Generation unedited;  // under ActiveEdits({})
  bool has_edits = false;  // ActiveEdits::current() is non-empty
};

// The same generation with the active edits (if any) and without them, one
// after the other (edits cannot differ between the rows of one batch).
GenerationComparison generate_with_and_without_edits(const Model& model, const GenerateParams& params,
                                                     const Progress& progress);

// /plots/generate_continuations (table: one row per continuation, "with
// edits"/"without edits" or "continuation", labelled with its text; columns
// tokens, mean log-probability, stopped at EOS) and generate_token_probability
// (line: each chosen token's probability per step, one series per
// continuation; NaN past a shorter one's end).
std::vector<Plot> to_plots(const GenerationComparison& comparison);

}  // namespace glassbox::probes
