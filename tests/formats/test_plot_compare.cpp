// Comparing two runs of one analysis: the difference cell by cell, the
// summary a user reads first, and a clear refusal when the runs do not line up.
#include "core/plot_compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "compare_fixtures.h"

namespace glassbox {
namespace {

using test::attention;
using test::curves;
using test::head_heatmap;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(ComparePlots, DifferenceIsSecondRunMinusFirstWithTheFirstRunsAxes) {
  const Plot a = head_heatmap({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f});
  const Plot b = head_heatmap({0.1f, 0.25f, 0.3f, 0.4f, 0.5f, 0.0f});
  const PlotComparison c = compare_plots(a, b);
  ASSERT_TRUE(c.comparable) << c.reason;
  EXPECT_TRUE(c.notes.empty());
  const Plot& d = c.difference;
  EXPECT_EQ(d.kind, "heatmap");
  EXPECT_EQ(d.shape, a.shape);
  EXPECT_EQ(d.x.labels, a.x.labels);
  EXPECT_EQ(d.y.labels, a.y.labels);
  EXPECT_EQ(d.title, "Induction score: run 2 − run 1");
  EXPECT_EQ(d.value_label, "Δ score");
  EXPECT_NE(d.name, a.name);  // exported next to the runs without a clash
  ASSERT_EQ(d.data.size(), 6u);
  EXPECT_FLOAT_EQ(d.data[1], 0.05f);
  EXPECT_FLOAT_EQ(d.data[5], -0.6f);
  EXPECT_FLOAT_EQ(d.data[0], 0.0f);
}

TEST(ComparePlots, LargestDifferenceItsCellAndCounts) {
  const PlotComparison c = compare_plots(head_heatmap({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}),
                                         head_heatmap({0.1f, 0.25f, 0.3f, 0.4f, 0.5f, 0.0f}));
  EXPECT_NEAR(c.max_abs_difference, 0.6, 1e-6);
  EXPECT_EQ(c.max_row, 1);
  EXPECT_EQ(c.max_column, 2);
  EXPECT_EQ(c.max_row_label, "L1");
  EXPECT_EQ(c.max_column_label, "H2");
  EXPECT_EQ(c.cells, 6);
  EXPECT_EQ(c.cells_differ, 2);
  EXPECT_NEAR(c.relative_change, 1.0, 1e-6);  // 0.6 of a largest |A| of 0.6
  EXPECT_FALSE(c.identical());
  EXPECT_EQ(c.summary(), "max |Δ| 0.6 at layer L1 · head H2 (100% relative); 2 of 6 cells differ");
}

TEST(ComparePlots, NaNInEitherRunIsNaNInTheDifferenceAndNeverTheMaximum) {
  const Plot a = head_heatmap({kNaN, 1.0f, kNaN, 0.0f, 0.0f, 0.0f});
  const Plot b = head_heatmap({kNaN, kNaN, 7.0f, 0.5f, 0.0f, 0.0f});
  const PlotComparison c = compare_plots(a, b);
  ASSERT_TRUE(c.comparable);
  EXPECT_TRUE(std::isnan(c.difference.data[0]));  // NaN in both
  EXPECT_TRUE(std::isnan(c.difference.data[1]));  // NaN in B
  EXPECT_TRUE(std::isnan(c.difference.data[2]));  // NaN in A
  EXPECT_FLOAT_EQ(c.difference.data[3], 0.5f);
  EXPECT_NEAR(c.max_abs_difference, 0.5, 1e-6);
  EXPECT_EQ(c.max_row, 1);
  EXPECT_EQ(c.max_column, 0);
  // A value that appears or disappears is a difference; NaN in both is not.
  EXPECT_EQ(c.cells_differ, 3);
}

TEST(ComparePlots, IdenticalRunsSayIdentical) {
  const Plot a = head_heatmap({kNaN, 1, 2, 3, 4, 5});
  const PlotComparison c = compare_plots(a, a);
  EXPECT_TRUE(c.identical());
  EXPECT_EQ(c.cells_differ, 0);
  EXPECT_EQ(c.max_abs_difference, 0);
  EXPECT_EQ(c.relative_change, 0);
  EXPECT_EQ(c.max_row, -1);
  EXPECT_EQ(c.summary(), "identical (6 cells)");
}

TEST(ComparePlots, AllZeroFirstRunHasInfiniteRelativeChange) {
  const PlotComparison c = compare_plots(head_heatmap({0, 0, 0, 0, 0, 0}), head_heatmap({0, 0, 0, 0, 0, 2}));
  EXPECT_TRUE(std::isinf(c.relative_change));
  EXPECT_NE(c.summary().find("the first run is all zero"), std::string::npos) << c.summary();
}

TEST(ComparePlots, LineSeriesNameTheRowOfTheLargestDifference) {
  const PlotComparison c =
      compare_plots(curves({1, 0.9f, 0.8f, 0.5f, 0.5f, 0.5f}), curves({1, 0.9f, 0.8f, 0.5f, 0.2f, 0.5f}));
  ASSERT_TRUE(c.comparable);
  EXPECT_EQ(c.difference.kind, "line");
  EXPECT_EQ(c.difference.series, (std::vector<std::string>{"train", "test"}));
  EXPECT_EQ(c.difference.y_label, "Δ accuracy");
  EXPECT_EQ(c.max_row_label, "test");
  EXPECT_EQ(c.max_column_label, "10");
  // Relative to the largest |value| of the first run, 1.
  EXPECT_EQ(c.summary(), "max |Δ| 0.3 at test · neurons pruned 10 (30% relative); 1 of 6 values differ");
}

TEST(ComparePlots, HistogramDifferenceIsASignedLineOverTheBins) {
  Plot a;
  a.name = "ipr";
  a.kind = "histogram";
  a.shape = {3};
  a.data = {3, 7, 2};
  a.x.values = {0.0, 0.25, 0.5};
  Plot b = a;
  b.data = {4, 5, 2};
  const PlotComparison c = compare_plots(a, b, "before", "after");
  ASSERT_TRUE(c.comparable);
  EXPECT_EQ(c.difference.kind, "line");
  EXPECT_EQ(c.difference.x.values, a.x.values);
  EXPECT_EQ(c.difference.y_label, "Δ count");
  EXPECT_EQ(c.difference.title, "ipr: after − before");
  EXPECT_EQ(c.difference.data, (std::vector<float>{1, -2, 0}));
}

TEST(ComparePlots, DifferentKindsAreRefused) {
  Plot line = curves({1, 2, 3, 4, 5, 6});
  line.shape = {6};
  line.series.clear();
  line.x.values = {0, 1, 2, 3, 4, 5};
  const PlotComparison c = compare_plots(head_heatmap({1, 2, 3, 4, 5, 6}), line);
  EXPECT_FALSE(c.comparable);
  EXPECT_EQ(c.reason, "the runs are of different kinds: heatmap and line");
  EXPECT_EQ(c.summary(), c.reason);
  EXPECT_TRUE(c.difference.data.empty());
}

TEST(ComparePlots, PromptsOfDifferentLengthsAreRefusedNamingThePositions) {
  const PlotComparison c = compare_plots(attention(12), attention(14));
  EXPECT_FALSE(c.comparable);
  EXPECT_EQ(c.reason, "the runs have 12 and 14 positions (query token)");
}

TEST(ComparePlots, DifferentNumbersOfSeriesOrPointsAreRefused) {
  Plot one_series = curves({1, 2, 3, 4, 5, 6});
  one_series.shape = {3};
  one_series.data.resize(3);
  one_series.series.clear();
  EXPECT_EQ(compare_plots(one_series, curves({1, 2, 3, 4, 5, 6})).reason, "the runs have 1 and 2 series");

  Plot longer = curves({1, 2, 3, 4, 5, 6, 7, 8});
  longer.shape = {2, 4};
  longer.x.values.push_back(30);
  EXPECT_EQ(compare_plots(curves({1, 2, 3, 4, 5, 6}), longer).reason, "the runs have 3 and 4 points (neurons pruned)");
}

TEST(ComparePlots, SameLengthButDifferentTokensIsComparedWithANote) {
  const Plot a = attention(3);
  Plot b = attention(3);
  b.x.labels[1] = " dog";
  b.y = b.x;
  const PlotComparison c = compare_plots(a, b);
  ASSERT_TRUE(c.comparable);
  ASSERT_EQ(c.notes.size(), 2u);
  EXPECT_EQ(c.notes[0], "x (key token) differs first at entry 1: '1:␣t1' in run 1, '1:␣dog' in run 2");
  EXPECT_TRUE(c.identical());  // the values themselves agree
}

}  // namespace
}  // namespace glassbox
