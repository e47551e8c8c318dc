#include "app/gui/head_grid_view.h"

#include <QMenu>
#include <QMouseEvent>

namespace glassbox::gui {

namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

HeadGridView::HeadGridView(const Plot& plot, std::vector<HeadLink> links, QWidget* parent)
    : HeatmapView(plot, parent), links_(std::move(links)) {
  connect(this, &HeatmapView::cell_clicked, this, [this](int row, int column) {
    if (ctrl_click_)
      emit ablate_requested(head_at(row, column));
    else if (!links_.empty())
      emit link_requested(head_at(row, column), links_.front());
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

void HeadGridView::mouseReleaseEvent(QMouseEvent* event) {
  ctrl_click_ = event->modifiers() & Qt::ControlModifier;
  HeatmapView::mouseReleaseEvent(event);
  ctrl_click_ = false;
}

void HeadGridView::add_view_actions(QMenu& menu) {
  if (menu_cell().x() >= 0) {
    const probes::HeadRef head = head_at(menu_cell().y(), menu_cell().x());
    const QString label = QString::fromStdString(probes::head_label(head));
    for (const HeadLink& link : links_)
      menu.addAction(link.text.arg(label), this, [this, head, link] { emit link_requested(head, link); });
    menu.addAction(tr("Ablate %1").arg(label), this, [this, head] { emit ablate_requested(head); });
    menu.addSeparator();
  }
  HeatmapView::add_view_actions(menu);
}

}  // namespace glassbox::gui
