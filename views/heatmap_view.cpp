#include "views/heatmap_view.h"

#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QImage>
#include <QKeyEvent>
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

HeatmapView::HeatmapView(PlotRef plot, QWidget* parent)
    : HeatmapView(plot, ColorScale::for_values(plot->data), parent) {}

HeatmapView::HeatmapView(PlotRef plot_ref, const ColorScale& scale, QWidget* parent)
    : PlotView(std::move(plot_ref), parent), given_scale_(scale), scale_(scale) {
  const Plot& plot = this->plot();
  if (plot.shape.size() == 2) {
    rows_ = static_cast<int>(plot.shape[0]);
    columns_ = static_cast<int>(plot.shape[1]);
  }
  // Measured once: hovering and painting a 1,000-token axis must not measure every label each time.
  const QFontMetrics fm = fontMetrics();
  for (int r = 0; r < rows_; ++r) label_width_y_ = std::max(label_width_y_, fm.horizontalAdvance(label(plot.y, r)));
  for (int c = 0; c < columns_; ++c) label_width_x_ = std::max(label_width_x_, fm.horizontalAdvance(label(plot.x, c)));
  zoom_to_fit();
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

void HeatmapView::set_scale_options(const ScaleOptions& options) {
  options_ = options;
  refit();
  update();
  emit scale_options_changed(options_);
}

void HeatmapView::refit() {
  row_scales_.clear();
  if (options_.is_default()) {
    scale_ = given_scale_;
    return;
  }
  const bool diverging = given_scale_.kind() == ColorScale::Kind::diverging;
  auto kept = [&](int r0, int r1) {
    std::vector<float> values;
    for (int r = r0; r < r1; ++r) {
      if (options_.excluded_rows.count(r)) continue;
      for (int c = 0; c < columns_; ++c)
        if (!options_.excluded_columns.count(c)) values.push_back(value(r, c));
    }
    return values;
  };
  scale_ = ColorScale::fit(kept(0, rows_), options_.clip_percentile, options_.mapping, diverging);
  if (options_.per_row)
    for (int r = 0; r < rows_; ++r)
      row_scales_.push_back(ColorScale::fit(kept(r, r + 1), options_.clip_percentile, options_.mapping, diverging));
}

QColor HeatmapView::cell_color(int row, int column) const {
  const ColorScale& scale = row_scales_.empty() ? scale_ : row_scales_[size_t(row)];
  return scale.color(value(row, column));
}

void HeatmapView::zoom_to_fit() {
  row0_ = col0_ = 0;
  row1_ = rows_;
  col1_ = columns_;
  update();
}

namespace {

// The indices [begin, end) of a token axis whose positions lie in [first, last]; false when
// the axis has no positions or none of them lie there.
bool position_range(const Axis& axis, int first, int last, int* begin, int* end) {
  *begin = -1;
  for (size_t i = 0; i < axis.positions.size(); ++i) {
    if (axis.positions[i] < first || axis.positions[i] > last) continue;
    if (*begin < 0) *begin = static_cast<int>(i);
    *end = static_cast<int>(i) + 1;
  }
  return *begin >= 0;
}

}  // namespace

void HeatmapView::focus_positions(int first, int last) {
  auto focus = [first, last](const Axis& axis, int n, int* lo, int* hi) {
    if (axis.positions.empty()) return;
    int begin = 0, end = n;
    if (first <= last && !position_range(axis, first, last, &begin, &end)) return;
    *lo = begin;
    *hi = end;
  };
  focus(plot().x, columns_, &col0_, &col1_);
  focus(plot().y, rows_, &row0_, &row1_);
  clamp_window();
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

  const int y_label_width = label_width_y_, x_label_width = label_width_x_;

  const int y_title = p.y_label.empty() ? 0 : fm.height() + 4;
  const int x_title = p.x_label.empty() ? 0 : fm.height() + 4;
  int tick_width = 0;
  for (const auto& tick : bar_ticks()) tick_width = std::max(tick_width, fm.horizontalAdvance(tick.second));
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
  QString text = QStringLiteral("%1 %2  ·  %3 %4  ·  %5 = %6")
                     .arg(named(p.y_label, "row"), axis_text(p.y, row), named(p.x_label, "column"),
                          axis_text(p.x, column), named(p.value_label, "value"), value_text(value(row, column)));
  const size_t cell = size_t(row) * size_t(columns_) + size_t(column);
  if (cell < p.cell_text.size()) text += QStringLiteral("  ·  ") + QString::fromStdString(p.cell_text[cell]);
  if (cell < p.cell_notes.size()) text += "\n" + QString::fromStdString(p.cell_notes[cell]);
  return text;
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
  paint_cell_text(painter, l.cells);
  if (current_row_ >= 0 && hasFocus()) {
    // The keyboard's selection and current cell.
    const int top = std::min(current_row_, anchor_row_), bottom = std::max(current_row_, anchor_row_);
    const int left = std::min(current_column_, anchor_column_), right = std::max(current_column_, anchor_column_);
    const QRect a = cell_rect(std::clamp(top, row0_, row1_ - 1), std::clamp(left, col0_, col1_ - 1));
    const QRect b = cell_rect(std::clamp(bottom, row0_, row1_ - 1), std::clamp(right, col0_, col1_ - 1));
    painter.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DashLine));
    if (!a.isNull() && !b.isNull()) painter.drawRect(a.united(b));
    const QRect current = cell_rect(current_row_, current_column_);
    painter.setPen(QPen(palette().color(QPalette::Highlight), 2));
    if (!current.isNull()) painter.drawRect(current);
  }
  paint_axes(painter, l);
  paint_color_bar(painter, l.color_bar);
}

