#pragma once
// A heatmap of a Plot of kind "heatmap" ([len(y), len(x)] data): labelled
// axes, a colour bar, NaN cells hatched grey, text in the cells when the plot
// has it and they are large enough, hover read-out, wheel zoom, drag to pan,
// double-click (or the context menu) to zoom to fit. The colour scale's
// options (linear, log, symmetric log; percentile clip; per row; rows and
// columns left out) are in the context menu. Keyboard: arrows move the current
// cell (Shift extends the selection), Enter clicks it, + and - zoom, 0 fits,
// Ctrl+C copies the selected values.
#include <QRect>
#include <utility>
#include <vector>

#include "views/color_scale.h"
#include "views/plot_view.h"

namespace glassbox::views {

class HeatmapView : public PlotView {
  Q_OBJECT

 public:
  HeatmapView(PlotRef plot, QWidget* parent = nullptr);
  // With a given colour scale, so that several heatmaps share one.
  HeatmapView(PlotRef plot, const ColorScale& scale, QWidget* parent = nullptr);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  // The scale of the whole plot (per-row scales are drawn when options().per_row).
  const ColorScale& color_scale() const { return scale_; }
  const ScaleOptions& scale_options() const { return options_; }
  void set_scale_options(const ScaleOptions& options);
  // The colour drawn in a cell, after the scale's options.
  QColor cell_color(int row, int column) const;
  // Where cell (row, column) is drawn at the current size and zoom; empty when
  // it is outside the visible window.
  QRect cell_rect(int row, int column) const;
  // The "row, column: value" read-out for a cell.
  QString describe_cell(int row, int column) const;

  // The current cell (keyboard) and the selection it spans with its anchor.
  int current_row() const { return current_row_; }
  int current_column() const { return current_column_; }
  // The selected cells, rows [top, bottom] and columns [left, right], as tab-separated values with labels.
  QString selection_tsv() const;
  void set_current_cell(int row, int column, bool extend = false);

  // The visible window of cells, "row0,row1,column0,column1" (end exclusive),
  // then the scale options after a ';'.
  QString view_state() const override;
  void restore_view_state(const QString& state) override;
  void focus_positions(int first, int last) override;

  QSize sizeHint() const override { return {640, 480}; }
  QSize minimumSizeHint() const override { return {180, 100}; }

 public slots:
  void zoom_to_fit();

 signals:
  void cell_clicked(int row, int column);
  void scale_options_changed(const ScaleOptions& options);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  void add_view_actions(QMenu& menu) override;
  QString values_tsv() const override { return selection_tsv(); }
  // The cell the context menu opened on (row, column), or (-1, -1).
  QPoint menu_cell() const { return menu_cell_; }

 private:
  // Pixel layout of the current size: cell area, colour bar, label bands.
  struct Layout {
    QRect cells, color_bar, title;
    int x_label_band = 0, y_label_band = 0;
    bool x_labels_vertical = false;
  };
  Layout layout() const;
  // Cell boundaries in pixels for the visible window (size n + 1).
  std::vector<int> column_edges(const QRect& cells) const;
  std::vector<int> row_edges(const QRect& cells) const;
  bool cell_at(const QPoint& pos, int* row, int* column) const;
  float value(int row, int column) const { return plot().at(row, column); }

  void paint_cells(QPainter& painter, const QRect& cells) const;
  void paint_axes(QPainter& painter, const Layout& layout) const;
  void paint_cell_text(QPainter& painter, const QRect& cells) const;
  void paint_color_bar(QPainter& painter, const QRect& bar) const;
  ColorScale bar_scale() const;
  std::vector<std::pair<double, QString>> bar_ticks() const;  // (position on the bar, text)
  void refit();
  void zoom_by(double factor, double fx, double fy);
  void show_cell(int row, int column);  // scrolls the window to a cell
  QString label(const Axis& axis, int i) const;
  void clamp_window();

  int rows_ = 0, columns_ = 0;
  ColorScale given_scale_;  // the one the view was made with (shared with other views)
  ColorScale scale_;
  std::vector<ColorScale> row_scales_;  // per_row only
  ScaleOptions options_;
  int label_width_x_ = 0, label_width_y_ = 0;  // widest label of each axis
  int current_row_ = -1, current_column_ = -1, anchor_row_ = -1, anchor_column_ = -1;
  QPoint menu_cell_{-1, -1};
  // The visible window of cells: rows [row0_, row1_), columns [col0_, col1_).
  int row0_ = 0, row1_ = 0, col0_ = 0, col1_ = 0;
  QPoint drag_start_;
  int drag_row0_ = 0, drag_col0_ = 0;
  bool dragging_ = false, dragged_ = false;
};

}  // namespace glassbox::views
