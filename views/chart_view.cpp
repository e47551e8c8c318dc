#include "views/chart_view.h"

#include <QAreaSeries>
#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QLegendMarker>
#include <QLineSeries>
#include <QSet>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace glassbox::views {

namespace {

constexpr int kMaxPointMarkers = 60;  // more points are drawn as a plain line
constexpr int kLabelGap = 28;         // pixels between two tick labels (Qt Charts elides labels that come closer)
constexpr int kMaxLabelWidth = 110;   // longer labels are elided

// Ticks on whole numbers when every x is one (layers, neurons pruned).
void integer_ticks(QValueAxis* axis, double low, double high) {
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(std::floor(low));
  axis->setTickInterval(std::max(1.0, std::ceil((high - low) / 10)));
  axis->setLabelFormat("%d");
}

// Qt Charts renders every text as HTML: a token such as "<s>" must be escaped.
QString html(const QString& text) { return text.toHtmlEscaped(); }
QString html(const std::string& text) { return html(QString::fromStdString(text)); }

// Qt's category axes drop duplicate labels; make each one distinct.
QStringList unique_labels(const QStringList& labels) {
  QStringList out;
  QSet<QString> seen;
  for (const QString& label : labels) {
    QString candidate = label;
    for (int n = 2; seen.contains(candidate); ++n) candidate = QStringLiteral("%1 (%2)").arg(label).arg(n);
    seen.insert(candidate);
    out << candidate;
  }
  return out;
}

// A value axis over the finite values, with a little room when they are all equal.
QValueAxis* value_axis(double low, double high, const QString& title) {
  auto* axis = new QValueAxis;
  if (!(low <= high)) low = 0, high = 1;
  if (low == high) low -= 0.5, high += 0.5;
  axis->setRange(low, high);
  axis->applyNiceNumbers();
  axis->setLabelFormat("%.4g");
  axis->setTitleText(html(title));
  return axis;
}

}  // namespace

ChartPlotView::ChartPlotView(PlotRef plot, QWidget* parent)
    : PlotView(std::move(plot), parent), chart_(new QChart), chart_view_(new QChartView(chart_, this)) {
  chart_->setTitle(html(this->plot().title));
  chart_->setAnimationOptions(QChart::NoAnimation);
  chart_->setMargins(QMargins(4, 4, 4, 4));
  chart_->legend()->setVisible(series_count() > 1);
  chart_->legend()->setAlignment(Qt::AlignBottom);
  chart_view_->setRenderHint(QPainter::Antialiasing);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(chart_view_);
  route_context_menu(chart_view_);
}

int ChartPlotView::series_count() const { return plot().shape.size() == 2 ? static_cast<int>(plot().shape[0]) : 1; }

QCategoryAxis* ChartPlotView::label_axis(const QStringList& labels) {
  category_axis_ = new QCategoryAxis;
  category_axis_->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  category_axis_->setRange(-0.5, std::max<double>(double(labels.size()) - 0.5, 0.5));
  QStringList elided;
  for (const QString& label : labels) elided << fontMetrics().elidedText(label, Qt::ElideRight, kMaxLabelWidth);
  labels_ = unique_labels(elided);
  connect(chart_, &QChart::plotAreaChanged, this, &ChartPlotView::relabel);
  relabel();
  return category_axis_;
}

int ChartPlotView::label_width() const {
  const QFontMetrics fm(category_axis_->labelsFont());
  int widest = 0;
  for (const QString& label : labels_) widest = std::max(widest, fm.horizontalAdvance(label));
  return widest;
}

void ChartPlotView::relabel() {
  const int n = static_cast<int>(labels_.size());
  const double available = chart_->plotArea().width() > 0 ? chart_->plotArea().width() : std::max(width(), 200) - 80;
  const int step = std::max(1, static_cast<int>(std::ceil(n * double(label_width() + kLabelGap) / std::max(available, 1.0))));
  if (step == label_step_ && !category_axis_->categoriesLabels().isEmpty()) return;
  label_step_ = step;
  for (const QString& label : category_axis_->categoriesLabels()) category_axis_->remove(label);
  for (int i = 0; i < n; i += step) category_axis_->append(html(labels_[i]), double(i));
}

