#include "views/heatmap_view.h"

#include <QImage>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace glassbox::views {

namespace {

constexpr int kMargin = 6;
constexpr int kMaxLabelWidth = 140;  // longer labels are elided
constexpr int kColorBarWidth = 14;
constexpr int kVectorCellLimit = 40000;  // more visible cells are drawn as one image

std::vector<int> edges(int origin, int length, int n) {
  std::vector<int> e(static_cast<size_t>(n) + 1);
  for (int i = 0; i <= n; ++i) e[static_cast<size_t>(i)] = origin + static_cast<int>(std::lround(double(length) * i / n));
  return e;
}

// Every step-th label is drawn so that labels never overlap.
int label_step(double cell_extent, int label_extent) {
  return std::max(1, static_cast<int>(std::ceil(label_extent / std::max(cell_extent, 1e-6))));
}

}  // namespace

HeatmapView::HeatmapView(const Plot& plot, QWidget* parent)
    : HeatmapView(plot, ColorScale::for_values(plot.data), parent) {}

HeatmapView::HeatmapView(const Plot& plot, const ColorScale& scale, QWidget* parent)
    : PlotView(plot, parent), scale_(scale) {
  if (plot.shape.size() == 2) {
    rows_ = static_cast<int>(plot.shape[0]);
    columns_ = static_cast<int>(plot.shape[1]);
  }
  zoom_to_fit();
  setMouseTracking(true);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void HeatmapView::zoom_to_fit() {
  row0_ = col0_ = 0;
  row1_ = rows_;
  col1_ = columns_;
  update();
}

QString HeatmapView::label(const Axis& axis, int i) const {
  return fontMetrics().elidedText(axis_text(axis, i), Qt::ElideRight, kMaxLabelWidth);
}

HeatmapView::Layout HeatmapView::layout() const {
  const QFontMetrics fm = fontMetrics();
  const Plot& p = plot();
  Layout l;
  int top = kMargin;
  if (!p.title.empty()) {
    l.title = QRect(kMargin, top, width() - 2 * kMargin, fm.height() + 4);
    top += l.title.height() + 4;
  }

  int y_label_width = 0;
  for (int r = row0_; r < row1_; ++r) y_label_width = std::max(y_label_width, fm.horizontalAdvance(label(p.y, r)));
  int x_label_width = 0;
  for (int c = col0_; c < col1_; ++c) x_label_width = std::max(x_label_width, fm.horizontalAdvance(label(p.x, c)));

  const int y_title = p.y_label.empty() ? 0 : fm.height() + 4;
  const int x_title = p.x_label.empty() ? 0 : fm.height() + 4;
  const QString low = value_text(scale_.low()), high = value_text(scale_.high());
  const int tick_width = std::max(fm.horizontalAdvance(low), fm.horizontalAdvance(high));
  const int bar_band = 10 + kColorBarWidth + 4 + tick_width + (p.value_label.empty() ? 0 : fm.height() + 6);

  l.y_label_band = y_label_width + 6;
  const int left = kMargin + y_title + l.y_label_band;
  const int right = width() - kMargin - bar_band;
  const double cell_width = double(right - left) / std::max(1, col1_ - col0_);
  l.x_labels_vertical = x_label_width + 4 > cell_width;
  l.x_label_band = (l.x_labels_vertical ? x_label_width : fm.height()) + 6;
  const int bottom = height() - kMargin - x_title - l.x_label_band;

  l.cells = QRect(QPoint(left, top), QPoint(right - 1, bottom - 1));
  const int bar_left = right + 10;
  l.color_bar = QRect(bar_left, top, kColorBarWidth, l.cells.height());
  return l;
}

std::vector<int> HeatmapView::column_edges(const QRect& cells) const {
  return edges(cells.left(), cells.width(), col1_ - col0_);
}

std::vector<int> HeatmapView::row_edges(const QRect& cells) const {
  return edges(cells.top(), cells.height(), row1_ - row0_);
}

QRect HeatmapView::cell_rect(int row, int column) const {
  if (row < row0_ || row >= row1_ || column < col0_ || column >= col1_) return {};
  const QRect cells = layout().cells;
  const auto xs = column_edges(cells);
  const auto ys = row_edges(cells);
  const size_t c = static_cast<size_t>(column - col0_), r = static_cast<size_t>(row - row0_);
  return QRect(QPoint(xs[c], ys[r]), QPoint(xs[c + 1] - 1, ys[r + 1] - 1));
}

bool HeatmapView::cell_at(const QPoint& pos, int* row, int* column) const {
  const QRect cells = layout().cells;
  if (rows_ == 0 || columns_ == 0 || !cells.contains(pos)) return false;
  const auto xs = column_edges(cells);
  const auto ys = row_edges(cells);
  *column = col0_ + static_cast<int>(std::upper_bound(xs.begin(), xs.end(), pos.x()) - xs.begin()) - 1;
  *row = row0_ + static_cast<int>(std::upper_bound(ys.begin(), ys.end(), pos.y()) - ys.begin()) - 1;
  return *row >= row0_ && *row < row1_ && *column >= col0_ && *column < col1_;
}

QString HeatmapView::describe_cell(int row, int column) const {
  const Plot& p = plot();
  auto named = [](const std::string& name, const char* fallback) {
    return name.empty() ? QString(fallback) : QString::fromStdString(name);
  };
  return QStringLiteral("%1 %2  ·  %3 %4  ·  %5 = %6")
      .arg(named(p.y_label, "row"), axis_text(p.y, row), named(p.x_label, "column"), axis_text(p.x, column),
           named(p.value_label, "value"), value_text(value(row, column)));
}

void HeatmapView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().color(QPalette::Base));
  painter.setPen(palette().color(QPalette::Text));
  const Layout l = layout();
  if (!plot().title.empty()) {
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(l.title, Qt::AlignCenter,
                     QFontMetrics(bold).elidedText(QString::fromStdString(plot().title), Qt::ElideRight,
                                                   l.title.width()));
    painter.setFont(font());
  }
  if (rows_ == 0 || columns_ == 0 || l.cells.width() < 2 || l.cells.height() < 2) {
    painter.drawText(rect(), Qt::AlignCenter, tr("no data"));
    return;
  }
  paint_cells(painter, l.cells);
  paint_axes(painter, l);
  paint_color_bar(painter, l.color_bar);
}

