#pragma once
// Loss and accuracy curves recorded while training, saved as training.h5 in the
// model folder in the plot-export layout (/plots/loss, /plots/accuracy).
#include <string>
#include <vector>

#include "core/plot.h"

namespace glassbox::datasets {

struct TrainingCurves {
  std::string x_label = "epoch";
  std::string loss_label = "loss";
  std::vector<std::string> loss_series, accuracy_series;
  std::vector<double> x;
  std::vector<std::vector<double>> loss, accuracy;  // [series][point]

  TrainingCurves(std::vector<std::string> loss_names, std::vector<std::string> accuracy_names);
  // One point; the values follow the series order.
  void add(double at, const std::vector<double>& losses, const std::vector<double>& accuracies);
  std::vector<Plot> plots() const;
  // Writes <path> (HDF5, the plot-export layout of docs/file-formats.md) atomically.
  void write(const std::string& path, const PlotMeta& meta) const;
};

// config.json next to the weights, written atomically; Error names the file.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace glassbox::datasets