QStringList ChartPlotView::x_tick_labels() const {
  if (!category_axis_) return {};
  QStringList shown;
  for (int i = 0; i < labels_.size(); i += label_step_) shown << labels_[i];
  return shown;
}

bool ChartPlotView::x_tick_labels_fit() const {
  if (!category_axis_) return true;
  // Neighbouring labels stand label_step_ categories apart, each category plotArea / n wide.
  const int n = static_cast<int>(labels_.size());
  const double spacing = label_step_ * chart_->plotArea().width() / std::max(n, 1);
  return category_axis_->labelsAngle() == 0 && (n <= label_step_ || spacing + 0.5 >= label_width() + kLabelGap);
}

QString ChartPlotView::series_name(int s) const {
  if (s < static_cast<int>(plot().series.size())) return QString::fromStdString(plot().series[size_t(s)]);
  return y_title();
}

float ChartPlotView::value(int s, int64_t i) const { return plot().data[size_t(s * point_count() + i)]; }

QString ChartPlotView::y_title() const {
  return QString::fromStdString(plot().y_label.empty() ? plot().value_label : plot().y_label);
}

void ChartPlotView::show_read_out(const QString& text) {
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(QCursor::pos(), tooltip_text(text), this);
  emit hovered(text);
}

LineChartView::LineChartView(PlotRef plot, QWidget* parent) : ChartPlotView(std::move(plot), parent) {
  if (this->plot().kind == "histogram")
    build_histogram();
  else
    build_lines();
}

double LineChartView::x_of(int64_t i) const {
  const Axis& x = plot().x;
  return i < static_cast<int64_t>(x.values.size()) ? x.values[size_t(i)] : static_cast<double>(i);
}

int64_t LineChartView::index_near(double x) const {
  int64_t best = 0;
  for (int64_t i = 1; i < point_count(); ++i)
    if (std::abs(x_of(i) - x) < std::abs(x_of(best) - x)) best = i;
  return best;
}

void LineChartView::build_lines() {
  const Plot& p = plot();
  const int64_t n = point_count();
  double low = INFINITY, high = -INFINITY;
  for (float v : p.data)
    if (std::isfinite(v)) low = std::min(low, double(v)), high = std::max(high, double(v));

  QAbstractAxis* x_axis = nullptr;
  if (!p.x.labels.empty()) {
    // Labelled positions (tokens, layers): a category axis at 0..n-1.
    QStringList labels;
    for (int64_t i = 0; i < n; ++i) labels << axis_text(p.x, i);
    x_axis = label_axis(labels);
  } else {
    auto* axis = new QValueAxis;
    double x_low = n ? x_of(0) : 0, x_high = n ? x_of(n - 1) : 1;
    if (x_low == x_high) x_low -= 0.5, x_high += 0.5;
    axis->setRange(x_low, x_high);
    bool whole = true;
    for (int64_t i = 0; i < n; ++i) whole = whole && x_of(i) == std::round(x_of(i));
    if (whole)
      integer_ticks(axis, x_low, x_high);
    else
      axis->setLabelFormat("%.4g");
    x_axis = axis;
  }
  x_axis->setTitleText(html(p.x_label));
  QValueAxis* y_axis = value_axis(low, high, y_title());
  chart()->addAxis(x_axis, Qt::AlignBottom);
  chart()->addAxis(y_axis, Qt::AlignLeft);

  for (int s = 0; s < series_count(); ++s) {
    // NaN breaks the line: each finite run is its own segment, drawn in the series' colour.
    QLineSeries* first = nullptr;
    for (int64_t i = 0; i < n;) {
      while (i < n && !std::isfinite(value(s, i))) ++i;
      if (i == n) break;
      auto* segment = new QLineSeries;
      segment->setName(html(series_name(s)));
      for (; i < n && std::isfinite(value(s, i)); ++i) segment->append(x_of(i), value(s, i));
      segment->setPointsVisible(n <= kMaxPointMarkers);
      chart()->addSeries(segment);
      segment->attachAxis(x_axis);
      segment->attachAxis(y_axis);
      if (first) {
        segment->setPen(first->pen());
        for (QLegendMarker* marker : chart()->legend()->markers(segment)) marker->setVisible(false);
      } else {
        first = segment;
      }
      connect(segment, &QLineSeries::hovered, this, [this, s](const QPointF& point, bool inside) {
        if (!inside) return show_read_out(QString());
        const int64_t i = index_near(point.x());
        show_read_out(QStringLiteral("%1  ·  %2 %3  ·  %4").arg(series_name(s), QString::fromStdString(plot().x_label),
                                                                  axis_text(plot().x, i), value_text(value(s, i))));
      });
    }
  }
}

