#pragma once
// Qt Charts views: LineChartView for kinds line and histogram, BarChartView
// for kind bar. Several series ([series, x] data) share the axes; hovering a
// point or bar shows its series, x and value.
#include "views/plot_view.h"

QT_BEGIN_NAMESPACE
class QCategoryAxis;
class QChart;
class QChartView;
QT_END_NAMESPACE

namespace glassbox::views {

// Shared frame: a QChartView filling the widget, titled, with axis titles.
class ChartPlotView : public PlotView {
  Q_OBJECT

 public:
  QChart* chart() const { return chart_; }
  QSize sizeHint() const override { return {640, 420}; }
  // The x tick labels drawn now: on a labelled axis every k-th label, k chosen
  // from the plot's width so that horizontal labels never overlap (Qt Charts
  // would otherwise elide them, to "⋮" when turned vertical). Empty on a numeric axis.
  QStringList x_tick_labels() const;
  // Whether the labels drawn fit side by side in the plot area.
  bool x_tick_labels_fit() const;

 protected:
  ChartPlotView(PlotRef plot, QWidget* parent);
  // Rows of the data as series: [x] is one series, [series, x] several.
  int series_count() const;
  QString series_name(int s) const;
  float value(int s, int64_t i) const;
  int64_t point_count() const { return plot().shape.empty() ? 0 : plot().shape.back(); }
  QString y_title() const;
  void show_read_out(const QString& text);
  // A category axis at 0..n-1 for labelled x positions (tokens, layers), labelled as the width allows.
  QCategoryAxis* label_axis(const QStringList& labels);

 private:
  void relabel();
  int label_width() const;

  QChart* chart_;
  QChartView* chart_view_;
  QCategoryAxis* category_axis_ = nullptr;
  QStringList labels_;  // every label of the category axis (plain text; escaped when drawn)
  int label_step_ = 1;
};

class LineChartView : public ChartPlotView {
  Q_OBJECT

 public:
  LineChartView(PlotRef plot, QWidget* parent = nullptr);

 private:
  void build_lines();
  void build_histogram();
  // Nearest data index to a chart x coordinate.
  int64_t index_near(double x) const;
  double x_of(int64_t i) const;
};

class BarChartView : public ChartPlotView {
  Q_OBJECT

 public:
  BarChartView(PlotRef plot, QWidget* parent = nullptr);
};

}  // namespace glassbox::views
