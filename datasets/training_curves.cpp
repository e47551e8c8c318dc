#include "datasets/training_curves.h"

#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/h5.h"

namespace glassbox::datasets {

TrainingCurves::TrainingCurves(std::vector<std::string> loss_names, std::vector<std::string> accuracy_names)
    : loss_series(std::move(loss_names)),
      accuracy_series(std::move(accuracy_names)),
      loss(loss_series.size()),
      accuracy(accuracy_series.size()) {}

void TrainingCurves::add(double at, const std::vector<double>& losses, const std::vector<double>& accuracies) {
  x.push_back(at);
  for (size_t i = 0; i < loss.size(); ++i) loss[i].push_back(losses.at(i));
  for (size_t i = 0; i < accuracy.size(); ++i) accuracy[i].push_back(accuracies.at(i));
}

namespace {

Plot line_plot(const std::string& name, const std::string& title, const std::string& x_label,
               const std::string& y_label, const std::vector<double>& x, const std::vector<std::string>& series,
               const std::vector<std::vector<double>>& values) {
  Plot plot;
  plot.name = name;
  plot.kind = "line";
  plot.title = title;
  plot.x_label = x_label;
  plot.y_label = y_label;
  plot.x.values = x;
  plot.series = series;
  plot.shape = {static_cast<int64_t>(series.size()), static_cast<int64_t>(x.size())};
  for (const auto& row : values) plot.data.insert(plot.data.end(), row.begin(), row.end());
  return plot;
}

}  // namespace

std::vector<Plot> TrainingCurves::plots() const {
  return {line_plot("loss", "Training loss", x_label, loss_label, x, loss_series, loss),
          line_plot("accuracy", "Accuracy", x_label, "accuracy", x, accuracy_series, accuracy)};
}

void TrainingCurves::write(const std::string& path, const PlotMeta& meta) const {
  h5::Writer file(path);
  write_plots(file, plots(), meta);
  file.commit();
}

void write_text_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, "cannot write the file");
    out << text;
    if (!out.flush()) fail(path, "cannot write the file");
  }
  replace_file_durably(tmp, path);
}

}  // namespace glassbox::datasets