void LineChartView::build_histogram() {
  // data: counts per bin; x: the bins' left edges. Drawn as a filled step outline.
  const Plot& p = plot();
  const int64_t n = point_count();
  auto left = [&](int64_t i) { return x_of(i); };
  auto width = [&](int64_t i) {
    if (n < 2) return 1.0;
    return i + 1 < n ? left(i + 1) - left(i) : left(i) - left(i - 1);
  };
  auto* outline = new QLineSeries;
  double high = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double count = std::isfinite(value(0, i)) ? value(0, i) : 0.0;
    high = std::max(high, count);
    outline->append(left(i), 0);
    outline->append(left(i), count);
    outline->append(left(i) + width(i), count);
    outline->append(left(i) + width(i), 0);
  }
  auto* area = new QAreaSeries(outline);
  area->setName(html(series_name(0)));
  area->setPen(QPen(QColor(0x2a, 0x5d, 0x9f), 1));
  area->setBrush(QColor(0x5b, 0x8f, 0xd0));
  chart()->addSeries(area);

  auto* x_axis = new QValueAxis;
  x_axis->setRange(n ? left(0) : 0, n ? left(n - 1) + width(n - 1) : 1);
  x_axis->setTitleText(html(p.x_label));
  QValueAxis* y_axis = value_axis(0, high, p.y_label.empty() ? QStringLiteral("count") : y_title());
  chart()->addAxis(x_axis, Qt::AlignBottom);
  chart()->addAxis(y_axis, Qt::AlignLeft);
  area->attachAxis(x_axis);
  area->attachAxis(y_axis);
  connect(area, &QAreaSeries::hovered, this, [this, left, width, n](const QPointF& point, bool inside) {
    if (!inside || n == 0) return show_read_out(QString());
    int64_t i = 0;
    while (i + 1 < n && point.x() >= left(i + 1)) ++i;
    show_read_out(QStringLiteral("[%1, %2)  ·  count %3")
                      .arg(value_text(left(i)), value_text(left(i) + width(i)), value_text(value(0, i))));
  });
}

BarChartView::BarChartView(PlotRef plot, QWidget* parent) : ChartPlotView(std::move(plot), parent) {
  const int64_t n = point_count();
  auto* bars = new QBarSeries;
  double low = 0, high = 0;  // bars grow from zero
  for (int s = 0; s < series_count(); ++s) {
    auto* set = new QBarSet(html(series_name(s)));
    for (int64_t i = 0; i < n; ++i) {
      const float v = value(s, i);
      *set << (std::isfinite(v) ? v : 0.0);  // NaN bars are empty; the read-out says NaN
      if (std::isfinite(v)) low = std::min(low, double(v)), high = std::max(high, double(v));
    }
    bars->append(set);
  }
  chart()->addSeries(bars);

  // Bars stand at 0..n-1 on a category axis, so that its labels can be thinned.
  QStringList categories;
  for (int64_t i = 0; i < n; ++i) categories << axis_text(this->plot().x, i);
  QCategoryAxis* x_axis = label_axis(categories);
  x_axis->setTitleText(html(this->plot().x_label));
  QValueAxis* y_axis = value_axis(low, high, y_title());
  chart()->addAxis(x_axis, Qt::AlignBottom);
  chart()->addAxis(y_axis, Qt::AlignLeft);
  bars->attachAxis(x_axis);
  bars->attachAxis(y_axis);
  connect(bars, &QBarSeries::hovered, this, [this](bool inside, int i, QBarSet* set) {
    if (!inside) return show_read_out(QString());
    const int s = static_cast<int>(qobject_cast<QBarSeries*>(sender())->barSets().indexOf(set));
    show_read_out(QStringLiteral("%1  ·  %2  ·  %3").arg(series_name(s), axis_text(this->plot().x, i), value_text(value(s, i))));
  });
}

}  // namespace glassbox::views
