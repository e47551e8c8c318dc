#pragma once
// Back-patching (Biran et al., "Hopping Too Late"; docs/methods.md#back-patching): run the
// prompt, take the output of block ℓ1 (blocks.ℓ1.hook_resid_post) at one
// position, rerun the prompt with the output of an earlier block ℓ2 < ℓ1 at
// that position replaced by it, and read the last position: the target
// token's probability, rank and logit, and optionally a greedy generation
// judged against accepted answers.
//
// Nothing before the patch changes, so it is computed once: positions [0, p)
// run through every layer into a KV cache, the clean positions [p, T) once
// more to get every block's output; each ℓ2 then runs only blocks ℓ2+1.. over
// positions [p, T) on that cache, with the cells sharing ℓ2 (one per source
// ℓ1) as one batch. Generation decodes one token at a time on the same cache,
// the cells of several ℓ2 (and the clean run) in one batch.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/shard.h"

namespace glassbox::probes {

struct BackpatchParams {
  std::vector<int64_t> tokens;
  int64_t position = -1;  // patched position; negative counts from the end
  int64_t target = -1;    // token read at the last position; -1: none
  int generate = 0;       // greedy tokens per cell; 0: no generation
  // Accepted answers (with generate > 0, needs a tokenizer): a cell is
  // correct if any of them appears in its generation, ignoring ASCII case.
  std::vector<std::string> answers;
  // Cells whose greedy decoding is batched together (across ℓ2), at most; it
  // bounds the memory of their joint KV cache.
  int decode_rows = 128;
};

struct BackpatchResult {
  int n_layers = 0;
  std::vector<int64_t> tokens;
  std::vector<std::string> token_strings;
  int64_t position = 0;  // absolute patched position
  int64_t target = -1;
  // [ℓ1 (source), ℓ2 (patched layer)], float32 on the CPU, NaN where ℓ1 ≤ ℓ2.
  // Rank: how many tokens have a higher logit than the target (0 = top).
  at::Tensor target_prob, target_rank, target_logit;
  double clean_prob = 0, clean_logit = 0;
  int64_t clean_rank = 0;

  int generate = 0;
  std::vector<std::string> answers;
  at::Tensor generated;                  // [ℓ1, ℓ2, generate] int64, -1 where ℓ1 ≤ ℓ2
  std::vector<std::string> generations;  // [ℓ1·L + ℓ2] decoded text, empty where ℓ1 ≤ ℓ2
  at::Tensor success;                    // [ℓ1, ℓ2] 1/0, NaN where ℓ1 ≤ ℓ2 (with answers)
  std::vector<int64_t> clean_generated;
  std::string clean_generation;
  bool clean_correct = false;
};

BackpatchResult backpatch(const Model& model, const BackpatchParams& params, const Progress& progress);

// The paper's judgement: the generation (newlines as spaces) contains one of
// the answers, ignoring ASCII case. Empty answers never match.
bool answer_in_generation(const std::string& generation, const std::vector<std::string>& answers);

// Index of the last token of the first occurrence of `span` in `tokens`, or
// -1 if it does not occur.
int64_t span_end(const std::vector<int64_t>& tokens, const std::vector<int64_t>& span);

// /plots/backpatch_target_prob, backpatch_target_rank, backpatch_target_logit
// (heatmaps, y source layer ℓ1, x patched layer ℓ2; with a target),
// backpatch_success (heatmap, with answers), backpatch_generations (table, one
// row per cell plus the clean run, labelled with the generated text), and
// backpatch_clean (table of the unpatched run).
std::vector<Plot> to_plots(const BackpatchResult& result);

// One query of a data set (e.g. a two-hop CSV row).
struct BackpatchQuery {
  std::string label;
  std::vector<int64_t> tokens;
  int64_t position = -1;
  std::vector<std::string> answers;
};

struct BackpatchQueryOutcome {
  std::string label;
  bool originally_correct = false;
  int successful_cells = 0, cells = 0;  // cells ℓ1 > ℓ2 whose generation is correct
  std::string clean_generation;
  at::Tensor success;  // [ℓ1, ℓ2]: 1 where that patch's generation is correct, 0 where not, NaN where ℓ1 ≤ ℓ2
  bool fixed() const { return successful_cells > 0; }
};

struct BackpatchDatasetResult {
  int n_layers = 0, generate = 0;
  std::vector<BackpatchQueryOutcome> rows;
  // [ℓ1, ℓ2]: fraction of originally incorrect (correct) rows whose generation
  // is correct with that patch; NaN where ℓ1 ≤ ℓ2 or there are no such rows.
  at::Tensor success_incorrect, success_correct;
};

// The grid with greedy generation for every query.
BackpatchDatasetResult backpatch_dataset(const Model& model, const std::vector<BackpatchQuery>& queries,
                                         int generate, const Progress& progress);
// Each query's outcome as a data set analysis keeps it (probes/shard.h), and
// the result of those rows (their clean generations are not kept).
RowResults backpatch_rows(const BackpatchDatasetResult& result);
BackpatchDatasetResult backpatch_dataset(const RowResults& rows, int generate);

// /plots/backpatch_dataset_rows (table: per row originally correct, fixed by
// some patch, successful cells, cells), backpatch_dataset_summary (table:
// originally correct / originally incorrect / all × rows, rows with a
// successful back-patch, fraction) and the heatmaps
// backpatch_dataset_success_incorrect and backpatch_dataset_success_correct.
std::vector<Plot> to_plots(const BackpatchDatasetResult& result);

}  // namespace glassbox::probes
