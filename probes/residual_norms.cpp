#include "probes/residual_norms.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

ResidualNorms residual_norms(const Model& model, const std::vector<int64_t>& tokens, const Progress& progress) {
  as_transformer(model, "residual-norms");
  if (tokens.empty()) fail("residual-norms", "the prompt has no tokens");
  c10::InferenceMode inference;
  RunOptions options;
  options.capture = NameFilter(kResidualStreamCapture);
  progress.update(0, "forward pass");
  options.progress = &progress;  // the forward pass is the work
  const RunResult run = model.run(tokens, options);
  ResidualNorms r;
  r.token_strings = model.token_strings(tokens);
  std::vector<at::Tensor> rows = {run.cache.get(hook_name(Hook::resid_pre, 0))};
  r.rows = {"embed"};
  for (int l = 0; l < model.info().n_layers; ++l) {
    rows.push_back(run.cache.get(hook_name(Hook::resid_post, l)));
    r.rows.push_back("L" + std::to_string(l));
  }
  r.norms = at::stack(rows).to(at::kCPU, at::kFloat).norm(2, -1);
  return r;
}

std::vector<Plot> to_plots(const ResidualNorms& r) {
  return {make_plot("heatmap", "resid_norm", "Residual stream norm", r.norms, token_axis(r.token_strings),
                    label_axis(r.rows), "token", "after", "‖resid‖₂"),
          make_plot("line", "resid_norm_mean", "Mean over tokens", r.norms.mean(1), label_axis(r.rows), {}, "after",
                    "mean ‖resid‖₂")};
}

Analysis residual_norms_analysis() {
  Analysis a;
  a.id = "residual-norms";
  a.title = "Residual norms";
  a.description = "‖residual stream‖₂ after the embedding and after every block, per token.";
  a.live = true;
  a.params = [](const ModelInfo&) { return std::vector<ParamSpec>{}; };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues&, const Progress& progress) {
    const ResidualNorms r = residual_norms(model, in.tokens, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"rows", r.rows}, {"mean_norm", to_floats(r.norms.mean(1))}};
    return out;
  };
  a.captures = [](const ModelInfo&, const ParamValues&) { return std::string(kResidualStreamCapture); };
  return a;
}

}  // namespace glassbox::probes
