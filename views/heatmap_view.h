#pragma once
// A heatmap of a Plot of kind "heatmap" ([len(y), len(x)] data): labelled
// axes, a colour bar, NaN cells hatched grey, hover read-out, wheel zoom,
// drag to pan, double-click (or the context menu) to zoom to fit.
#include <QRect>

#include "views/color_scale.h"
#include "views/plot_view.h"

namespace glassbox::views {

class HeatmapView : public PlotView {
  Q_OBJECT

 public:
  HeatmapView(const Plot& plot, QWidget* parent = nullptr);
  // With a given colour scale, so that several heatmaps share one.
  HeatmapView(const Plot& plot, const ColorScale& scale, QWidget* parent = nullptr);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  const ColorScale& color_scale() const { return scale_; }
  // Where cell (row, column) is drawn at the current size and zoom; empty when
  // it is outside the visible window.
  QRect cell_rect(int row, int column) const;
  // The "row, column: value" read-out for a cell.
  QString describe_cell(int row, int column) const;

  // The visible window of cells, "row0,row1,column0,column1" (end exclusive).
  QString view_state() const override;
  void restore_view_state(const QString& state) override;

  QSize sizeHint() const override { return {640, 480}; }
  QSize minimumSizeHint() const override { return {240, 180}; }

 public slots:
  void zoom_to_fit();

 signals:
  void cell_clicked(int row, int column);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void add_view_actions(QMenu& menu) override;

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
  void paint_color_bar(QPainter& painter, const QRect& bar) const;
  QString label(const Axis& axis, int i) const;
  void clamp_window();

  int rows_ = 0, columns_ = 0;
  ColorScale scale_;
  // The visible window of cells: rows [row0_, row1_), columns [col0_, col1_).
  int row0_ = 0, row1_ = 0, col0_ = 0, col1_ = 0;
  QPoint drag_start_;
  int drag_row0_ = 0, drag_col0_ = 0;
  bool dragging_ = false, dragged_ = false;
};

}  // namespace glassbox::views
