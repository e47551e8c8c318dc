#pragma once
// Activation patching between a clean and a corrupted prompt of the same
// length, with TransformerLens's patching grids (docs/methods.md#activation-patching):
// run the target prompt with one activation (a layer's residual stream,
// attention or MLP output at one position, or one head's output, pattern,
// queries, keys or values) taken from the source prompt, and read the metric
// at the last position. Denoising patches the clean activation into the
// corrupted run, noising the corrupted one into the clean run.
//
// Nothing before the patch changes, so it is not recomputed: a cell patched
// at layer ℓ and position p resumes at block ℓ from the target run's block
// outputs and runs only positions [p, T) on the target's cached keys and
// values of [0, p). The cells that share p run as one batch that grows by a
// layer's cells at each block (one row per cell; a head patch writes a
// different head in each row).
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "probes/metrics.h"
#include "probes/prompt_set.h"
#include "probes/registry.h"

namespace glassbox::probes {

// The grids, as TransformerLens's get_act_patch_*: resid_pre, attn_out and
// mlp_out per layer × position; head_out (hook_z) per layer × head over all
// positions and per layer × head × position; pattern, q per layer × head; k
// and v per layer × key/value head (grouped-query attention has fewer).
enum class PatchGrid { resid_pre, attn_out, mlp_out, head_out, head_out_per_position, pattern, q, k, v };
// denoising: the clean activation into the corrupted run; noising: the corrupted one into the clean run.
enum class PatchDirection { denoising, noising };

struct PatchingParams {
  std::vector<int64_t> clean, corrupted;
  Metric metric;
  PatchDirection direction = PatchDirection::denoising;
  PatchGrid grid = PatchGrid::resid_pre;
};

struct PatchingResult {
  PatchGrid grid = PatchGrid::resid_pre;
  PatchDirection direction = PatchDirection::denoising;
  std::string metric_label;  // "logit(' Mary') − logit(' John')"
  int n_layers = 0;
  int n_heads = 0;  // of the head axis (key/value heads for k and v); 0 for layer × position grids
  // The clean prompt's tokens (the position axis); empty over a prompt set,
  // whose rows have tokens of their own.
  std::vector<std::string> token_strings;
  // The metric of the patched run per cell, float32 on the CPU: [layers,
  // positions], [layers, heads] or [layers, heads, positions]; over a prompt
  // set the mean over rows.
  at::Tensor values;
  at::Tensor normalised;  // (values − corrupted) / (clean − corrupted); NaN where clean = corrupted
  double clean_metric = 0, corrupted_metric = 0;  // the unpatched runs (over a prompt set: means)
  // Over a prompt set: the number of rows and the standard deviation of
  // values and normalised over them; undefined for one pair.
  int64_t rows = 1;
  at::Tensor values_std, normalised_std;
};

PatchingResult activation_patching(const Model& model, const PatchingParams& params, const Progress& progress);

// Every pair of the rows of `shard` of a prompt set, each with its own answer
// and wrong answer: each row's grids and unpatched metrics. Per-position grids
// need prompts of one length (all the set's, whatever the shard).
RowResults activation_patching_rows(const Model& model, const std::vector<PromptPair>& pairs, const Shard& shard,
                                    Metric::Kind metric, PatchGrid grid, PatchDirection direction,
                                    const Progress& progress);
// The grids' mean and spread over those rows.
PatchingResult activation_patching_set(const RowResults& rows, Metric::Kind metric, PatchGrid grid,
                                       PatchDirection direction);

const char* grid_id(PatchGrid grid);  // "resid_pre", "head_out_per_position", ...
const char* direction_id(PatchDirection direction);  // "denoising", "noising"
// A cell of the result's grid by its flat index: "L12 pos 10", "L9H6", "L9H6 pos 3".
std::string cell_label(const PatchingResult& result, int64_t index);

// /plots/activation_patching (heatmap of the normalised grid, or the raw
// metric without `normalise`; layer × head × position grids as rows "L0H0"...),
// activation_patching_std (over a prompt set: its spread over rows) and
// activation_patching_metrics (table: the clean and corrupted runs' metric).
std::vector<Plot> to_plots(const PatchingResult& result, bool normalise = true);

Analysis activation_patching_analysis();

}  // namespace glassbox::probes
