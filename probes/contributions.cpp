#include "probes/contributions.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <limits>

#include "core/error.h"
#include "probes/common.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

const std::vector<std::string> kParts = {"attention", "mlp", "layer"};

at::Tensor stacked(const ActivationCache& cache, Hook hook, int n_layers) {
  std::vector<at::Tensor> per_layer;
  for (int l = 0; l < n_layers; ++l) per_layer.push_back(cache.get(hook_name(hook, l)).to(at::kFloat));
  return at::stack(per_layer);
}

at::Tensor ratio(const at::Tensor& numerator, const at::Tensor& denominator) {
  return numerator.norm(2, -1) / denominator.norm(2, -1);
}

// Relative change of every later layer's contribution and the output change
// when layer `skipped` is skipped at positions 1..T-1; fills row `skipped`.
void measure_skip(const Model& model, const ResidualParts& clean, const at::Tensor& clean_probs, int skipped,
                  at::Tensor& skip_effect, at::Tensor& output_effect) {
  const int n_layers = model.info().n_layers;
  const int64_t T = clean.resid_pre.size(1);
  at::Tensor resid = clean.resid_post[skipped].clone();
  resid.narrow(0, 1, T - 1).copy_(clean.resid_pre[skipped].narrow(0, 1, T - 1));

  // Layers up to `skipped` are unchanged: start the pass after it.
  const NameFilter capture("blocks\\.\\d+\\.hook_resid_(pre|post)");
  const std::vector<Edit> no_edits;
  ActivationCache cache;
  HookContext hooks(n_layers, &capture, no_edits, &cache);
  ForwardArgs args;
  args.resid = resid.unsqueeze(0);
  args.start_layer = skipped + 1;
  args.hooks = &hooks;
  ForwardResult out = model.forward(args);

  for (int l = skipped + 1; l < n_layers; ++l) {
    at::Tensor delta = clean.resid_post[l] - clean.resid_pre[l];
    at::Tensor delta_skipped = (cache.get(hook_name(Hook::resid_post, l)) - cache.get(hook_name(Hook::resid_pre, l)))[0]
                                   .to(at::kFloat);
    skip_effect[skipped][l] = ratio(delta - delta_skipped, delta).max();
  }
  output_effect[skipped] = (clean_probs - at::softmax(out.logits[0].to(at::kFloat), -1)).norm(2, -1);
}

Plot series_plot(const std::string& name, const std::string& title, const at::Tensor& data,
                 const std::string& value_label) {
  Plot p = make_plot("line", name, title, data, number_axis(data.size(1)), {}, "layer", value_label);
  p.series = kParts;
  return p;
}

}  // namespace

// What residual_parts keeps: each block's input, its two writes and its output.
constexpr const char* kResidualPartsCapture = "blocks\\.\\d+\\.hook_(resid_pre|attn_out|mlp_out|resid_post)";

ResidualParts residual_parts(const Model& model, const std::vector<int64_t>& tokens) {
  RunOptions options;
  options.capture = NameFilter(kResidualPartsCapture);
  RunResult run = model.run(tokens, options);
  const int n_layers = model.info().n_layers;
  ResidualParts parts;
  parts.resid_pre = stacked(run.cache, Hook::resid_pre, n_layers);
  parts.attn_out = stacked(run.cache, Hook::attn_out, n_layers);
  parts.mlp_out = stacked(run.cache, Hook::mlp_out, n_layers);
  parts.resid_post = stacked(run.cache, Hook::resid_post, n_layers);
  parts.logits = run.logits;
  return parts;
}

ContributionsResult contributions(const Model& model, const ContributionsParams& params, const Progress& progress) {
  as_transformer(model, "contributions");
  const int64_t T = static_cast<int64_t>(params.tokens.size());
  if (params.skip_layers && T < 2)
    fail("contributions", "the skip-layer effect needs at least 2 tokens (positions 1..T-1 are skipped)");
  c10::InferenceMode inference;
  const int n_layers = model.info().n_layers;
  const double units = 1.0 + (params.skip_layers ? n_layers : 0);
  progress.update(0, "forward pass");
  progress.check();

  ContributionsResult result;
  result.token_strings = model.token_strings(params.tokens);
  const ResidualParts parts = residual_parts(model, params.tokens);
  const at::Tensor& h = parts.resid_pre;
  const at::Tensor& a = parts.attn_out;
  const at::Tensor& m = parts.mlp_out;
  result.norm_ratio = at::stack({ratio(a, h), ratio(m, h + a), ratio(a + m, h)}).cpu();
  result.cosine =
      at::stack({at::cosine_similarity(a, h, -1), at::cosine_similarity(m, h + a, -1), at::cosine_similarity(a + m, h, -1)})
          .cpu();
  progress.update(1 / units, "contributions");
  if (!params.skip_layers) return result;

  at::Tensor skip_effect = at::full({n_layers, n_layers}, std::numeric_limits<float>::quiet_NaN());
  at::Tensor output_effect = at::zeros({n_layers, T});
  const at::Tensor clean_probs = at::softmax(parts.logits.to(at::kFloat), -1);
  for (int s = 0; s < n_layers; ++s) {
    progress.check();
    measure_skip(model, parts, clean_probs, s, skip_effect, output_effect);
    progress.update((2 + s) / units, "skipped layer " + std::to_string(s));
  }
  result.skip_effect = skip_effect;
  result.skip_output_effect = output_effect;
  return result;
}