void HeatmapView::paint_cells(QPainter& painter, const QRect& cells) const {
  const int n_rows = row1_ - row0_, n_columns = col1_ - col0_;
  if (static_cast<int64_t>(n_rows) * n_columns > kVectorCellLimit) {
    QImage image(n_columns, n_rows, QImage::Format_RGB32);
    for (int r = 0; r < n_rows; ++r) {
      auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
      for (int c = 0; c < n_columns; ++c) line[c] = scale_.color(value(row0_ + r, col0_ + c)).rgb();
    }
    painter.drawImage(cells, image);
    return;
  }
  // Vector cells keep SVG exports sharp; NaN cells are hatched when there is room.
  const auto xs = column_edges(cells);
  const auto ys = row_edges(cells);
  const QBrush hatch(ColorScale::nan_color().darker(135), Qt::BDiagPattern);
  for (int r = 0; r < n_rows; ++r) {
    for (int c = 0; c < n_columns; ++c) {
      const QRect cell(QPoint(xs[size_t(c)], ys[size_t(r)]), QPoint(xs[size_t(c) + 1] - 1, ys[size_t(r) + 1] - 1));
      const float v = value(row0_ + r, col0_ + c);
      painter.fillRect(cell, scale_.color(v));
      if (std::isnan(v) && cell.width() >= 8 && cell.height() >= 8) painter.fillRect(cell, hatch);
    }
  }
}

