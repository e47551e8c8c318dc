#pragma once
// A plot as it is exported (docs/file-formats.md#plot-export): what every probe returns for the
// views and for HDF5. No torch or Qt here.
#include <cstdint>
#include <string>
#include <vector>

namespace glassbox {

namespace h5 {
class Writer;
class Reader;
}  // namespace h5

// An axis is numeric or labelled (token strings, "L3H7").
struct Axis {
  std::vector<double> values;
  std::vector<std::string> labels;
  bool empty() const { return values.empty() && labels.empty(); }
  size_t size() const { return labels.empty() ? values.size() : labels.size(); }
};

// data is row-major. heatmap: [len(y), len(x)]; line/bar: [len(x)] or
// [series, len(x)] with `series` names; histogram: the bin counts [bins] with x
// the bin left edges; table: [rows, columns] with y row labels, x column labels.
struct Plot {
  std::string name;  // group name under /plots
  std::string kind;  // heatmap | line | bar | histogram | table
  std::string title, x_label, y_label, value_label;
  std::vector<int64_t> shape;
  std::vector<float> data;
  Axis x, y;
  std::vector<std::string> series;

  float at(int64_t i, int64_t j) const { return data[static_cast<size_t>(i * shape.back() + j)]; }
};

// Provenance stored with every plot.
struct PlotMeta {
  std::string probe, params_json, model;
};

// Writes /plots/<name>/{data,x,y,series} and the attributes of docs/file-formats.md#plot-export
// under `root` ("/plots" for exports, "/analyses/<id>" for sessions).
void write_plot(h5::Writer& file, const std::string& group, const Plot& plot, const PlotMeta& meta);
void write_plots(h5::Writer& file, const std::vector<Plot>& plots, const PlotMeta& meta,
                 const std::string& root = "/plots");
std::vector<Plot> read_plots(const h5::Reader& file, const std::string& root = "/plots");
// Reads the PlotMeta attributes of the first plot under root (empty if none).
PlotMeta read_plot_meta(const h5::Reader& file, const std::string& root = "/plots");

std::string utc_timestamp();  // ISO 8601, for created_utc
extern const char* const kVersion;

}  // namespace glassbox
