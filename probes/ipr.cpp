#include "probes/ipr.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "probes/registry.h"

namespace glassbox::probes {

namespace {

// IPR of each row's rFFT magnitudes; an all-zero row scores 0.
std::vector<double> row_ipr(const at::Tensor& rows) {
  at::Tensor magnitude = at::fft_rfft(rows.to(at::kCPU, at::kDouble), c10::nullopt, -1).abs();
  at::Tensor norm = magnitude.norm(2, {-1}, /*keepdim=*/true).clamp_min(1e-300);
  at::Tensor ipr = (magnitude / norm).pow(4).sum(-1).contiguous();
  return std::vector<double>(ipr.data_ptr<double>(), ipr.data_ptr<double>() + ipr.numel());
}

}  // namespace

NeuronIpr neuron_ipr(const ToyMlp& model) {
  const ToyMlpWeights& w = model.weights();
  const int64_t p = w.p;
  NeuronIpr out;
  out.input_a = row_ipr(w.W_in.slice(0, 0, p).t());
  out.input_b = row_ipr(w.W_in.slice(0, p, 2 * p).t());
  out.output = row_ipr(w.W_out);
  for (size_t k = 0; k < out.output.size(); ++k) {
    out.score.push_back((out.input_a[k] + out.input_b[k] + out.output[k]) / 3.0);
  }
  return out;
}

const ToyMlp& require_toy_mlp(const Model& model, const std::string& probe) {
  const auto* mlp = dynamic_cast<const ToyMlp*>(&model);
  if (!mlp) {
    fail(model.dir(), "probe " + probe + " needs a glassbox_mlp model (train one with glassbox-cli train modular), not " +
                          model.info().model_type);
  }
  return *mlp;
}

std::vector<Plot> to_plots(const NeuronIpr& ipr, int bins) {
  if (bins < 1) fail("probe ipr", "the histogram needs at least one bin");
  Plot histogram;
  histogram.name = "ipr";
  histogram.kind = "histogram";
  histogram.title = "Neuron IPR (low: memorizing, high: periodic)";
  histogram.x_label = "IPR (mean of input a, input b, output)";
  histogram.y_label = "neurons";
  histogram.shape = {bins};
  histogram.data.assign(static_cast<size_t>(bins), 0.0f);
  for (int i = 0; i < bins; ++i) histogram.x.values.push_back(double(i) / bins);
  for (double s : ipr.score) {
    int bin = std::clamp(static_cast<int>(s * bins), 0, bins - 1);
    histogram.data[static_cast<size_t>(bin)] += 1.0f;
  }

  // Neurons ranked by score, so that the memorizing and the periodic ones read as two plateaus.
  Plot neurons;
  neurons.name = "ipr_neurons";
  neurons.kind = "line";
  neurons.title = "IPR per neuron, ranked by score";
  neurons.x_label = "neuron (ranked by score)";
  neurons.y_label = "IPR";
  neurons.series = {"score", "input_a", "input_b", "output"};
  const int64_t n = static_cast<int64_t>(ipr.score.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ipr.score[size_t(a)] > ipr.score[size_t(b)]; });
  neurons.shape = {4, n};
  for (const auto* row : {&ipr.score, &ipr.input_a, &ipr.input_b, &ipr.output})
    for (int64_t k : order) neurons.data.push_back(static_cast<float>((*row)[size_t(k)]));
  for (int64_t k : order) neurons.x.labels.push_back(std::to_string(k));
  return {histogram, neurons};
}

Analysis ipr_analysis() {
  Analysis a;
  a.id = "ipr";
  a.title = "Neuron IPR";
  a.description = "Inverse participation ratio of each hidden neuron's Fourier spectrum: low = memorizing, "
                  "high = periodic (generalizing).";
  a.live = true;  // cheap: one FFT per neuron
  a.needs.prompt = Need::none;
  a.needs.transformer = false;
  a.params = [](const ModelInfo&) {
    return std::vector<ParamSpec>{ParamSpec::integer("bins", "Histogram bins", 50, 5, 200, "Bins over [0, 1].")};
  };
  a.run = [](const Model& model, const AnalysisInputs&, const ParamValues& v, const Progress& progress) {
    progress.update(0.1, "IPR per neuron");
    const NeuronIpr ipr = neuron_ipr(require_toy_mlp(model, "ipr"));
    AnalysisOutput out{to_plots(ipr, static_cast<int>(v.integer("bins")))};
    std::vector<double> sorted = ipr.score;
    std::sort(sorted.begin(), sorted.end());
    out.summary = {{"neurons", sorted.size()},
                   {"ipr_min", sorted.front()},
                   {"ipr_median", sorted[sorted.size() / 2]},
                   {"ipr_max", sorted.back()}};
    return out;
  };
  return a;
}

}  // namespace glassbox::probes
