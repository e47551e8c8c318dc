#include "views/plot_view.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QInputDialog>
#include <QMenu>
#include <QMessageBox>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSettings>
#include <QSvgGenerator>
#include <cmath>

#include "core/error.h"
#include "core/h5.h"
#include "views/chart_view.h"
#include "views/folders.h"
#include "views/heatmap_view.h"
#include "views/table_view.h"

namespace glassbox::views {

PlotView::PlotView(PlotRef plot, QWidget* parent) : QWidget(parent), plot_(std::move(plot)) {}

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
  menu.addAction(tr("Copy values"), this, [this] { QApplication::clipboard()->setText(values_tsv()); });
  menu.addAction(tr("Copy image"), this, [this] { QApplication::clipboard()->setImage(render_image(*this, 2)); });
  menu.addSeparator();
  menu.addAction(tr("Export HDF5…"), this, [this] { export_with_dialog("h5"); });
  menu.addAction(tr("Export PNG…"), this, [this] { export_with_dialog("png"); });
  menu.addAction(tr("Export SVG…"), this, [this] { export_with_dialog("svg"); });
  menu.addAction(tr("Export PDF…"), this, [this] { export_with_dialog("pdf"); });
  menu.exec(global_pos);
}

QString PlotView::values_tsv() const {
  const int rows = plot().shape.size() == 2 ? static_cast<int>(plot().shape[0]) : 1;
  const int columns = plot().shape.empty() ? 0 : static_cast<int>(plot().shape.back());
  return plot_tsv(plot(), 0, rows, 0, columns);
}

void PlotView::export_with_dialog(const QString& format) {
  const QString filter = format == "h5" ? tr("HDF5 (*.h5 *.hdf5)") : format.toUpper() + " (*." + format + ")";
  // The folder of the last export, across plots and runs of the app.
  QSettings settings;
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export plot"), remembered_path("export", QString::fromStdString(plot().name) + "." + format, QDir::homePath()),
      filter);
  if (path.isEmpty()) return;
  remember_folder("export", path);
  double scale = 2;
  if (format == "png") {
    bool ok = false;
    scale = QInputDialog::getDouble(this, tr("Export PNG"), tr("Scale (pixels per point on screen):"),
                                    settings.value("export/png_scale", 2.0).toDouble(), 0.5, 8, 1, &ok);
    if (!ok) return;
    settings.setValue("export/png_scale", scale);
  }
  try {
    if (format == "h5")
      export_hdf5(path, {plot()}, meta_);
    else if (format == "png")
      export_png(*this, path, scale);
    else if (format == "pdf")
      export_pdf(*this, path, QString::fromStdString(plot().title));
    else
      export_svg(*this, path, QString::fromStdString(plot().title));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromStdString(e.what()));
  }
}

namespace {
constexpr int64_t kMaxBars = 240;
}

PlotView* make_plot_view(PlotRef plot, QWidget* parent) {
  const std::string& kind = plot->kind;
  if (kind == "heatmap") return new HeatmapView(std::move(plot), parent);
  if (kind == "line" || kind == "histogram") return new LineChartView(std::move(plot), parent);
  // Hundreds of bars are each under a pixel wide: a line shows them.
  if (kind == "bar")
    return plot->shape.back() * (plot->shape.size() == 2 ? plot->shape[0] : 1) > kMaxBars
               ? static_cast<PlotView*>(new LineChartView(std::move(plot), parent))
               : new BarChartView(std::move(plot), parent);
  if (kind == "table") return new TableView(std::move(plot), parent);
  fail("plot '" + plot->name + "'", "no view for kind '" + kind + "'");
}

void export_hdf5(const QString& path, const std::vector<Plot>& plots, const PlotMeta& meta) {
  h5::Writer file(path.toStdString());
  write_plots(file, plots, meta);
  file.commit();
}

QImage render_image(QWidget& widget, double scale) {
  QImage image(widget.size() * scale, QImage::Format_ARGB32);
  image.setDevicePixelRatio(scale);
  image.fill(Qt::white);
  QPainter painter(&image);
  widget.render(&painter);
  return image;
}

void export_png(QWidget& widget, const QString& path, double scale) {
  if (!render_image(widget, scale).save(path, "PNG")) fail(path.toStdString(), "cannot write the PNG file");
}

void export_pdf(QWidget& widget, const QString& path, const QString& title) {
  {
    QPdfWriter pdf(path);
    pdf.setTitle(title);
    pdf.setCreator(QStringLiteral("Glassbox"));
    pdf.setResolution(72);  // one point per pixel of the view
    pdf.setPageSize(QPageSize(QSizeF(widget.size()), QPageSize::Point));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    QPainter painter;
    if (!painter.begin(&pdf)) fail(path.toStdString(), "cannot write the PDF file");
    widget.render(&painter);
  }
  if (QFileInfo(path).size() == 0) fail(path.toStdString(), "cannot write the PDF file");
}

QString plot_tsv(const Plot& plot, int row0, int row1, int col0, int col1) {
  const bool two_d = plot.shape.size() == 2;
  const bool series_rows = two_d && !plot.series.empty();
  auto clean = [](QString text) { return text.replace('\t', ' ').replace('\n', ' '); };
  QStringList header = {QString()};
  for (int c = col0; c < col1; ++c) header << clean(axis_text(plot.x, c));
  QStringList lines = {header.join('\t')};
  const int64_t columns = plot.shape.empty() ? 0 : plot.shape.back();
  for (int r = row0; r < row1; ++r) {
    QString name = series_rows ? QString::fromStdString(plot.series[size_t(r)])
                   : two_d     ? axis_text(plot.y, r)
                               : QString::fromStdString(plot.value_label.empty() ? plot.y_label : plot.value_label);
    QStringList line = {clean(name)};
    for (int c = col0; c < col1; ++c) {
      const float v = plot.data[size_t(r * columns + c)];
      line << (std::isnan(v) ? QStringLiteral("NaN") : QString::number(v, 'g', 9));  // float32 exactly
    }
    lines << line.join('\t');
  }
  return lines.join('\n') + '\n';
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