void HeatmapView::paint_cells(QPainter& painter, const QRect& cells) const {
  const int n_rows = row1_ - row0_, n_columns = col1_ - col0_;
  if (static_cast<int64_t>(n_rows) * n_columns > kVectorCellLimit) {
    QImage image(n_columns, n_rows, QImage::Format_RGB32);
    for (int r = 0; r < n_rows; ++r) {
      auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
      for (int c = 0; c < n_columns; ++c) line[c] = cell_color(row0_ + r, col0_ + c).rgb();
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
      painter.fillRect(cell, cell_color(row0_ + r, col0_ + c));
      if (std::isnan(v) && cell.width() >= 8 && cell.height() >= 8) painter.fillRect(cell, hatch);
    }
  }
}

void HeatmapView::paint_cell_text(QPainter& painter, const QRect& cells) const {
  const std::vector<std::string>& text = plot().cell_text;
  if (text.empty()) return;
  QFont small = font();
  small.setPointSizeF(std::max(6.0, font().pointSizeF() * 0.85));
  const QFontMetrics fm(small);
  const auto xs = column_edges(cells);
  const auto ys = row_edges(cells);
  // Only when a cell has room for a few characters; hover shows the rest.
  if (xs[1] - xs[0] < fm.horizontalAdvance("MMM") || ys[1] - ys[0] < fm.height()) return;
  painter.save();
  painter.setFont(small);
  for (int r = row0_; r < row1_; ++r) {
    for (int c = col0_; c < col1_; ++c) {
      const size_t i = size_t(c - col0_), j = size_t(r - row0_);
      const QRect cell(QPoint(xs[i] + 2, ys[j]), QPoint(xs[i + 1] - 3, ys[j + 1] - 1));
      // Dark text on light cells, light on dark.
      const QColor fill = cell_color(r, c);
      painter.setPen(0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF() > 0.5 ? Qt::black : Qt::white);
      const QString t = QString::fromStdString(text[size_t(r) * size_t(columns_) + size_t(c)]);
      painter.drawText(cell, Qt::AlignCenter, fm.elidedText(t, Qt::ElideRight, cell.width()));
    }
  }
  painter.restore();
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

ColorScale HeatmapView::bar_scale() const {
  // Per-row scales share one bar from each row's low to its high.
  if (row_scales_.empty()) return scale_;
  return ColorScale(scale_.kind(), scale_.kind() == ColorScale::Kind::diverging ? -1 : 0, 1);
}

std::vector<std::pair<double, QString>> HeatmapView::bar_ticks() const {
  // Both ends and the middle (zero on a linear diverging map).
  if (!row_scales_.empty()) return {{0.0, tr("row low")}, {1.0, tr("row high")}};
  std::vector<std::pair<double, QString>> ticks = {{0.0, value_text(scale_.low())}, {1.0, value_text(scale_.high())}};
  if (scale_.high() > scale_.low()) {
    const double middle = scale_.value_at(0.5);
    ticks.emplace_back(0.5, value_text(std::abs(middle) < 1e-9 * (scale_.high() - scale_.low()) ? 0.0 : middle));
  }
  return ticks;
}

void HeatmapView::paint_color_bar(QPainter& painter, const QRect& bar) const {
  const QFontMetrics fm = fontMetrics();
  const ColorScale scale = bar_scale();
  for (int y = bar.top(); y <= bar.bottom(); ++y) {
    const double t = bar.height() > 1 ? double(bar.bottom() - y) / (bar.height() - 1) : 0.5;
    painter.setPen(scale.color(scale.value_at(t)));
    painter.drawLine(bar.left(), y, bar.right(), y);
  }
  painter.setPen(palette().color(QPalette::Mid));
  painter.drawRect(bar.adjusted(0, 0, -1, -1));
  painter.setPen(palette().color(QPalette::Text));

  int tick_width = 0;
  for (const auto& [t, text] : bar_ticks()) {
    const int y = bar.bottom() - static_cast<int>(std::lround(t * (bar.height() - 1)));
    tick_width = std::max(tick_width, fm.horizontalAdvance(text));
    const int text_top = std::clamp(y - fm.height() / 2, bar.top() - fm.height() / 2, bar.bottom() - fm.height() / 2);
    painter.drawText(QRect(bar.right() + 5, text_top, 200, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, text);
  }
  QString title = QString::fromStdString(plot().value_label);
  static const char* const kMappingSuffix[] = {"", " (log)", " (symmetric log)"};
  title += tr(kMappingSuffix[static_cast<int>(scale_.mapping())]);
  if (options_.clip_percentile < 100) title += tr(" (clipped at %1%)").arg(options_.clip_percentile);
  if (!title.isEmpty()) {
    painter.save();
    painter.translate(bar.right() + 8 + tick_width, bar.bottom());
    painter.rotate(-90);
    painter.drawText(QRect(0, 0, bar.height(), fm.height() + 4), Qt::AlignCenter,
                     fm.elidedText(title, Qt::ElideRight, bar.height()));
    painter.restore();
  }
}

QString HeatmapView::view_state() const {
  QString state = QString("%1,%2,%3,%4").arg(row0_).arg(row1_).arg(col0_).arg(col1_);
  if (!options_.is_default()) state += ";" + options_.to_text();
  return state;
}

void HeatmapView::restore_view_state(const QString& state) {
  const int split = static_cast<int>(state.indexOf(';'));
  if (split >= 0) set_scale_options(ScaleOptions::from_text(state.mid(split + 1)));
  const QStringList parts = state.left(split).split(',');
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
  if (!dragged_ && cell_at(event->position().toPoint(), &row, &column)) {
    set_current_cell(row, column, event->modifiers() & Qt::ShiftModifier);
    emit cell_clicked(row, column);
  }
}

void HeatmapView::mouseDoubleClickEvent(QMouseEvent*) { zoom_to_fit(); }

void HeatmapView::wheelEvent(QWheelEvent* event) {
  const int notches = event->angleDelta().y() / 120;
  const QRect cells = layout().cells;
  if (notches == 0 || rows_ == 0 || columns_ == 0 || !cells.contains(event->position().toPoint())) return;
  // Keep the cell under the mouse where it is; wheel up zooms in.
  zoom_by(std::pow(0.8, notches), (event->position().x() - cells.left()) / std::max(cells.width(), 1),
          (event->position().y() - cells.top()) / std::max(cells.height(), 1));
  event->accept();
}

void HeatmapView::zoom_by(double factor, double fx, double fy) {
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
}

void HeatmapView::leaveEvent(QEvent*) { emit hovered(QString()); }

void HeatmapView::show_cell(int row, int column) {
  const int n_rows = row1_ - row0_, n_columns = col1_ - col0_;
  if (row < row0_) row0_ = row;
  if (row >= row0_ + n_rows) row0_ = row - n_rows + 1;
  if (column < col0_) col0_ = column;
  if (column >= col0_ + n_columns) col0_ = column - n_columns + 1;
  row1_ = row0_ + n_rows;
  col1_ = col0_ + n_columns;
  clamp_window();
}

void HeatmapView::set_current_cell(int row, int column, bool extend) {
  if (rows_ == 0 || columns_ == 0) return;
  current_row_ = std::clamp(row, 0, rows_ - 1);
  current_column_ = std::clamp(column, 0, columns_ - 1);
  if (!extend || anchor_row_ < 0) {
    anchor_row_ = current_row_;
    anchor_column_ = current_column_;
  }
  show_cell(current_row_, current_column_);
  emit hovered(describe_cell(current_row_, current_column_));
  update();
}

QString HeatmapView::selection_tsv() const {
  if (current_row_ < 0) return plot_tsv(plot(), row0_, row1_, col0_, col1_);  // nothing selected: the visible window
  return plot_tsv(plot(), std::min(current_row_, anchor_row_), std::max(current_row_, anchor_row_) + 1,
                  std::min(current_column_, anchor_column_), std::max(current_column_, anchor_column_) + 1);
}

void HeatmapView::keyPressEvent(QKeyEvent* event) {
  const bool extend = event->modifiers() & Qt::ShiftModifier;
  const int row = std::max(current_row_, 0), column = std::max(current_column_, 0);
  const int page = std::max(1, row1_ - row0_ - 1);
  switch (event->key()) {
    case Qt::Key_Left: return set_current_cell(row, column - 1, extend);
    case Qt::Key_Right: return set_current_cell(row, current_column_ < 0 ? 0 : column + 1, extend);
    case Qt::Key_Up: return set_current_cell(row - 1, column, extend);
    case Qt::Key_Down: return set_current_cell(current_row_ < 0 ? 0 : row + 1, column, extend);
    case Qt::Key_PageUp: return set_current_cell(row - page, column, extend);
    case Qt::Key_PageDown: return set_current_cell(row + page, column, extend);
    case Qt::Key_Home: return set_current_cell(row, 0, extend);
    case Qt::Key_End: return set_current_cell(row, columns_ - 1, extend);
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space:
      if (current_row_ >= 0) emit cell_clicked(current_row_, current_column_);
      return;
    case Qt::Key_Plus:
    case Qt::Key_Equal: return zoom_by(0.8, 0.5, 0.5);
    case Qt::Key_Minus: return zoom_by(1.25, 0.5, 0.5);
    case Qt::Key_0: return zoom_to_fit();
    default: break;
  }
  if (event->matches(QKeySequence::Copy)) {
    QApplication::clipboard()->setText(selection_tsv());
    return;
  }
  PlotView::keyPressEvent(event);
}

void HeatmapView::contextMenuEvent(QContextMenuEvent* event) {
  int row = 0, column = 0;
  menu_cell_ = cell_at(event->pos(), &row, &column) ? QPoint(column, row) : QPoint(-1, -1);
  PlotView::contextMenuEvent(event);
  menu_cell_ = QPoint(-1, -1);
}

void HeatmapView::add_view_actions(QMenu& menu) {
  menu.addAction(tr("Zoom to fit"), this, &HeatmapView::zoom_to_fit);
  QMenu* scale = menu.addMenu(tr("Colour scale"));
  // Each entry changes a copy of the options and applies it.
  auto edit = [this](auto change) {
    return [this, change] {
      ScaleOptions o = options_;
      change(o);
      set_scale_options(o);
    };
  };
  auto choice = [&](QActionGroup* group, const QString& text, bool checked, auto change) {
    QAction* action = scale->addAction(text, this, edit(change));
    action->setCheckable(true);
    action->setChecked(checked);
    if (group) group->addAction(action);
  };
  auto* mappings = new QActionGroup(scale);
  const std::pair<QString, ScaleOptions::Mapping> kinds[] = {{tr("Linear"), ScaleOptions::Mapping::linear},
                                                             {tr("Logarithmic"), ScaleOptions::Mapping::log},
                                                             {tr("Symmetric log"), ScaleOptions::Mapping::symlog}};
  for (const auto& [name, mapping] : kinds)
    choice(mappings, name, options_.mapping == mapping, [m = mapping](ScaleOptions& o) { o.mapping = m; });
  scale->addSeparator();
  auto* clips = new QActionGroup(scale);
  for (double p : {100.0, 99.5, 99.0, 95.0})
    choice(clips, p >= 100 ? tr("Full range") : tr("Clip at the %1th percentile").arg(p), options_.clip_percentile == p,
           [p](ScaleOptions& o) { o.clip_percentile = p; });
  scale->addSeparator();
  choice(nullptr, tr("Normalise each row"), options_.per_row, [](ScaleOptions& o) { o.per_row = !o.per_row; });
  if (menu_cell_.x() >= 0) {
    const int row = menu_cell_.y(), column = menu_cell_.x();
    scale->addSeparator();
    scale->addAction(tr("Leave column %1 out of the scale").arg(axis_text(plot().x, column)), this,
                     edit([column](ScaleOptions& o) { o.excluded_columns.insert(column); }));
    scale->addAction(tr("Leave row %1 out of the scale").arg(axis_text(plot().y, row)), this,
                     edit([row](ScaleOptions& o) { o.excluded_rows.insert(row); }));
  }
  if (!options_.excluded_rows.empty() || !options_.excluded_columns.empty())
    scale->addAction(tr("Put every row and column back"), this, edit([](ScaleOptions& o) {
                       o.excluded_rows.clear();
                       o.excluded_columns.clear();
                     }));
  scale->addSeparator();
  scale->addAction(tr("Reset"), this, [this] { set_scale_options({}); });
}

}  // namespace glassbox::views
