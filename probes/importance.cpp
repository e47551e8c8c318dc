#include "probes/importance.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "probes/common.h"
#include "probes/contributions.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

const std::vector<std::string> kModules = {"attention", "mlp", "block"};

at::Tensor one_minus_cos(const at::Tensor& input, const at::Tensor& output) {
  return 1 - at::cosine_similarity(input, output, -1);
}

}  // namespace

ImportanceResult importance(const Model& model, const ImportanceParams& params, const Progress& progress) {
  as_transformer(model, "importance");
  c10::InferenceMode inference;
  progress.update(0, "forward pass");
  const ResidualParts parts = residual_parts(model, params.tokens);
  progress.check();
  const at::Tensor attn_output = parts.resid_pre + parts.attn_out;
  const at::Tensor mlp_input = model.info().parallel_residual ? parts.resid_pre : attn_output;
  ImportanceResult result;
  result.token_strings = model.token_strings(params.tokens);
  result.score = at::stack({one_minus_cos(parts.resid_pre, attn_output),
                            one_minus_cos(mlp_input, mlp_input + parts.mlp_out),
                            one_minus_cos(parts.resid_pre, parts.resid_post)})
                     .cpu();
  progress.update(1, "done");
  return result;
}

std::vector<Plot> to_plots(const ImportanceResult& result) {
  const int64_t n_layers = result.score.size(1);
  std::vector<Plot> plots;
  Plot mean = make_plot("line", "importance", "Module importance 1 − cos(X, output) (mean over tokens)",
                        result.score.mean(-1), number_axis(n_layers), {}, "layer", "1 − cos");
  mean.series = kModules;
  plots.push_back(mean);
  for (size_t i = 0; i < kModules.size(); ++i) {
    plots.push_back(make_plot("heatmap", "importance_" + kModules[i] + "_tokens",
                              "Importance of " + kModules[i] + " per token", result.score[i],
                              token_axis(result.token_strings), number_axis(n_layers), "token", "layer", "1 − cos"));
  }
  return plots;
}

Analysis importance_analysis() {
  Analysis a;
  a.id = "importance";
  a.title = "Module importance";
  a.description = "S = 1 − cos(X, X + f(LN(X))) for each attention, MLP and block, per token (He et al.).";
  a.live = true;
  a.params = [](const ModelInfo&) { return std::vector<ParamSpec>{}; };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues&, const Progress& progress) {
    ImportanceParams p;
    p.tokens = in.tokens;
    const ImportanceResult r = importance(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"mean_attention", to_floats(r.score[0].mean(-1))},
                   {"mean_mlp", to_floats(r.score[1].mean(-1))},
                   {"mean_block", to_floats(r.score[2].mean(-1))}};
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
