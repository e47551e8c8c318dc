#pragma once
// Active edits for a model: the specs of probes/edit_spec.h turned into core
// Edits (heads and neurons checked against the model, means and resampled
// activations computed from the source prompts), and analyses run under them.
#include <vector>

#include "core/hooks.h"
#include "core/model.h"
#include "core/progress.h"
#include "probes/edit_spec.h"
#include "probes/registry.h"

namespace glassbox::probes {

// The core Edits of the enabled specs. Errors name the edit ("edit 2 (zero
// L40H1)") and the problem. Resample edits replace the positions their source
// prompt has; a run shorter than that is an error when it meets the edit.
std::vector<Edit> resolve_edits(const Model& model, const std::vector<EditSpec>& specs, const Progress& progress);

// The analysis run with `edits` active for every forward pass it makes, each pass checking
// `progress` for Cancel after every block, and their outputs watched for NaN and Inf
// (AnalysisOutput::numerical_fault).
AnalysisOutput run_with_edits(const Analysis& analysis, const Model& model, const AnalysisInputs& inputs,
                              const ParamValues& values, const std::vector<Edit>& edits, const Progress& progress);
// The rows of a data set analysis (its shard's, inputs.shard) with `edits` active.
RowResults dataset_rows_with_edits(const Analysis& analysis, const Model& model, const AnalysisInputs& inputs,
                                   const ParamValues& values, const std::vector<Edit>& edits, const Progress& progress);

}  // namespace glassbox::probes
