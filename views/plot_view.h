#pragma once
// The base of every plot widget: holds the Plot it draws and its provenance,
// and offers export (HDF5 in the plot-export layout of docs/file-formats.md#plot-export, PNG, SVG) on right-click.
#include <QWidget>
#include <vector>

#include "core/plot.h"

class QMenu;

namespace glassbox::views {

class PlotView : public QWidget {
  Q_OBJECT

 public:
  PlotView(PlotRef plot, QWidget* parent);

  const Plot& plot() const { return *plot_; }
  const PlotMeta& meta() const { return meta_; }
  // Provenance written with HDF5 exports (probe, parameters, model).
  void set_meta(PlotMeta meta) { meta_ = std::move(meta); }

  // What the user changed in the view (a heatmap's zoom), saved with a
  // session: empty when nothing can change. Restoring ignores what it cannot use.
  virtual QString view_state() const { return {}; }
  virtual void restore_view_state(const QString&) {}
  // Narrows the token axes to prompt positions [first, last] (a span chosen on the prompt's
  // chips); first > last shows every position again. Views without a token axis ignore it.
  virtual void focus_positions(int /*first*/, int /*last*/) {}

  // The context menu: view actions (subclasses), copying, then the exports.
  void show_context_menu(const QPoint& global_pos);
  // The values shown (a heatmap's selection, a table's selected cells), tab-separated with their labels.
  virtual QString values_tsv() const;

 signals:
  // A short description of what is under the mouse ("" when nothing is).
  void hovered(const QString& text);

 protected:
  virtual void add_view_actions(QMenu& menu);
  void contextMenuEvent(QContextMenuEvent* event) override;
  // Children that draw the plot send their right-clicks here.
  void route_context_menu(QWidget* child);

 private:
  void export_with_dialog(const QString& format);

  PlotRef plot_;
  PlotMeta meta_;
};

// The view that fits the plot's kind: HeatmapView, LineChartView (line,
// histogram, and bar plots of more bars than can be seen apart), BarChartView or TableView.
PlotView* make_plot_view(PlotRef plot, QWidget* parent = nullptr);

// Exports; each throws glassbox::Error naming the file when it cannot write it.
void export_hdf5(const QString& path, const std::vector<Plot>& plots, const PlotMeta& meta);
// The widget as shown, `scale` times its size in pixels (2: sharp on high-density screens and in print).
QImage render_image(QWidget& widget, double scale);
void export_png(QWidget& widget, const QString& path, double scale = 2);
void export_svg(QWidget& widget, const QString& path, const QString& title);
void export_pdf(QWidget& widget, const QString& path, const QString& title);
// Rows [row0, row1) and columns [col0, col1) of a 2-D plot (or of a line/bar plot's series)
// as tab-separated values: a header of column labels, then each row's label and values.
QString plot_tsv(const Plot& plot, int row0, int row1, int col0, int col1);

// Label text of entry i of an axis (core's axis_label: "3:␣the" on a token axis).
QString axis_text(const Axis& axis, int64_t i);
// A value as shown in read-outs and tables ("NaN" for NaN).
QString value_text(double value);
// Plain text for a tooltip, which Qt would otherwise read as HTML when it
// looks like a tag (tokens such as "<s>").
QString tooltip_text(const QString& text);

}  // namespace glassbox::views
