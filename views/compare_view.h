#pragma once
// Two runs of the same analysis side by side with their difference
// (core/plot_compare.h). A header line gives the summary ("max |Δ| 0.031 at
// L3H2; 17 of 144 cells differ" or "identical") and what else differs.
// Heatmaps and tables: run A and run B side by side (heatmaps on one shared
// colour scale), the difference B − A below as a heatmap on a diverging scale
// symmetric around zero. Line, bar and histogram plots: one chart with both
// runs (A dashed and lighter, B solid), the difference below. Runs that cannot
// be compared are shown side by side with the reason. Every part is a
// PlotView, so the difference exports like any plot.
#include <QWidget>

#include "core/plot_compare.h"

class QLabel;

namespace glassbox::views {

class PlotView;

class CompareView : public QWidget {
  Q_OBJECT

 public:
  CompareView(const Plot& a, const Plot& b, const QString& label_a, const QString& label_b,
              QWidget* parent = nullptr);

  const PlotComparison& comparison() const { return comparison_; }
  // The header: the summary, then one line per note.
  QLabel* summary_label() const { return summary_; }
  // The runs drawn apart (heatmaps, tables, runs that cannot be compared);
  // null when they are overlaid.
  PlotView* run_a_view() const { return run_a_; }
  PlotView* run_b_view() const { return run_b_; }
  // Line, bar and histogram plots: both runs in one chart; null otherwise.
  PlotView* overlay_view() const { return overlay_; }
  // B − A; null when the runs cannot be compared.
  PlotView* difference_view() const { return difference_; }

  QSize sizeHint() const override { return {960, 720}; }

 signals:
  // What is under the mouse in any of the parts, as PlotView::hovered.
  void hovered(const QString& text);

 private:
  // Run A and run B in a horizontal splitter; sets run_a_ and run_b_.
  QWidget* side_by_side(const Plot& a, const Plot& b, const QString& label_a, const QString& label_b);
  PlotView* adopt(PlotView* view);

  PlotComparison comparison_;
  QLabel* summary_ = nullptr;
  PlotView* run_a_ = nullptr;
  PlotView* run_b_ = nullptr;
  PlotView* overlay_ = nullptr;
  PlotView* difference_ = nullptr;
};

}  // namespace glassbox::views