void HeatmapView::paint_axes(QPainter& painter, const Layout& l) const {
  const Plot& p = plot();
  const QFontMetrics fm = fontMetrics();
  const QRect& cells = l.cells;
  painter.setPen(palette().color(QPalette::Mid));
  painter.drawRect(cells.adjusted(0, 0, 1, 1));
  painter.setPen(palette().color(QPalette::Text));

  const auto ys = row_edges(cells);
  const int y_step = label_step(double(cells.height()) / (row1_ - row0_), fm.height());
  for (int r = row0_; r < row1_; r += y_step) {
    const size_t i = size_t(r - row0_);
    const QRect band(cells.left() - l.y_label_band, ys[i], l.y_label_band - 6, ys[i + 1] - ys[i]);
    painter.drawText(band.adjusted(0, -fm.height(), 0, fm.height()), Qt::AlignRight | Qt::AlignVCenter, label(p.y, r));
  }

  const auto xs = column_edges(cells);
  const double cell_width = double(cells.width()) / (col1_ - col0_);
  const int x_step = l.x_labels_vertical ? label_step(cell_width, fm.height()) : 1;
  for (int c = col0_; c < col1_; c += x_step) {
    const size_t i = size_t(c - col0_);
    const int centre = (xs[i] + xs[i + 1]) / 2;
    const QString text = label(p.x, c);
    if (l.x_labels_vertical) {
      // Read bottom-up, ending at the axis.
      painter.save();
      painter.translate(centre + fm.ascent() / 2 - fm.descent(), cells.bottom());
      painter.rotate(-90);
      painter.drawText(QRect(-l.x_label_band, -fm.ascent(), l.x_label_band - 5, fm.height()),
                       Qt::AlignRight | Qt::AlignVCenter, text);
      painter.restore();
    } else {
      painter.drawText(QRect(centre - 200, cells.bottom() + 4, 400, fm.height()), Qt::AlignHCenter | Qt::AlignTop,
                       text);
    }
  }

  if (!p.x_label.empty())
    painter.drawText(QRect(cells.left(), cells.bottom() + l.x_label_band + 2, cells.width(), fm.height() + 4),
                     Qt::AlignCenter, QString::fromStdString(p.x_label));
  if (!p.y_label.empty()) {
    painter.save();
    painter.translate(kMargin, cells.bottom());
    painter.rotate(-90);
    painter.drawText(QRect(0, 0, cells.height(), fm.height() + 4), Qt::AlignCenter, QString::fromStdString(p.y_label));
    painter.restore();
  }
}