std::vector<Plot> to_plots(const ContributionsResult& result) {
  const Axis tokens = token_axis(result.token_strings);
  const int64_t n_layers = result.norm_ratio.size(1);
  std::vector<Plot> plots;
  plots.push_back(series_plot("contributions", "Relative contribution (mean over tokens)",
                              result.norm_ratio.mean(-1), "norm ratio"));
  plots.push_back(series_plot("contributions_cosine", "Cosine with the residual (mean over tokens)",
                              result.cosine.mean(-1), "cosine"));
  const std::vector<std::string> ratio_titles = {"‖a‖/‖h‖", "‖m‖/‖h+a‖", "‖a+m‖/‖h‖"};
  const std::vector<std::string> cosine_titles = {"cos(a, h)", "cos(m, h+a)", "cos(a+m, h)"};
  for (size_t i = 0; i < kParts.size(); ++i) {
    plots.push_back(make_plot("heatmap", "contributions_" + kParts[i] + "_tokens", ratio_titles[i] + " per token",
                              result.norm_ratio[i], tokens, number_axis(n_layers), "token", "layer", "norm ratio"));
    plots.push_back(make_plot("heatmap", "contributions_cosine_" + kParts[i] + "_tokens",
                              cosine_titles[i] + " per token", result.cosine[i], tokens, number_axis(n_layers),
                              "token", "layer", "cosine"));
  }
  if (result.skip_effect.defined()) {
    plots.push_back(make_plot("heatmap", "skip_effect", "Skipping a layer: relative change of later layers",
                              result.skip_effect, number_axis(n_layers), number_axis(n_layers), "affected layer",
                              "skipped layer", "max over tokens ‖Δ−Δ̃‖/‖Δ‖"));
    plots.push_back(make_plot("bar", "skip_output_effect", "Skipping a layer: change of the output distribution",
                              std::get<0>(result.skip_output_effect.max(-1)), number_axis(n_layers), {},
                              "skipped layer", "max over tokens ‖softmax(z)−softmax(z̃)‖₂"));
    plots.push_back(make_plot("heatmap", "skip_output_effect_tokens",
                              "Skipping a layer: change of the output distribution per token",
                              result.skip_output_effect, tokens, number_axis(n_layers), "token", "skipped layer",
                              "‖softmax(z)−softmax(z̃)‖₂"));
  }
  return plots;
}

Analysis contributions_analysis() {
  Analysis a;
  a.id = "contributions";
  a.title = "Layer contributions";
  a.description = "How much each attention, MLP and whole layer changes the residual stream (norm ratios, "
                  "cosines), and what skipping a layer does to later layers and the output.";
  a.params = [](const ModelInfo&) {
    return std::vector<ParamSpec>{
        ParamSpec::boolean("skip_layers", "Skip-layer effect", true, "One partial forward pass per layer.")};
  };
  a.run = [](const Model& model, const AnalysisInputs& in, const ParamValues& v, const Progress& progress) {
    ContributionsParams p;
    p.tokens = in.tokens;
    p.skip_layers = v.flag("skip_layers");
    const ContributionsResult r = contributions(model, p, progress);
    AnalysisOutput out{to_plots(r)};
    out.summary = {{"mean_attention_ratio", to_floats(r.norm_ratio[0].mean(-1))},
                   {"mean_mlp_ratio", to_floats(r.norm_ratio[1].mean(-1))},
                   {"mean_layer_ratio", to_floats(r.norm_ratio[2].mean(-1))}};
    return out;
  };
  a.captures = [](const ModelInfo&, const ParamValues&) { return std::string(kResidualPartsCapture); };
  return a;
}

}  // namespace glassbox::probes
