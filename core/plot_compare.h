#pragma once
// Two runs of the same analysis compared plot by plot: whether they can be
// compared cell by cell, their difference as a plot of its own (exported like
// any other), and the numbers a user reads first. No torch or Qt here.
#include <cstdint>
#include <string>
#include <vector>

#include "core/plot.h"

namespace glassbox {

struct PlotComparison {
  // Same kind and shape: the difference is defined cell by cell.
  bool comparable = false;
  // Why not, when not comparable ("the runs have 12 and 14 positions (key token)").
  std::string reason;
  // What differs while the shapes agree (axis labels, series names, titles):
  // the difference is still computed, but it may pair unlike cells.
  std::vector<std::string> notes;

  // B − A with A's axes; NaN where either run is NaN. A histogram's difference
  // is a line over the bins' left edges, since differences of counts are signed.
  Plot difference;

  int64_t cells = 0;         // cells in each run
  int64_t cells_differ = 0;  // cells whose values differ (NaN in one run only counts; NaN in both does not)
  // Largest |B − A| over the cells finite in both runs, where it is, and that
  // cell's labels as the axes name them (row: the series or y label; empty for 1-D data).
  double max_abs_difference = 0;
  int64_t max_row = -1, max_column = -1;
  std::string max_row_label, max_column_label;
  // max |B − A| / max |A|: 0 when identical, infinite when A is all zero and B is not.
  double relative_change = 0;

  bool identical() const { return comparable && cells_differ == 0; }
  // One line for a header: "max |Δ| 0.031 at L3H2 (2.5% relative); 17 of 144 cells differ",
  // "identical (144 cells)", or the reason they cannot be compared.
  std::string summary() const;
};

// Compares run B against run A; name_a and name_b name the runs in the
// difference plot's title ("Attention L0H1: run 2 − run 1") and in the summary.
PlotComparison compare_plots(const Plot& a, const Plot& b, const std::string& name_a = "run 1",
                             const std::string& name_b = "run 2");

}  // namespace glassbox
