#pragma once
// A heatmap whose rows are layers and columns heads (attention-head scores,
// composition, head patching grids, head logit attribution). It links to the
// other views of a head: a click (or Enter) on a cell shows that head's
// attention pattern; the context menu shows it in every analysis that takes a
// head (head SVD, composition's sender, ...) and offers "Ablate L9H6", as does
// Ctrl+click.
#include <QString>
#include <optional>
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
  HeadGridView(const Plot& plot, std::vector<HeadLink> links, QWidget* parent = nullptr);
  // Whether a plot is a layer × head grid: a heatmap with numeric "layer" rows and "head" columns.
  static bool shows_heads(const Plot& plot);
  // The head drawn in cell (row, column).
  probes::HeadRef head_at(int row, int column) const;

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
