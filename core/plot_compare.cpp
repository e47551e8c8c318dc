#include "core/plot_compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace glassbox {

namespace {

// Three significant digits: enough to read a difference at a glance.
std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

bool two_d_kind(const Plot& p) { return p.kind == "heatmap" || p.kind == "table"; }

std::string titled(const std::string& what, const std::string& title) {
  return title.empty() ? what : what + " (" + title + ")";
}

// What dimension `dim` of the data counts, for messages: "positions (key token)".
std::string dimension_noun(const Plot& p, size_t dim) {
  const bool x = dim + 1 == p.shape.size();
  const Axis& axis = x ? p.x : p.y;
  std::string noun;
  if (!axis.positions.empty())
    noun = "positions";
  else if (two_d_kind(p))
    noun = x ? "columns" : "rows";
  else if (p.kind == "histogram")
    noun = "bins";
  else
    noun = x ? "points" : "series";
  return titled(noun, x ? p.x_label : two_d_kind(p) ? p.y_label : std::string());
}

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
  return n;
}

// Why a and b cannot be compared cell by cell; empty when they can.
std::string incomparable_reason(const Plot& a, const Plot& b, const std::string& name_a, const std::string& name_b) {
  if (a.kind != b.kind) return "the runs are of different kinds: " + a.kind + " and " + b.kind;
  for (const auto& [plot, name] : {std::pair<const Plot&, const std::string&>{a, name_a}, {b, name_b}})
    if (plot.shape.empty() || plot.data.size() != element_count(plot.shape))
      return name + " has " + std::to_string(plot.data.size()) + " values, which do not fill its shape";
  if (a.shape.size() != b.shape.size()) {
    // Only line and bar plots have a choice of rank: [x] is one series.
    auto series = [](const Plot& p) { return std::to_string(p.shape.size() == 2 ? p.shape.front() : 1); };
    return "the runs have " + series(a) + " and " + series(b) + " series";
  }
  for (size_t d = 0; d < a.shape.size(); ++d)
    if (a.shape[d] != b.shape[d])
      return "the runs have " + std::to_string(a.shape[d]) + " and " + std::to_string(b.shape[d]) + " " +
             dimension_noun(a, d);
  return {};
}

// A note when two axes of the same length label their entries differently.
void note_axis(std::vector<std::string>& notes, const std::string& axis_name, const Axis& a, const Axis& b,
               const std::string& name_a, const std::string& name_b) {
  if (a.labels == b.labels && a.values == b.values && a.positions == b.positions) return;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string text_a = axis_label(a, i), text_b = axis_label(b, i);
    if (text_a != text_b) {
      notes.push_back(axis_name + " differs first at entry " + std::to_string(i) + ": '" + text_a + "' in " + name_a +
                      ", '" + text_b + "' in " + name_b);
      return;
    }
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::vector<std::string> differing_notes(const Plot& a, const Plot& b, const std::string& name_a,
                                         const std::string& name_b) {
  std::vector<std::string> notes;
  if (a.title != b.title) notes.push_back("the titles differ: '" + a.title + "' and '" + b.title + "'");
  note_axis(notes, titled("x", a.x_label), a.x, b.x, name_a, name_b);
  if (two_d_kind(a)) note_axis(notes, titled("y", a.y_label), a.y, b.y, name_a, name_b);
  if (a.series != b.series)
    notes.push_back("the series differ: " + join(a.series) + " in " + name_a + ", " + join(b.series) + " in " + name_b);
  return notes;
}

std::string delta(const std::string& label) { return label.empty() ? label : "Δ " + label; }

Plot difference_frame(const Plot& a, const std::string& name_a, const std::string& name_b) {
  Plot d = a;
  d.name = a.name + "_difference";
  d.title = (a.title.empty() ? a.name : a.title) + ": " + name_b + " − " + name_a;
  d.value_label = delta(a.value_label);
  if (a.kind == "histogram") {
    d.kind = "line";
    d.y_label = "Δ " + (a.y_label.empty() ? std::string("count") : a.y_label);
  } else if (!two_d_kind(a)) {
    d.y_label = delta(a.y_label);
  }
  return d;
}

}  // namespace

PlotComparison compare_plots(const Plot& a, const Plot& b, const std::string& name_a, const std::string& name_b) {
  PlotComparison c;
  c.reason = incomparable_reason(a, b, name_a, name_b);
  if (!c.reason.empty()) return c;
  c.comparable = true;
  c.notes = differing_notes(a, b, name_a, name_b);
  c.difference = difference_frame(a, name_a, name_b);

  const int64_t columns = a.shape.back();
  double max_abs_a = 0;
  c.cells = static_cast<int64_t>(a.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) {
    const float va = a.data[i], vb = b.data[i];
    const bool nan_a = std::isnan(va), nan_b = std::isnan(vb);
    const float d = nan_a || nan_b ? std::numeric_limits<float>::quiet_NaN() : vb - va;
    c.difference.data[i] = d;
    if (nan_a != nan_b || (!nan_a && va != vb)) ++c.cells_differ;
    if (std::isfinite(va)) max_abs_a = std::max(max_abs_a, std::abs(double(va)));
    if (std::isfinite(d) && std::abs(double(d)) > c.max_abs_difference) {
      c.max_abs_difference = std::abs(double(d));
      c.max_row = static_cast<int64_t>(i) / columns;
      c.max_column = static_cast<int64_t>(i) % columns;
    }
  }
  if (c.max_row >= 0) {
    c.max_column_label = axis_label(a.x, size_t(c.max_column));
    if (two_d_kind(a))
      c.max_row_label = axis_label(a.y, size_t(c.max_row));
    else if (a.shape.size() == 2)
      c.max_row_label = c.max_row < static_cast<int64_t>(a.series.size()) ? a.series[size_t(c.max_row)]
                                                                           : std::to_string(c.max_row);
  }
  if (max_abs_a > 0)
    c.relative_change = c.max_abs_difference / max_abs_a;
  else if (c.max_abs_difference > 0)
    c.relative_change = std::numeric_limits<double>::infinity();
  return c;
}

std::string PlotComparison::summary() const {
  if (!comparable) return reason;
  const bool grid = two_d_kind(difference);
  const std::string unit = grid ? " cells" : " values";
  if (cells_differ == 0) return "identical (" + std::to_string(cells) + unit + ")";
  std::string text;
  if (max_row >= 0) {
    // The cell as the heatmap read-out names it: "query 3:␣the · key 1:␣cat".
    auto part = [](const std::string& title, const std::string& label) {
      return title.empty() ? label : title + " " + label;
    };
    std::string cell = part(difference.x_label, max_column_label);
    if (!max_row_label.empty()) cell = part(grid ? difference.y_label : std::string(), max_row_label) + " · " + cell;
    const std::string relative = std::isinf(relative_change) ? std::string("the first run is all zero")
                                                             : short_number(100 * relative_change) + "% relative";
    text = "max |Δ| " + short_number(max_abs_difference) + " at " + cell + " (" + relative + "); ";
  }
  text += std::to_string(cells_differ) + " of " + std::to_string(cells) + unit + " differ";
  if (max_row < 0) text += " (NaN or infinite in one run only)";
  return text;
}

}  // namespace glassbox
