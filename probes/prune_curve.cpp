#include "probes/prune_curve.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <numeric>

#include "core/error.h"
#include "core/hooks.h"
#include "probes/ipr.h"
#include "datasets/modular.h"
#include "datasets/train_modular.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

// accuracy[set][k] for ablating order[0..k) one neuron at a time.
std::vector<std::vector<double>> ablation_curve(const at::Tensor& hidden, const at::Tensor& W_out,
                                                const at::Tensor& replacement, const at::Tensor& labels,
                                                const std::vector<int64_t>& set_sizes,
                                                const std::vector<int64_t>& order, const Progress& progress,
                                                double progress_from, double progress_to) {
  at::Tensor logits = at::matmul(hidden, W_out);
  std::vector<std::vector<double>> accuracy(set_sizes.size());
  auto record = [&]() {
    at::Tensor correct = logits.argmax(-1).eq(labels).to(at::kDouble).cpu();
    int64_t start = 0;
    for (size_t s = 0; s < set_sizes.size(); ++s) {
      accuracy[s].push_back(set_sizes[s] ? correct.slice(0, start, start + set_sizes[s]).mean().item<double>()
                                         : std::nan(""));
      start += set_sizes[s];
    }
  };
  record();
  for (size_t i = 0; i < order.size(); ++i) {
    if (i % 16 == 0) {
      progress.check();
      progress.update(progress_from + (progress_to - progress_from) * double(i) / double(order.size()));
    }
    int64_t k = order[i];
    if (i + 1 < order.size()) {
      // Neuron k's output changes from hidden[:, k] to replacement[k].
      logits.addr_(replacement[k] - hidden.select(1, k), W_out[k]);
    } else {
      // All ablated: exactly the replacement's logits, without the sum's rounding (argmax ties).
      logits = at::matmul(replacement, W_out).expand_as(logits).clone();
    }
    record();
  }
  return accuracy;
}

}  // namespace

PruneCurve prune_curve(const ToyMlp& model, const PruneCurveParams& params, const Progress& progress) {
  if (params.sets.empty()) fail("probe prune-curve", "no sets of pairs to score");
  const int64_t p = model.p();
  PruneCurve curve;
  std::vector<at::Tensor> pairs, labels;
  std::vector<int64_t> sizes;
  for (const LabeledPairs& set : params.sets) {
    if (set.pairs.dim() != 2 || set.pairs.size(1) != 2 || set.labels.dim() != 1 ||
        set.labels.size(0) != set.pairs.size(0)) {
      fail("probe prune-curve", "set '" + set.name + "' needs pairs [n, 2] and labels [n]");
    }
    if (set.labels.numel() && (set.labels.min().item<int64_t>() < 0 || set.labels.max().item<int64_t>() >= p)) {
      fail("probe prune-curve", "set '" + set.name + "' has labels outside [0, " + std::to_string(p) + ")");
    }
    curve.set_names.push_back(set.name);
    pairs.push_back(set.pairs);
    labels.push_back(set.labels);
    sizes.push_back(set.pairs.size(0));
  }
  at::Tensor all_pairs = at::cat(pairs).to(model.device(), at::kLong);
  at::Tensor all_labels = at::cat(labels).to(model.device(), at::kLong);

  // hook_hidden_post through the model's own forward pass.
  NameFilter capture("hook_hidden_post");
  ActivationCache cache;
  HookContext hooks(1, &capture, {}, &cache);
  ForwardArgs args;
  args.tokens = all_pairs;
  args.hooks = &hooks;
  {
    at::NoGradGuard no_grad;
    model.forward(args);
  }
  // Double precision keeps the running sum's rounding far below the logits' gaps.
  at::Tensor hidden = cache.get("hook_hidden_post").to(at::kDouble);
  at::Tensor W_out = model.weights().W_out.to(at::kDouble);
  at::Tensor replacement = params.ablation == Ablation::mean ? hidden.mean(0) : at::zeros({hidden.size(1)}, hidden.options());

  curve.ipr = neuron_ipr(model).score;
  curve.lowest_first.resize(curve.ipr.size());
  std::iota(curve.lowest_first.begin(), curve.lowest_first.end(), 0);
  std::stable_sort(curve.lowest_first.begin(), curve.lowest_first.end(),
                   [&](int64_t a, int64_t b) { return curve.ipr[size_t(a)] < curve.ipr[size_t(b)]; });
  std::vector<int64_t> highest_first(curve.lowest_first.rbegin(), curve.lowest_first.rend());

  curve.lowest_first_accuracy =
      ablation_curve(hidden, W_out, replacement, all_labels, sizes, curve.lowest_first, progress, 0.0, 0.5);
  curve.highest_first_accuracy =
      ablation_curve(hidden, W_out, replacement, all_labels, sizes, highest_first, progress, 0.5, 1.0);
  progress.update(1.0);
  return curve;
}

