#pragma once
// A heatmap of attention heads: rows layers and columns heads (attention-head
// scores, head patching grids, head logit attribution), or heads on both axes
// ("L3H2": composition's sender × receiver). It links to the other views of a
// head: a click (or Enter) on a cell shows that head's attention pattern (the
// column's, the receiver, in a head × head grid); the context menu shows each
// head of the cell in every analysis that takes a head (head SVD,
// composition's sender, ...) and offers "Ablate L9H6", as does Ctrl+click.
#include <QString>
#include <optional>
#include <utility>
#include <vector>

#include "probes/params.h"
#include "views/heatmap_view.h"

namespace glassbox::gui {

// An analysis parameter that takes one head: where a head in a grid can be shown.
struct HeadLink {
  std::string analysis;  // analysis id
  std::string param;     // its head parameter
  QString text;          // the menu entry, with %1 for the head: "Head SVD of %1"
};

class HeadGridView : public views::HeatmapView {
  Q_OBJECT

 public:
  // links: the first is what a click opens (the attention pattern).
  HeadGridView(PlotRef plot, std::vector<HeadLink> links, QWidget* parent = nullptr);
  // A layer × head grid: a heatmap with numeric "layer" rows and "head" columns.
  static bool is_layer_head_grid(const Plot& plot);
  // A head × head grid: a heatmap whose row and column labels all name heads ("L3H2").
  static bool is_head_pair_grid(const Plot& plot);
  static bool shows_heads(const Plot& plot) { return is_layer_head_grid(plot) || is_head_pair_grid(plot); }
  // The head a click on cell (row, column) shows: the cell's, or the column's in a head × head grid.
  probes::HeadRef head_at(int row, int column) const;
  // Every head of the cell with the name of its axis: one, or the row's then the column's.
  std::vector<std::pair<probes::HeadRef, QString>> heads_at(int row, int column) const;

 signals:
  void ablate_requested(const probes::HeadRef& head);
  void link_requested(const probes::HeadRef& head, const HeadLink& link);

 protected:
  void mouseReleaseEvent(QMouseEvent* event) override;
  void add_view_actions(QMenu& menu) override;

 private:
  std::vector<HeadLink> links_;
  bool ctrl_click_ = false;  // the click being released held Ctrl
};

}  // namespace glassbox::gui
