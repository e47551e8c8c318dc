#include "probes/sparsity.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

// Every MLP neuron's activation.
constexpr const char* kSparsityCapture = "blocks\\.\\d+\\.mlp\\.hook_post";

SparsityResult sparsity(const Model& model, const SparsityParams& params, const Progress& progress) {
  as_transformer(model, "sparsity");
  if (!(params.epsilon >= 0) || !std::isfinite(params.epsilon))
    fail("sparsity", "epsilon must be a finite number >= 0, got " + std::to_string(params.epsilon));
  c10::InferenceMode inference;
  progress.update(0, "forward pass");
  RunOptions options;
  options.capture = NameFilter(kSparsityCapture);
  RunResult run = model.run(params.tokens, options);
  std::vector<at::Tensor> per_layer;
  for (int l = 0; l < model.info().n_layers; ++l) {
    progress.check();
    at::Tensor post = run.cache.get(hook_name(Hook::mlp_post, l)).to(at::kFloat);
    per_layer.push_back((post.abs() > params.epsilon).to(at::kFloat).mean(-1));
  }
  SparsityResult result;
  result.token_strings = model.token_strings(params.tokens);
  result.epsilon = params.epsilon;
  result.active_fraction = at::stack(per_layer).cpu();
  progress.update(1, "done");
  return result;
}

std::vector<Plot> to_plots(const SparsityResult& result) {
  const int64_t n_layers = result.active_fraction.size(0);
  std::ostringstream value;
  value << "fraction of MLP units with |post| > " << result.epsilon;
  return {make_plot("line", "sparsity", "Active MLP units (mean over tokens)", result.active_fraction.mean(-1),
                    number_axis(n_layers), {}, "layer", value.str()),
          make_plot("heatmap", "sparsity_tokens", "Active MLP units per token", result.active_fraction,
                    token_axis(result.token_strings), number_axis(n_layers), "token", "layer", value.str())};
}

Analysis sparsity_analysis() {
  Analysis a;
  a.id = "sparsity";
  a.title = "MLP sparsity";
  a.description = "Fraction of MLP hidden units with |activation| > ε, per layer and token.";
  a.live = true;
  a.params = [](const ModelInfo&) {
    return std::vector<ParamSpec>{ParamSpec::real("epsilon", "ε", 0.01, 0.0, 1e6, "Activity threshold.")};
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    SparsityParams p;
    p.tokens = in.tokens;
    p.epsilon = v.real("epsilon");
    const SparsityResult r = sparsity(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"active_fraction", to_floats(r.active_fraction.mean(-1))}};
    return out;
  };
  a.captures = [](const ModelInfo&, const ParamValues&) { return std::string(kSparsityCapture); };
  return a;
}

}  // namespace glassbox::probes