namespace {

Plot curve_plot(const std::string& name, const std::string& title, const std::vector<std::string>& sets,
                const std::vector<std::vector<double>>& accuracy) {
  Plot plot;
  plot.name = name;
  plot.kind = "line";
  plot.title = title;
  plot.x_label = "neurons pruned";
  plot.y_label = "accuracy";
  plot.series = sets;
  const int64_t points = static_cast<int64_t>(accuracy.front().size());
  plot.shape = {static_cast<int64_t>(sets.size()), points};
  for (const auto& row : accuracy) plot.data.insert(plot.data.end(), row.begin(), row.end());
  for (int64_t k = 0; k < points; ++k) plot.x.values.push_back(double(k));
  return plot;
}

}  // namespace

std::vector<Plot> to_plots(const PruneCurve& curve) {
  return {curve_plot("prune_curve", "Accuracy when pruning lowest-IPR neurons first", curve.set_names,
                     curve.lowest_first_accuracy),
          curve_plot("prune_curve_control", "Control: pruning highest-IPR neurons first", curve.set_names,
                     curve.highest_first_accuracy)};
}

Analysis prune_curve_analysis() {
  Analysis a;
  a.id = "prune-curve";
  a.title = "Pruning curve";
  a.description = "Accuracy on corrupted train, clean train and test pairs while neurons are ablated in order of "
                  "IPR (lowest first, and highest first as a control).";
  a.needs.prompt = Need::none;
  a.needs.transformer = false;
  a.params = [](const ModelInfo&) {
    return std::vector<ParamSpec>{ParamSpec::choice("ablation", "Ablation", {"zero", "mean"},
                                                    "zero: remove the neuron; mean: replace it by its mean output.")};
  };
  a.run = [](const Model& model, const AnalysisInputs&, const ParamValues& v, const Progress& progress) {
    const ToyMlp& mlp = require_toy_mlp(model, "prune-curve");
    // The split and corruption the model was trained on, rebuilt from its config.json.
    const datasets::ModularData data = datasets::make_modular(datasets::modular_spec_from_model_dir(model.dir()));
    if (data.spec.p != mlp.p()) fail(model.dir(), "config.json's dataset modulus differs from the model's p");
    PruneCurveParams p;
    p.ablation = v.text("ablation") == "mean" ? Ablation::mean : Ablation::zero;
    for (const datasets::ModularSubset& subset : datasets::modular_subsets(data)) {
      if (subset.name == "train") continue;  // the union of the two train subsets
      p.sets.push_back({subset.name, data.pairs.index_select(0, subset.rows), subset.labels});
    }
    const PruneCurve curve = prune_curve(mlp, p, progress);
    AnalysisOutput out{to_plots(curve)};
    // Accuracy after pruning each tenth of the neurons.
    nlohmann::json table = nlohmann::json::array();
    const size_t n = curve.lowest_first.size();
    for (size_t tenth = 0; tenth <= 10; ++tenth) {
      const size_t k = n * tenth / 10;
      nlohmann::json row = {{"pruned", k}};
      for (size_t s = 0; s < curve.set_names.size(); ++s) {
        row["lowest_first"][curve.set_names[s]] = curve.lowest_first_accuracy[s][k];
        row["highest_first"][curve.set_names[s]] = curve.highest_first_accuracy[s][k];
      }
      table.push_back(row);
    }
    out.summary = {{"curve", table}};
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
