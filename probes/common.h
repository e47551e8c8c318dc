#pragma once
// Pieces every probe shares: turning tensors into plots, axis labels, and
// access to the transformer behind a Model.
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model.h"
#include "core/plot.h"
#include "core/progress.h"
#include "core/transformer.h"
#include "probes/params.h"

namespace glassbox::probes {

// The residual stream read layer by layer: the embedding (resid_pre of block 0) and every
// block's output. Captured by the logit lens and the residual norms.
inline constexpr const char* kResidualStreamCapture = "blocks\\.0\\.hook_resid_pre|blocks\\.\\d+\\.hook_resid_post";
// A regular expression that matches exactly `hook_name`.
std::string exact_hook_regex(const std::string& hook_name);

// The model as a transformer; Error naming the probe if it is not one (toy MLP).
const Transformer& as_transformer(const Model& model, const std::string& probe);
Transformer& as_transformer(Model& model, const std::string& probe);

// Row-major float32 copy of any tensor (any device/dtype).
std::vector<float> to_floats(const at::Tensor& t);

// A plot of `data` (its shape becomes the plot's shape; see core/plot.h for
// which axis labels which dimension).
Plot make_plot(const std::string& kind, const std::string& name, const std::string& title, const at::Tensor& data,
               Axis x = {}, Axis y = {}, const std::string& x_label = {}, const std::string& y_label = {},
               const std::string& value_label = {});

// A Progress reporting into [begin, end) of `outer` (which must outlive it).
Progress sub_progress(const Progress& outer, double begin, double end);

// A prompt typed as a parameter (a corrupted prompt, a resample prompt):
// tokenized like the prompt bar's, or token ids "1, 2, 3" for a model without
// a tokenizer. Error `where` when it has no tokens.
std::vector<int64_t> prompt_tokens(const Model& model, const std::string& text, bool add_special_tokens,
                                   const std::string& where);

Axis number_axis(int64_t n, int64_t first = 0);  // first, first+1, ...
Axis label_axis(std::vector<std::string> labels);
Axis head_axis(int n_layers, int n_heads);          // "L0H0", "L0H1", ... (index l*H + h)
// The raw token strings with their positions 0, 1, ... (shown as "3:␣the").
Axis token_axis(const std::vector<std::string>& token_strings);

}  // namespace glassbox::probes
