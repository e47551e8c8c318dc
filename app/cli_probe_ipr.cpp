// glassbox-cli probe ipr: per-neuron IPR of the modular-arithmetic MLP.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "core/error.h"
#include "probes/ipr.h"

namespace glassbox::cli {
namespace {

int probe_ipr(Args& args) {
  auto model = load_model_from_args(args);
  const int bins = static_cast<int>(args.integer("bins", 50));
  const std::string out = args.get("out");
  args.finish();
  const ToyMlp& mlp = probes::require_toy_mlp(*model, "ipr");

  probes::NeuronIpr ipr = probes::neuron_ipr(mlp);
  write_plots_to(out, probes::to_plots(ipr, bins), "ipr", nlohmann::json({{"bins", bins}}).dump(), *model);
  std::vector<double> sorted = ipr.score;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json summary = {{"out", out},
                            {"neurons", sorted.size()},
                            {"ipr_min", sorted.front()},
                            {"ipr_median", sorted[sorted.size() / 2]},
                            {"ipr_max", sorted.back()}};
  std::cout << summary.dump(2) << "\n";
  return 0;
}

const bool registered = register_command({"probe ipr", "--model DIR [--bins B] --out F.h5", &probe_ipr});

}  // namespace
}  // namespace glassbox::cli
