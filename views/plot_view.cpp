#include "views/plot_view.h"

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QSvgGenerator>
#include <cmath>

#include "core/error.h"
#include "core/h5.h"
#include "views/chart_view.h"
#include "views/heatmap_view.h"
#include "views/table_view.h"

namespace glassbox::views {

PlotView::PlotView(Plot plot, QWidget* parent) : QWidget(parent), plot_(std::move(plot)) {}

void PlotView::add_view_actions(QMenu&) {}

void PlotView::contextMenuEvent(QContextMenuEvent* event) { show_context_menu(event->globalPos()); }

void PlotView::route_context_menu(QWidget* child) {
  child->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(child, &QWidget::customContextMenuRequested, this,
          [this, child](const QPoint& pos) { show_context_menu(child->mapToGlobal(pos)); });
}

void PlotView::show_context_menu(const QPoint& global_pos) {
  QMenu menu(this);
  add_view_actions(menu);
  if (!menu.isEmpty()) menu.addSeparator();
  menu.addAction(tr("Export HDF5…"), this, [this] { export_with_dialog("h5"); });
  menu.addAction(tr("Export PNG…"), this, [this] { export_with_dialog("png"); });
  menu.addAction(tr("Export SVG…"), this, [this] { export_with_dialog("svg"); });
  menu.exec(global_pos);
}

void PlotView::export_with_dialog(const QString& format) {
  const QString filter = format == "h5" ? tr("HDF5 (*.h5 *.hdf5)") : format.toUpper() + " (*." + format + ")";
  const QString path = QFileDialog::getSaveFileName(this, tr("Export plot"),
                                                    QString::fromStdString(plot_.name) + "." + format, filter);
  if (path.isEmpty()) return;
  try {
    if (format == "h5")
      export_hdf5(path, {plot_}, meta_);
    else if (format == "png")
      export_png(*this, path);
    else
      export_svg(*this, path, QString::fromStdString(plot_.title));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromStdString(e.what()));
  }
}

PlotView* make_plot_view(const Plot& plot, QWidget* parent) {
  if (plot.kind == "heatmap") return new HeatmapView(plot, parent);
  if (plot.kind == "line" || plot.kind == "histogram") return new LineChartView(plot, parent);
  if (plot.kind == "bar") return new BarChartView(plot, parent);
  if (plot.kind == "table") return new TableView(plot, parent);
  fail("plot '" + plot.name + "'", "no view for kind '" + plot.kind + "'");
}

void export_hdf5(const QString& path, const std::vector<Plot>& plots, const PlotMeta& meta) {
  h5::Writer file(path.toStdString());
  write_plots(file, plots, meta);
  file.commit();
}

void export_png(QWidget& widget, const QString& path) {
  if (!widget.grab().save(path, "PNG")) fail(path.toStdString(), "cannot write the PNG file");
}

void export_svg(QWidget& widget, const QString& path, const QString& title) {
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(widget.size());
  svg.setViewBox(QRect(QPoint(0, 0), widget.size()));
  svg.setTitle(title);
  svg.setDescription(QStringLiteral("Glassbox plot"));
  QPainter painter;
  if (!painter.begin(&svg)) fail(path.toStdString(), "cannot write the SVG file");
  widget.render(&painter);
  painter.end();
  if (QFileInfo(path).size() == 0) fail(path.toStdString(), "cannot write the SVG file");
}

QString axis_text(const Axis& axis, int64_t i) {
  return i < 0 ? QString::number(i) : QString::fromStdString(axis_label(axis, static_cast<size_t>(i)));
}

QString tooltip_text(const QString& text) {
  return QStringLiteral("<p style='white-space:pre'>") + text.toHtmlEscaped() + QStringLiteral("</p>");
}

QString value_text(double value) {
  if (std::isnan(value)) return QStringLiteral("NaN");
  return QString::number(value, 'g', 5);
}

}  // namespace glassbox::views
