#include "app/gui/head_grid_view.h"

#include <QMenu>
#include <QMouseEvent>
#include <algorithm>
#include <cstdio>

namespace glassbox::gui {

namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// "L3H2" as a head; nothing for any other label.
std::optional<probes::HeadRef> parse_label(const std::string& label) {
  int layer = -1, head = -1, end = 0;
  if (std::sscanf(label.c_str(), "L%dH%d%n", &layer, &head, &end) != 2 || size_t(end) != label.size() || layer < 0 ||
      head < 0)
    return std::nullopt;
  return probes::HeadRef{layer, head};
}

}  // namespace

HeadGridView::HeadGridView(PlotRef plot, std::vector<HeadLink> links, QWidget* parent)
    : HeatmapView(std::move(plot), parent), links_(std::move(links)) {
  connect(this, &HeatmapView::cell_clicked, this, [this](int row, int column) {
    if (ctrl_click_)
      emit ablate_requested(head_at(row, column));
    else if (!links_.empty())
      emit link_requested(head_at(row, column), links_.front());
  });
}

bool HeadGridView::is_layer_head_grid(const Plot& plot) {
  return plot.kind == "heatmap" && plot.shape.size() == 2 && starts_with(plot.y_label, "layer") &&
         starts_with(plot.x_label, "head") && plot.y.values.size() == size_t(plot.shape[0]) &&
         plot.x.values.size() == size_t(plot.shape[1]);
}

bool HeadGridView::is_head_pair_grid(const Plot& plot) {
  auto all_heads = [](const Axis& axis, int64_t n) {
    if (axis.labels.size() != size_t(n) || n == 0) return false;
    return std::all_of(axis.labels.begin(), axis.labels.end(), [](const std::string& l) { return parse_label(l).has_value(); });
  };
  return plot.kind == "heatmap" && plot.shape.size() == 2 && all_heads(plot.y, plot.shape[0]) &&
         all_heads(plot.x, plot.shape[1]);
}

probes::HeadRef HeadGridView::head_at(int row, int column) const { return heads_at(row, column).back().first; }

std::vector<std::pair<probes::HeadRef, QString>> HeadGridView::heads_at(int row, int column) const {
  const Plot& p = plot();
  if (is_layer_head_grid(p))
    return {{{static_cast<int>(p.y.values[size_t(row)]), static_cast<int>(p.x.values[size_t(column)])}, QString()}};
  return {{*parse_label(p.y.labels[size_t(row)]), QString::fromStdString(p.y_label)},
          {*parse_label(p.x.labels[size_t(column)]), QString::fromStdString(p.x_label)}};
}

void HeadGridView::mouseReleaseEvent(QMouseEvent* event) {
  ctrl_click_ = event->modifiers() & Qt::ControlModifier;
  HeatmapView::mouseReleaseEvent(event);
  ctrl_click_ = false;
}

void HeadGridView::add_view_actions(QMenu& menu) {
  if (menu_cell().x() >= 0) {
    for (const auto& [head, axis] : heads_at(menu_cell().y(), menu_cell().x())) {
      const QString label =
          QString::fromStdString(probes::head_label(head)) + (axis.isEmpty() ? QString() : " (" + axis + ")");
      for (const HeadLink& link : links_)
        menu.addAction(link.text.arg(label), this, [this, head = head, link] { emit link_requested(head, link); });
      menu.addAction(tr("Ablate %1").arg(label), this, [this, head = head] { emit ablate_requested(head); });
      menu.addSeparator();
    }
  }
  HeatmapView::add_view_actions(menu);
}

}  // namespace glassbox::gui
