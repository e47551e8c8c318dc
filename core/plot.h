#pragma once
// A plot as it is exported (docs/file-formats.md#plot-export): what every probe returns for the
// views and for HDF5. No torch or Qt here.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace glassbox {

namespace h5 {
class Writer;
class Reader;
}  // namespace h5

// An axis is numeric or labelled (token strings, "L3H7"). A token axis keeps
// the raw token strings in `labels` and their positions in the prompt in
// `positions`; the views show them as "3:␣the".
struct Axis {
  std::vector<double> values;
  std::vector<std::string> labels;
  std::vector<int64_t> positions;  // token axes only: one per label
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
  // Heatmaps only, row-major like data, each empty or one entry per cell:
  // text written in the cell (the logit lens' top token) and more shown on
  // hover (its top k).
  std::vector<std::string> cell_text, cell_notes;

  float at(int64_t i, int64_t j) const { return data[static_cast<size_t>(i * shape.back() + j)]; }
};

// One plot as a view holds it: shared with its run (SharedPlots::share), or
// made for that view alone from a Plot value.
class PlotRef {
 public:
  PlotRef(Plot plot) : plot_(std::make_shared<const Plot>(std::move(plot))) {}
  PlotRef(std::shared_ptr<const Plot> plot) : plot_(std::move(plot)) {}
  const Plot& operator*() const { return *plot_; }
  const Plot* operator->() const { return plot_.get(); }

 private:
  std::shared_ptr<const Plot> plot_;
};

// The plots of one run, shared rather than copied: a window shows, saves and
// autosaves them while it goes on, a run's plots can be gigabytes (the attention
// patterns of a long prompt), and they never change once made.
class SharedPlots {
 public:
  SharedPlots() = default;
  SharedPlots(std::vector<Plot> plots) : plots_(std::make_shared<const std::vector<Plot>>(std::move(plots))) {}
  SharedPlots(std::initializer_list<Plot> plots) : SharedPlots(std::vector<Plot>(plots)) {}

  const std::vector<Plot>& get() const { return plots_ ? *plots_ : empty_plots(); }
  operator const std::vector<Plot>&() const { return get(); }
  std::vector<Plot>::const_iterator begin() const { return get().begin(); }
  std::vector<Plot>::const_iterator end() const { return get().end(); }
  size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  const Plot& operator[](size_t i) const { return get()[i]; }
  const Plot& front() const { return get().front(); }
  // `plot`, one of these plots, held for as long as the reference lives.
  PlotRef share(const Plot& plot) const;

 private:
  static const std::vector<Plot>& empty_plots();
  std::shared_ptr<const std::vector<Plot>> plots_;
};

// Provenance stored with every plot: the analysis, its parameters, the model,
// and the prompt it ran on (empty for analyses that take none). The prompt's
// members have initializers so that PlotMeta{probe, params_json, model} is
// complete without them.
struct PlotMeta {
  std::string probe, params_json, model;
  std::string prompt{};           // the text typed (empty when token ids were given)
  std::vector<int64_t> tokens{};  // the ids the model ran on
};

// Writes /plots/<name>/{data,x,y,x_positions,y_positions,series,tokens} and the
// attributes of docs/file-formats.md#plot-export under `root` ("/plots" for
// exports, "/analyses/<id>" for sessions).
void write_plot(h5::Writer& file, const std::string& group, const Plot& plot, const PlotMeta& meta);
void write_plots(h5::Writer& file, const std::vector<Plot>& plots, const PlotMeta& meta,
                 const std::string& root = "/plots");
std::vector<Plot> read_plots(const h5::Reader& file, const std::string& root = "/plots");
// Reads the PlotMeta of the first plot under root (empty if none; members
// older files lack read as empty).
PlotMeta read_plot_meta(const h5::Reader& file, const std::string& root = "/plots");

// How the views show entry i of an axis: "3:␣the" on a token axis (position,
// then the visible token), else the label or the number.
std::string axis_label(const Axis& axis, size_t i);
// One token string made readable: spaces as ␣, newlines as \n.
std::string visible_token(const std::string& token);

std::string utc_timestamp();  // ISO 8601, for created_utc
extern const char* const kVersion;

}  // namespace glassbox