void HeatmapView::paint_color_bar(QPainter& painter, const QRect& bar) const {
  const QFontMetrics fm = fontMetrics();
  for (int y = bar.top(); y <= bar.bottom(); ++y) {
    const double t = bar.height() > 1 ? double(bar.bottom() - y) / (bar.height() - 1) : 0.5;
    painter.setPen(scale_.color(scale_.low() + t * (scale_.high() - scale_.low())));
    painter.drawLine(bar.left(), y, bar.right(), y);
  }
  painter.setPen(palette().color(QPalette::Mid));
  painter.drawRect(bar.adjusted(0, 0, -1, -1));
  painter.setPen(palette().color(QPalette::Text));

  // Ticks at both ends, and at zero on a diverging map.
  std::vector<double> ticks = {scale_.low(), scale_.high()};
  if (scale_.kind() == ColorScale::Kind::diverging) ticks.push_back(0.0);
  int tick_width = 0;
  for (double v : ticks) {
    const double t = scale_.high() > scale_.low() ? (v - scale_.low()) / (scale_.high() - scale_.low()) : 0.5;
    const int y = bar.bottom() - static_cast<int>(std::lround(t * (bar.height() - 1)));
    const QString text = value_text(v);
    tick_width = std::max(tick_width, fm.horizontalAdvance(text));
    const int text_top = std::clamp(y - fm.height() / 2, bar.top() - fm.height() / 2, bar.bottom() - fm.height() / 2);
    painter.drawText(QRect(bar.right() + 5, text_top, 200, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, text);
  }
  if (!plot().value_label.empty()) {
    painter.save();
    painter.translate(bar.right() + 8 + tick_width, bar.bottom());
    painter.rotate(-90);
    painter.drawText(QRect(0, 0, bar.height(), fm.height() + 4), Qt::AlignCenter,
                     fm.elidedText(QString::fromStdString(plot().value_label), Qt::ElideRight, bar.height()));
    painter.restore();
  }
}

QString HeatmapView::view_state() const { return QString("%1,%2,%3,%4").arg(row0_).arg(row1_).arg(col0_).arg(col1_); }

void HeatmapView::restore_view_state(const QString& state) {
  const QStringList parts = state.split(',');
  if (parts.size() != 4) return;
  int window[4];
  for (int i = 0; i < 4; ++i) {
    bool number = false;
    window[i] = parts[i].toInt(&number);
    if (!number) return;
  }
  row0_ = window[0];
  row1_ = window[1];
  col0_ = window[2];
  col1_ = window[3];
  if (row1_ <= row0_ || col1_ <= col0_) {
    zoom_to_fit();
    return;
  }
  clamp_window();
  update();
}

void HeatmapView::clamp_window() {
  const int n_rows = std::clamp(row1_ - row0_, 1, std::max(rows_, 1));
  const int n_columns = std::clamp(col1_ - col0_, 1, std::max(columns_, 1));
  row0_ = std::clamp(row0_, 0, std::max(rows_ - n_rows, 0));
  col0_ = std::clamp(col0_, 0, std::max(columns_ - n_columns, 0));
  row1_ = std::min(row0_ + n_rows, rows_);
  col1_ = std::min(col0_ + n_columns, columns_);
}

void HeatmapView::mouseMoveEvent(QMouseEvent* event) {
  if (dragging_ && (event->buttons() & Qt::LeftButton)) {
    const QRect cells = layout().cells;
    const QPoint delta = event->position().toPoint() - drag_start_;
    const int dc = static_cast<int>(std::lround(-delta.x() * double(col1_ - col0_) / std::max(cells.width(), 1)));
    const int dr = static_cast<int>(std::lround(-delta.y() * double(row1_ - row0_) / std::max(cells.height(), 1)));
    if (dc != 0 || dr != 0 || dragged_) {
      dragged_ = true;
      const int n_rows = row1_ - row0_, n_columns = col1_ - col0_;
      row0_ = drag_row0_ + dr;
      col0_ = drag_col0_ + dc;
      row1_ = row0_ + n_rows;
      col1_ = col0_ + n_columns;
      clamp_window();
      update();
    }
    return;
  }
  int row = 0, column = 0;
  if (cell_at(event->position().toPoint(), &row, &column)) {
    const QString text = describe_cell(row, column);
    QToolTip::showText(event->globalPosition().toPoint(), tooltip_text(text), this);
    emit hovered(text);
  } else {
    QToolTip::hideText();
    emit hovered(QString());
  }
}

void HeatmapView::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  dragging_ = true;
  dragged_ = false;
  drag_start_ = event->position().toPoint();
  drag_row0_ = row0_;
  drag_col0_ = col0_;
}

void HeatmapView::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  dragging_ = false;
  int row = 0, column = 0;
  if (!dragged_ && cell_at(event->position().toPoint(), &row, &column)) emit cell_clicked(row, column);
}

void HeatmapView::mouseDoubleClickEvent(QMouseEvent*) { zoom_to_fit(); }

void HeatmapView::wheelEvent(QWheelEvent* event) {
  const int notches = event->angleDelta().y() / 120;
  const QRect cells = layout().cells;
  if (notches == 0 || rows_ == 0 || columns_ == 0 || !cells.contains(event->position().toPoint())) return;
  const double factor = std::pow(0.8, notches);  // wheel up zooms in
  // Keep the cell under the mouse where it is.
  const double fx = (event->position().x() - cells.left()) / std::max(cells.width(), 1);
  const double fy = (event->position().y() - cells.top()) / std::max(cells.height(), 1);
  auto zoom = [factor](int& lo, int& hi, int n, double f) {
    const int span = hi - lo;
    int new_span = static_cast<int>(std::lround(span * factor));
    new_span = factor < 1 ? std::min(new_span, span - 1) : std::max(new_span, span + 1);  // always moves
    new_span = std::clamp(new_span, 1, n);
    const double anchor = lo + f * span;
    lo = static_cast<int>(std::lround(anchor - f * new_span));
    hi = lo + new_span;
  };
  zoom(row0_, row1_, rows_, fy);
  zoom(col0_, col1_, columns_, fx);
  clamp_window();
  update();
  event->accept();
}

void HeatmapView::leaveEvent(QEvent*) { emit hovered(QString()); }

void HeatmapView::add_view_actions(QMenu& menu) { menu.addAction(tr("Zoom to fit"), this, &HeatmapView::zoom_to_fit); }

}  // namespace glassbox::views
