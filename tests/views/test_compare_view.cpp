// The compare view, rendered offscreen (the QApplication is the suite's, set
// up in test_views.cpp): what a user sees when two runs are put side by side.
#include "views/compare_view.h"

#include <gtest/gtest.h>

#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QImage>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <cmath>

#include "compare_fixtures.h"
#include "core/h5.h"
#include "test_util.h"
#include "views/chart_view.h"
#include "views/heatmap_view.h"
#include "views/table_view.h"

namespace glassbox::views {
namespace {

using test::attention;
using test::curves;
using test::head_heatmap;

QColor colour_at(HeatmapView& view, int row, int column) {
  view.resize(480, 360);
  return view.grab().toImage().pixelColor(view.cell_rect(row, column).center());
}

TEST(CompareView, HeatmapsShowBothRunsOnOneScaleAndTheDifferenceDiverging) {
  const Plot a = head_heatmap({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});
  const Plot b = head_heatmap({0.1f, 0.25f, 0.3f, 0.4f, 0.5f, 0.0f});
  CompareView view(a, b, "run 1", "run 2");
  EXPECT_EQ(view.findChildren<HeatmapView*>().size(), 3);
  auto* run_a = qobject_cast<HeatmapView*>(view.run_a_view());
  auto* run_b = qobject_cast<HeatmapView*>(view.run_b_view());
  auto* difference = qobject_cast<HeatmapView*>(view.difference_view());
  ASSERT_TRUE(run_a && run_b && difference);
  EXPECT_EQ(view.overlay_view(), nullptr);
  EXPECT_EQ(run_a->plot().data, a.data);
  EXPECT_EQ(run_b->plot().data, b.data);
  // One colour means one value in both runs.
  EXPECT_EQ(run_a->color_scale().low(), run_b->color_scale().low());
  EXPECT_EQ(run_a->color_scale().high(), run_b->color_scale().high());
  EXPECT_EQ(run_b->color_scale().low(), 0.0);

  const std::vector<float>& delta = difference->plot().data;
  ASSERT_EQ(delta.size(), 6u);
  EXPECT_FLOAT_EQ(delta[1], 0.05f);
  EXPECT_FLOAT_EQ(delta[5], -0.6f);
  const ColorScale& scale = difference->color_scale();
  EXPECT_EQ(scale.kind(), ColorScale::Kind::diverging);  // although every difference is >= 0 but one
  EXPECT_NEAR(scale.high(), 0.6, 1e-6);
  EXPECT_EQ(scale.low(), -scale.high());
  const QColor decreased = colour_at(*difference, 1, 2), unchanged = colour_at(*difference, 0, 0);
  EXPECT_GT(decreased.blue(), decreased.red() + 100);
  EXPECT_GT(unchanged.lightness(), 230);

  const QString header = view.summary_label()->text();
  EXPECT_TRUE(header.contains(QString::fromUtf8("max |Δ| 0.6 at layer L1 · head H2"))) << header.toStdString();
  EXPECT_TRUE(header.contains("2 of 6 cells differ")) << header.toStdString();
  EXPECT_TRUE(run_a->plot().title.find("run 1") != std::string::npos);
}

TEST(CompareView, IdenticalRunsSayIdenticalAndTheDifferenceIsWhite) {
  const Plot a = head_heatmap({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});
  CompareView view(a, a, "before", "after");
  EXPECT_TRUE(view.summary_label()->text().contains("identical")) << view.summary_label()->text().toStdString();
  auto* difference = qobject_cast<HeatmapView*>(view.difference_view());
  ASSERT_NE(difference, nullptr);
  EXPECT_GT(colour_at(*difference, 1, 1).lightness(), 230);
}

TEST(CompareView, TablesSideBySideWithTheDifferenceAsAHeatmap) {
  Plot a;
  a.name = "top_k";
  a.kind = "table";
  a.shape = {2, 2};
  a.data = {0.5f, 3.0f, 0.3f, 2.5f};
  a.y.labels = {"Paris", "Rome"};
  a.x.labels = {"probability", "logit"};
  Plot b = a;
  b.data[3] = 2.0f;
  CompareView view(a, b, "run 1", "run 2");
  EXPECT_NE(qobject_cast<TableView*>(view.run_a_view()), nullptr);
  EXPECT_NE(qobject_cast<TableView*>(view.run_b_view()), nullptr);
  auto* difference = qobject_cast<HeatmapView*>(view.difference_view());
  ASSERT_NE(difference, nullptr);
  EXPECT_FLOAT_EQ(difference->plot().at(1, 1), -0.5f);
  EXPECT_TRUE(view.summary_label()->text().contains("Rome")) << view.summary_label()->text().toStdString();
}

TEST(CompareView, LinesOverlayBothRunsWithRunADashed) {
  const Plot a = curves({1, 0.9f, 0.8f, 0.5f, 0.5f, 0.5f});
  const Plot b = curves({1, 0.9f, 0.8f, 0.5f, 0.2f, 0.5f});
  CompareView view(a, b, "seed 1", "seed 2");
  auto* overlay = qobject_cast<LineChartView*>(view.overlay_view());
  ASSERT_NE(overlay, nullptr);
  EXPECT_EQ(view.run_a_view(), nullptr);
  EXPECT_EQ(overlay->plot().series,
            (std::vector<std::string>{"seed 1: train", "seed 1: test", "seed 2: train", "seed 2: test"}));
  view.resize(800, 600);
  view.grab();  // lays the legend out
  QStringList legend;
  for (QLegendMarker* marker : overlay->chart()->legend()->markers())
    if (marker->isVisible()) legend << marker->label();
  EXPECT_EQ(legend, QStringList({"seed 1: train", "seed 1: test", "seed 2: train", "seed 2: test"}));

  QHash<QString, QPen> pens;
  for (QAbstractSeries* series : overlay->chart()->series())
    if (auto* line = qobject_cast<QLineSeries*>(series)) pens.insert(line->name(), line->pen());
  ASSERT_EQ(pens.size(), 4);
  EXPECT_EQ(pens["seed 1: test"].style(), Qt::DashLine);
  EXPECT_EQ(pens["seed 2: test"].style(), Qt::SolidLine);
  // Run A is the lighter twin of run B's series of the same name.
  EXPECT_EQ(pens["seed 1: test"].color(), pens["seed 2: test"].color().lighter(130));
  EXPECT_NE(pens["seed 2: train"].color(), pens["seed 2: test"].color());

  auto* difference = qobject_cast<LineChartView*>(view.difference_view());
  ASSERT_NE(difference, nullptr);
  EXPECT_EQ(difference->plot().series, a.series);
  EXPECT_FLOAT_EQ(difference->plot().data[4], -0.3f);
}

TEST(CompareView, BarsOverlayBothRunsAsPairedSets) {
  Plot a;
  a.name = "heads";
  a.kind = "bar";
  a.shape = {3};
  a.data = {0.1f, -0.2f, 0.7f};
  a.x.labels = {"L0H0", "L0H1", "L1H0"};
  Plot b = a;
  b.data[2] = 0.4f;
  CompareView view(a, b, "run 1", "run 2");
  auto* overlay = qobject_cast<BarChartView*>(view.overlay_view());
  ASSERT_NE(overlay, nullptr);
  auto* bars = qobject_cast<QBarSeries*>(overlay->chart()->series().front());
  ASSERT_NE(bars, nullptr);
  ASSERT_EQ(bars->count(), 2);
  EXPECT_EQ(bars->barSets()[0]->label(), "run 1");
  EXPECT_EQ(bars->barSets()[1]->label(), "run 2");
  EXPECT_EQ(bars->barSets()[0]->color(), bars->barSets()[1]->color().lighter(150));
  EXPECT_TRUE(view.summary_label()->text().contains("at L1H0")) << view.summary_label()->text().toStdString();
}

TEST(CompareView, RunsThatCannotBeComparedAreShownWithTheReason) {
  CompareView view(attention(12), attention(14), "run 1", "run 2");
  EXPECT_FALSE(view.comparison().comparable);
  EXPECT_EQ(view.summary_label()->text(),
            "run 1 and run 2 cannot be compared: the runs have 12 and 14 positions (query token)");
  ASSERT_NE(view.run_a_view(), nullptr);
  ASSERT_NE(view.run_b_view(), nullptr);
  EXPECT_EQ(view.run_a_view()->plot().shape, (std::vector<int64_t>{12, 12}));
  EXPECT_EQ(view.run_b_view()->plot().shape, (std::vector<int64_t>{14, 14}));
  EXPECT_EQ(view.difference_view(), nullptr);
  EXPECT_EQ(view.overlay_view(), nullptr);
}

TEST(CompareView, TheDifferenceExportsLikeAnyPlot) {
  CompareView view(head_heatmap({0, 0, 0, 0, 0, 0}), head_heatmap({0, 1, 0, 0, 0, 0}), "run 1", "run 2");
  ASSERT_NE(view.difference_view(), nullptr);
  test::TempDir dir;
  const std::string path = dir.file("difference.h5");
  export_hdf5(QString::fromStdString(path), {view.difference_view()->plot()}, {});
  const std::vector<Plot> back = read_plots(h5::Reader(path));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].name, "induction_difference");
  EXPECT_EQ(back[0].title, "Induction score: run 2 − run 1");
  EXPECT_EQ(back[0].data, (std::vector<float>{0, 1, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace glassbox::views
