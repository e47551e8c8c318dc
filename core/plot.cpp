#include "core/plot.h"

#include <cstdio>
#include <ctime>
#include <set>

#include "core/error.h"
#include "core/h5.h"

namespace glassbox {

const char* const kVersion = "0.1.0";

namespace {

const std::set<std::string> kKinds = {"heatmap", "line", "bar", "histogram", "table"};

std::string join(const std::string& group, const std::string& name) {
  return !group.empty() && group.back() == '/' ? group + name : group + "/" + name;
}

// Checks that a plot is self-consistent; `file` names the file in errors.
void validate(const std::string& file, const Plot& plot) {
  const std::string where = "plot '" + plot.name + "': ";
  auto problem = [&](const std::string& what) { fail(file, where + what); };
  if (plot.name.empty() || plot.name.find('/') != std::string::npos || plot.name == "." || plot.name == "..")
    problem("the name must be non-empty and contain no '/'");
  if (!kKinds.count(plot.kind)) problem("unknown kind '" + plot.kind + "' (heatmap, line, bar, histogram or table)");

  const size_t rank = plot.shape.size();
  const bool two_d_kind = plot.kind == "heatmap" || plot.kind == "table";
  const bool series_kind = plot.kind == "line" || plot.kind == "bar";
  if (two_d_kind && rank != 2) problem("a " + plot.kind + " needs 2-D data, got rank " + std::to_string(rank));
  if (plot.kind == "histogram" && rank != 1) problem("a histogram needs 1-D data, got rank " + std::to_string(rank));
  if (series_kind && rank != 1 && rank != 2)
    problem("a " + plot.kind + " plot needs [x] or [series, x] data, got rank " + std::to_string(rank));

  size_t numel = 1;
  for (int64_t d : plot.shape) {
    if (d < 0) problem("negative dimension in shape");
    numel *= static_cast<size_t>(d);
  }
  if (plot.data.size() != numel)
    problem(std::to_string(plot.data.size()) + " values, but the shape needs " + std::to_string(numel));

  for (const auto& [axis_name, axis] : {std::pair<const char*, const Axis&>{"x", plot.x}, {"y", plot.y}}) {
    const std::string name = axis_name;
    if (!axis.values.empty() && !axis.labels.empty()) problem(name + " has both numbers and labels");
    if (!axis.positions.empty() && axis.labels.empty()) problem(name + " has token positions but no labels");
    if (!axis.positions.empty() && axis.positions.size() != axis.labels.size())
      problem(name + " has " + std::to_string(axis.positions.size()) + " token positions for " +
              std::to_string(axis.labels.size()) + " labels");
  }
  if (!plot.x.empty() && static_cast<int64_t>(plot.x.size()) != plot.shape.back())
    problem("x has " + std::to_string(plot.x.size()) + " entries, data has " + std::to_string(plot.shape.back()) +
            " columns");
  if (!plot.y.empty() && (rank != 2 || static_cast<int64_t>(plot.y.size()) != plot.shape.front()))
    problem("y has " + std::to_string(plot.y.size()) + " entries but data is not 2-D with that many rows");
  if (series_kind && rank == 2 && static_cast<int64_t>(plot.series.size()) != plot.shape.front())
    problem("[series, x] data with " + std::to_string(plot.shape.front()) + " series needs as many series names, got " +
            std::to_string(plot.series.size()));
  if (!plot.series.empty() && !(series_kind && rank == 2))
    problem("series names belong to [series, x] line or bar plots");
  for (const auto& [member, cells] : {std::pair<const char*, const std::vector<std::string>&>{"cell_text", plot.cell_text},
                                      {"cell_notes", plot.cell_notes}}) {
    if (cells.empty()) continue;
    if (plot.kind != "heatmap") problem(std::string(member) + " belongs to heatmaps");
    if (cells.size() != numel)
      problem(std::string(member) + " has " + std::to_string(cells.size()) + " entries for " + std::to_string(numel) +
              " cells");
  }
}

void write_int64s(h5::Writer& file, const std::string& path, const std::vector<int64_t>& values) {
  file.dataset(path, values.data(), {static_cast<int64_t>(values.size())});
}

// Axis `name` ("x" or "y") of the plot in `group`: <name>, and <name>_positions on a token axis.
void write_axis(h5::Writer& file, const std::string& group, const std::string& name, const Axis& axis) {
  if (axis.empty()) return;
  const std::string path = join(group, name);
  if (!axis.labels.empty())
    file.dataset(path, axis.labels);
  else
    file.dataset(path, axis.values.data(), {static_cast<int64_t>(axis.values.size())});
  if (!axis.positions.empty()) write_int64s(file, path + "_positions", axis.positions);
}

Axis read_axis(const h5::Reader& file, const std::string& group, const std::string& name) {
  Axis axis;
  const std::string path = join(group, name);
  if (file.exists(path)) {
    if (file.kind(path) == h5::Kind::String)
      axis.labels = file.read_strings(path);
    else
      axis.values = file.read_double(path);
  }
  if (file.exists(path + "_positions")) axis.positions = file.read_int64(path + "_positions");
  return axis;
}

// Attributes other tools may omit read as empty.
std::string optional_attr(const h5::Reader& file, const std::string& object, const std::string& name) {
  return file.has_attr(object, name) ? file.attr_string(object, name) : std::string();
}

Plot read_plot(const h5::Reader& file, const std::string& group, const std::string& name) {
  Plot plot;
  plot.name = name;
  plot.kind = file.attr_string(group, "kind");
  plot.title = optional_attr(file, group, "title");
  plot.x_label = optional_attr(file, group, "x_label");
  plot.y_label = optional_attr(file, group, "y_label");
  plot.value_label = optional_attr(file, group, "value_label");
  plot.shape = file.shape(join(group, "data"));
  plot.data = file.read_float(join(group, "data"));
  plot.x = read_axis(file, group, "x");
  plot.y = read_axis(file, group, "y");
  if (file.exists(join(group, "series"))) plot.series = file.read_strings(join(group, "series"));
  for (auto [member, cells] : {std::pair<const char*, std::vector<std::string>*>{"cell_text", &plot.cell_text},
                               {"cell_notes", &plot.cell_notes}})
    if (file.exists(join(group, member))) *cells = file.read_strings(join(group, member));
  validate(file.path(), plot);
  return plot;
}

}  // namespace

void write_plot(h5::Writer& file, const std::string& group, const Plot& plot, const PlotMeta& meta) {
  validate(file.path(), plot);
  file.group(group);
  file.dataset(join(group, "data"), plot.data.data(), plot.shape);
  write_axis(file, group, "x", plot.x);
  write_axis(file, group, "y", plot.y);
  if (!plot.series.empty()) file.dataset(join(group, "series"), plot.series);
  if (!plot.cell_text.empty()) file.dataset(join(group, "cell_text"), plot.cell_text);
  if (!plot.cell_notes.empty()) file.dataset(join(group, "cell_notes"), plot.cell_notes);
  write_int64s(file, join(group, "tokens"), meta.tokens);
  const std::pair<const char*, const std::string&> attrs[] = {
      {"kind", plot.kind},         {"title", plot.title},     {"x_label", plot.x_label},
      {"y_label", plot.y_label},   {"value_label", plot.value_label},
      {"probe", meta.probe},       {"params_json", meta.params_json},
      {"model", meta.model},       {"prompt", meta.prompt},
  };
  for (const auto& [name, value] : attrs) file.attr(group, name, value);
  file.attr(group, "created_utc", utc_timestamp());
  file.attr(group, "glassbox_version", std::string(kVersion));
}

void write_plots(h5::Writer& file, const std::vector<Plot>& plots, const PlotMeta& meta, const std::string& root) {
  std::set<std::string> names;
  for (const Plot& plot : plots)
    if (!names.insert(plot.name).second) fail(file.path(), "plot '" + plot.name + "' appears twice");
  file.group(root);
  for (const Plot& plot : plots) write_plot(file, join(root, plot.name), plot, meta);
}

const std::vector<Plot>& SharedPlots::empty_plots() {
  static const std::vector<Plot> none;
  return none;
}

PlotRef SharedPlots::share(const Plot& plot) const {
  const std::vector<Plot>& plots = get();
  if (plots.empty() || &plot < plots.data() || &plot >= plots.data() + plots.size())
    throw std::logic_error("SharedPlots::share: the plot is not one of these plots");
  return std::shared_ptr<const Plot>(plots_, &plot);  // aliasing: keeps the whole run alive
}

std::vector<Plot> read_plots(const h5::Reader& file, const std::string& root) {
  std::vector<Plot> plots;
  if (!file.exists(root)) return plots;
  for (const std::string& name : file.children(root)) plots.push_back(read_plot(file, join(root, name), name));
  return plots;
}

PlotMeta read_plot_meta(const h5::Reader& file, const std::string& root) {
  PlotMeta meta;
  if (!file.exists(root)) return meta;
  const std::vector<std::string> names = file.children(root);
  if (names.empty()) return meta;
  const std::string group = join(root, names.front());
  meta.probe = optional_attr(file, group, "probe");
  meta.params_json = optional_attr(file, group, "params_json");
  meta.model = optional_attr(file, group, "model");
  meta.prompt = optional_attr(file, group, "prompt");
  if (file.exists(join(group, "tokens"))) meta.tokens = file.read_int64(join(group, "tokens"));
  return meta;
}

std::string axis_label(const Axis& axis, size_t i) {
  if (i < axis.positions.size() && i < axis.labels.size())
    return std::to_string(axis.positions[i]) + ":" + visible_token(axis.labels[i]);
  if (i < axis.labels.size()) return axis.labels[i];
  if (i < axis.values.size()) {
    char number[32];
    std::snprintf(number, sizeof number, "%.5g", axis.values[i]);
    return number;
  }
  return std::to_string(i);
}

std::string visible_token(const std::string& token) {
  std::string s;
  for (char c : token) {
    if (c == ' ') s += "\xE2\x90\xA3";  // ␣
    else if (c == '\n') s += "\\n";
    else s += c;
  }
  return s;
}

std::string utc_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace glassbox
