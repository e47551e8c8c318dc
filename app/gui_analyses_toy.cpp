// Analyses of the modular-arithmetic MLP (glassbox_mlp): per-neuron IPR and
// pruning curves (Doshi et al., DESIGN.md §5).
#include <ATen/ATen.h>

#include "app/gui_analysis.h"
#include "core/error.h"
#include "datasets/modular.h"
#include "datasets/train_modular.h"
#include "probes/ipr.h"
#include "probes/prune_curve.h"

namespace glassbox::gui {

namespace {

bool is_toy_mlp(const ModelSummary& m) { return m.family == "glassbox_mlp"; }

Analysis neuron_ipr() {
  Analysis a;
  a.id = "ipr";
  a.name = "Neuron IPR";
  a.description = "Inverse participation ratio of each hidden neuron's Fourier spectrum: low = memorizing, "
                  "high = periodic (generalizing).";
  a.live = true;  // cheap: one FFT per neuron
  a.needs_prompt = false;
  a.applies = is_toy_mlp;
  a.params = [](const ModelSummary&) {
    return std::vector<ParamSpec>{ParamSpec::integer("bins", "Histogram bins", 50, 5, 200)};
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    progress.update(0.1, "IPR per neuron");
    return probes::to_plots(probes::neuron_ipr(probes::require_toy_mlp(model, "ipr")), request.params.integer("bins"));
  };
  return a;
}

Analysis prune_curve() {
  Analysis a;
  a.id = "prune_curve";
  a.name = "Pruning curve";
  a.description = "Accuracy on corrupted train, clean train and test pairs while neurons are ablated in order of "
                  "IPR (lowest first, and highest first as a control).";
  a.needs_prompt = false;
  a.applies = is_toy_mlp;
  a.params = [](const ModelSummary&) {
    return std::vector<ParamSpec>{ParamSpec::choice("ablation", "Ablation", {"zero", "mean"},
                                                    "zero: remove the neuron; mean: replace it by its mean output")};
  };
  a.run = [](const Model& model, const AnalysisRequest& request, const Progress& progress) {
    const ToyMlp& mlp = probes::require_toy_mlp(model, "prune-curve");
    // The split and corruption the model was trained on, rebuilt from its config.json.
    const datasets::ModularData data = datasets::make_modular(datasets::modular_spec_from_model_dir(model.dir()));
    if (data.spec.p != mlp.p()) fail(model.dir(), "config.json's dataset modulus differs from the model's p");
    probes::PruneCurveParams params;
    params.ablation = request.params.text("ablation") == "mean" ? probes::Ablation::mean : probes::Ablation::zero;
    for (const datasets::ModularSubset& subset : datasets::modular_subsets(data)) {
      if (subset.name == "train") continue;  // the union of the two train subsets
      params.sets.push_back({subset.name, data.pairs.index_select(0, subset.rows), subset.labels});
    }
    return probes::to_plots(probes::prune_curve(mlp, params, progress));
  };
  return a;
}

}  // namespace

std::vector<Analysis> toy_model_analyses() { return {neuron_ipr(), prune_curve()}; }

}  // namespace glassbox::gui
