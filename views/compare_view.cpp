#include "views/compare_view.h"

#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QHash>
#include <QLabel>
#include <QLineSeries>
#include <QSplitter>
#include <QVBoxLayout>

#include "views/chart_view.h"
#include "views/heatmap_view.h"

namespace glassbox::views {

namespace {

bool grid_kind(const Plot& p) { return p.kind == "heatmap" || p.kind == "table"; }

int64_t series_count(const Plot& p) { return p.shape.size() == 2 ? p.shape.front() : 1; }

// A run titled with its label, so that its pane (and its export) says which run it shows.
Plot titled_run(const Plot& p, const QString& label) {
  Plot run = p;
  run.title = (p.title.empty() ? p.name : p.title) + " (" + label.toStdString() + ")";
  return run;
}

// Both runs as one [2 · series, x] plot, A's series first, each named
// "label: series". A histogram becomes lines over its bins' left edges, since
// two filled outlines would hide each other.
Plot overlay_plot(const Plot& a, const Plot& b, const QString& label_a, const QString& label_b) {
  Plot both = a;
  both.name = a.name + "_runs";
  if (a.kind == "histogram") {
    both.kind = "line";
    if (both.y_label.empty()) both.y_label = "count";
  }
  const int64_t series = series_count(a);
  both.shape = {2 * series, a.shape.back()};
  both.data.insert(both.data.end(), b.data.begin(), b.data.end());
  both.series.clear();
  for (const auto& [run, label] : {std::pair<const Plot&, const QString&>{a, label_a}, {b, label_b}})
    for (int64_t s = 0; s < series; ++s)
      both.series.push_back(run.series.empty() ? label.toStdString()
                                               : label.toStdString() + ": " + run.series[size_t(s)]);
  return both;
}

// Run A drawn as the lighter, dashed twin of run B's series of the same index.
void style_runs(ChartPlotView& view, int64_t series_per_run) {
  const Plot& both = view.plot();
  QChart* chart = view.chart();
  for (QAbstractSeries* series : chart->series()) {
    if (auto* bars = qobject_cast<QBarSeries*>(series)) {
      const QList<QBarSet*> sets = bars->barSets();
      for (int64_t s = 0; s < series_per_run; ++s)
        sets[int(s)]->setColor(sets[int(s + series_per_run)]->color().lighter(150));
      return;
    }
  }
  // A line series may be several segments (NaN breaks it), all named after it.
  QHash<QString, int64_t> index_of;
  for (int64_t s = 0; s < int64_t(both.series.size()); ++s)
    index_of.insert(QString::fromStdString(both.series[size_t(s)]).toHtmlEscaped(), s);
  QHash<int64_t, QColor> colour_of_b;
  QList<QLineSeries*> segments_of_a;
  for (QAbstractSeries* series : chart->series()) {
    auto* line = qobject_cast<QLineSeries*>(series);
    if (!line || !index_of.contains(line->name())) continue;
    const int64_t s = index_of.value(line->name());
    if (s < series_per_run)
      segments_of_a << line;
    else
      colour_of_b.insert(s - series_per_run, line->pen().color());
  }
  for (QLineSeries* line : segments_of_a) {
    QPen pen = line->pen();
    pen.setColor(colour_of_b.value(index_of.value(line->name()), pen.color()).lighter(130));
    pen.setStyle(Qt::DashLine);
    line->setPen(pen);
  }
}

QString header_text(const PlotComparison& c, const QString& label_a, const QString& label_b) {
  if (!c.comparable)
    return QStringLiteral("%1 and %2 cannot be compared: %3").arg(label_a, label_b, QString::fromStdString(c.reason));
  QString text = QStringLiteral("%1 − %2: %3").arg(label_b, label_a, QString::fromStdString(c.summary()));
  for (const std::string& note : c.notes) text += "\n" + QString::fromStdString(note);
  return text;
}

}  // namespace

CompareView::CompareView(const Plot& a, const Plot& b, const QString& label_a, const QString& label_b,
                         QWidget* parent)
    : QWidget(parent), comparison_(compare_plots(a, b, label_a.toStdString(), label_b.toStdString())) {
  summary_ = new QLabel(header_text(comparison_, label_a, label_b), this);
  summary_->setTextFormat(Qt::PlainText);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* panes = new QSplitter(Qt::Vertical, this);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(summary_);
  layout->addWidget(panes, 1);

  const bool grid = grid_kind(a);
  if (comparison_.comparable && !grid) {
    overlay_ = adopt(make_plot_view(overlay_plot(a, b, label_a, label_b)));
    if (auto* chart = qobject_cast<ChartPlotView*>(overlay_)) style_runs(*chart, series_count(a));
    panes->addWidget(overlay_);
  } else {
    panes->addWidget(side_by_side(a, b, label_a, label_b));
  }
  if (!comparison_.comparable) return;
  if (grid) {
    // A table's difference reads best as colours too; zero (unchanged) is white.
    Plot heat = comparison_.difference;
    heat.kind = "heatmap";
    difference_ = adopt(new HeatmapView(heat, ColorScale::diverging_for(heat.data)));
  } else {
    difference_ = adopt(make_plot_view(comparison_.difference));
  }
  panes->addWidget(difference_);
}

QWidget* CompareView::side_by_side(const Plot& a, const Plot& b, const QString& label_a, const QString& label_b) {
  auto* runs = new QSplitter(Qt::Horizontal);
  if (comparison_.comparable && a.kind == "heatmap") {
    // One scale for both runs, so that one colour means one value.
    std::vector<float> both = a.data;
    both.insert(both.end(), b.data.begin(), b.data.end());
    const ColorScale shared = ColorScale::for_values(both);
    run_a_ = new HeatmapView(titled_run(a, label_a), shared);
    run_b_ = new HeatmapView(titled_run(b, label_b), shared);
  } else {
    run_a_ = make_plot_view(titled_run(a, label_a));
    run_b_ = make_plot_view(titled_run(b, label_b));
  }
  runs->addWidget(adopt(run_a_));
  runs->addWidget(adopt(run_b_));
  return runs;
}

PlotView* CompareView::adopt(PlotView* view) {
  connect(view, &PlotView::hovered, this, &CompareView::hovered);
  return view;
}

}  // namespace glassbox::views
