#pragma once
// A heatmap whose rows are layers and columns heads (attention-head scores,
// head patching grids, head logit attribution): Ctrl+click on a cell, or its
// context menu's "Ablate L9H6", asks to zero-ablate that head.
#include <optional>

#include "probes/params.h"
#include "views/heatmap_view.h"

namespace glassbox::gui {

class HeadGridView : public views::HeatmapView {
  Q_OBJECT

 public:
  HeadGridView(const Plot& plot, QWidget* parent = nullptr);
  // Whether a plot is a layer × head grid: a heatmap with numeric "layer" rows and "head" columns.
  static bool shows_heads(const Plot& plot);
  // The head drawn in cell (row, column).
  probes::HeadRef head_at(int row, int column) const;

 signals:
  void ablate_requested(const probes::HeadRef& head);

 protected:
  void mouseReleaseEvent(QMouseEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  void add_view_actions(QMenu& menu) override;

 private:
  std::optional<probes::HeadRef> head_under(const QPoint& pos) const;

  bool ctrl_click_ = false;                  // the click being released held Ctrl
  std::optional<probes::HeadRef> menu_head_;  // the cell the context menu opened on
};

}  // namespace glassbox::gui
