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
  PlotView(Plot plot, QWidget* parent);

  const Plot& plot() const { return plot_; }
  const PlotMeta& meta() const { return meta_; }
  // Provenance written with HDF5 exports (probe, parameters, model).
  void set_meta(PlotMeta meta) { meta_ = std::move(meta); }

  // What the user changed in the view (a heatmap's zoom), saved with a
  // session: empty when nothing can change. Restoring ignores what it cannot use.
  virtual QString view_state() const { return {}; }
  virtual void restore_view_state(const QString&) {}

  // The context menu: view actions (subclasses) followed by the exports.
  void show_context_menu(const QPoint& global_pos);

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

  Plot plot_;
  PlotMeta meta_;
};

// The view that fits the plot's kind: HeatmapView, LineChartView (line,
// histogram), BarChartView or TableView.
PlotView* make_plot_view(const Plot& plot, QWidget* parent = nullptr);

// Exports; each throws glassbox::Error naming the file when it cannot write it.
void export_hdf5(const QString& path, const std::vector<Plot>& plots, const PlotMeta& meta);
void export_png(QWidget& widget, const QString& path);
void export_svg(QWidget& widget, const QString& path, const QString& title);

// Label text of entry i of an axis (core's axis_label: "3:␣the" on a token axis).
QString axis_text(const Axis& axis, int64_t i);
// A value as shown in read-outs and tables ("NaN" for NaN).
QString value_text(double value);
// Plain text for a tooltip, which Qt would otherwise read as HTML when it
// looks like a tag (tokens such as "<s>").
QString tooltip_text(const QString& text);

}  // namespace glassbox::views
