// glassbox-cli probe prune-curve: accuracy on corrupted train, clean train and
// test pairs while pruning the modular MLP's neurons by IPR.
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "core/error.h"
#include "datasets/train_modular.h"
#include "probes/ipr.h"
#include "probes/prune_curve.h"

namespace glassbox::cli {
namespace {

int probe_prune_curve(Args& args) {
  auto model = load_model_from_args(args);
  const std::string ablation = args.get("ablation", "zero");
  const std::string out = args.get("out");
  args.finish();
  if (ablation != "zero" && ablation != "mean") fail("command line", "--ablation must be zero or mean");
  const ToyMlp& mlp = probes::require_toy_mlp(*model, "prune-curve");

  // The split and corruption the model was trained on, rebuilt from its config.json.
  const datasets::ModularData data = datasets::make_modular(datasets::modular_spec_from_model_dir(model->dir()));
  if (data.spec.p != mlp.p()) fail(model->dir(), "config.json's dataset modulus differs from the model's p");
  probes::PruneCurveParams params;
  params.ablation = ablation == "mean" ? probes::Ablation::mean : probes::Ablation::zero;
  for (const datasets::ModularSubset& subset : datasets::modular_subsets(data)) {
    if (subset.name == "train") continue;  // the union of the two train subsets
    params.sets.push_back({subset.name, data.pairs.index_select(0, subset.rows), subset.labels});
  }
  probes::PruneCurve curve = probes::prune_curve(mlp, params);
  write_plots_to(out, probes::to_plots(curve), "prune-curve", nlohmann::json({{"ablation", ablation}}).dump(),
                 *model);

  // A short table on stdout: accuracy after pruning each tenth of the neurons.
  nlohmann::json table = nlohmann::json::array();
  const size_t n = curve.lowest_first.size();
  for (int tenth = 0; tenth <= 10; ++tenth) {
    size_t k = n * static_cast<size_t>(tenth) / 10;
    nlohmann::json row = {{"pruned", k}};
    for (size_t s = 0; s < curve.set_names.size(); ++s) {
      row["lowest_first"][curve.set_names[s]] = curve.lowest_first_accuracy[s][k];
      row["highest_first"][curve.set_names[s]] = curve.highest_first_accuracy[s][k];
    }
    table.push_back(row);
  }
  std::cout << nlohmann::json({{"out", out}, {"curve", table}}).dump(2) << "\n";
  return 0;
}

const bool registered = register_command(
    {"probe prune-curve", "--model DIR [--ablation zero|mean] --out F.h5", &probe_prune_curve});

}  // namespace
}  // namespace glassbox::cli
