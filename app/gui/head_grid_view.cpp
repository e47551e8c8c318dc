#include "app/gui/head_grid_view.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QMouseEvent>

namespace glassbox::gui {

namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

HeadGridView::HeadGridView(const Plot& plot, QWidget* parent) : HeatmapView(plot, parent) {
  connect(this, &HeatmapView::cell_clicked, this, [this](int row, int column) {
    if (ctrl_click_) emit ablate_requested(head_at(row, column));
  });
}

bool HeadGridView::shows_heads(const Plot& plot) {
  return plot.kind == "heatmap" && plot.shape.size() == 2 && starts_with(plot.y_label, "layer") &&
         starts_with(plot.x_label, "head") && plot.y.values.size() == size_t(plot.shape[0]) &&
         plot.x.values.size() == size_t(plot.shape[1]);
}

probes::HeadRef HeadGridView::head_at(int row, int column) const {
  return {static_cast<int>(plot().y.values[size_t(row)]), static_cast<int>(plot().x.values[size_t(column)])};
}

std::optional<probes::HeadRef> HeadGridView::head_under(const QPoint& pos) const {
  for (int row = 0; row < rows(); ++row)
    for (int column = 0; column < columns(); ++column)
      if (cell_rect(row, column).contains(pos)) return head_at(row, column);
  return std::nullopt;
}

void HeadGridView::mouseReleaseEvent(QMouseEvent* event) {
  ctrl_click_ = event->modifiers() & Qt::ControlModifier;
  HeatmapView::mouseReleaseEvent(event);
  ctrl_click_ = false;
}

void HeadGridView::contextMenuEvent(QContextMenuEvent* event) {
  menu_head_ = head_under(event->pos());
  HeatmapView::contextMenuEvent(event);
  menu_head_.reset();
}

void HeadGridView::add_view_actions(QMenu& menu) {
  if (menu_head_) {
    const probes::HeadRef head = *menu_head_;
    menu.addAction(tr("Ablate %1").arg(QString::fromStdString(probes::head_label(head))), this,
                   [this, head] { emit ablate_requested(head); });
  }
  HeatmapView::add_view_actions(menu);
}

}  // namespace glassbox::gui
