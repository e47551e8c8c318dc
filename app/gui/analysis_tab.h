#pragma once
// One analysis in the middle of the window: its description, its history of
// runs, a status line and the plots of the run shown (side by side for a few,
// a selector for many), or two runs compared. Plots of a layer × head grid
// beside one pattern per head (attention heads) are shown as the grids with
// the chosen head's pattern beside them. Heatmaps keep their colour-scale
// options from run to run.
#include <QWidget>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/backend.h"
#include "app/gui/head_grid_view.h"
#include "views/color_scale.h"

class QComboBox;
class QLabel;
class QStackedWidget;
class QToolButton;

namespace glassbox::views {
class PlotView;
}

namespace glassbox::gui {

class AnalysisTab : public QWidget {
  Q_OBJECT

 public:
  AnalysisTab(const probes::Analysis& analysis, QWidget* parent = nullptr);
  const probes::Analysis& analysis() const { return analysis_; }
  const std::vector<Plot>& plots() const { return plots_.get(); }
  const PlotMeta& meta() const { return meta_; }

  void show_status(const QString& text);
  // Every view with a token axis shows only prompt positions [first, last]; first > last: all.
  void focus_positions(int first, int last);
  // While a new result is computed the old one stays, greyed.
  void set_computing(bool computing);
  bool computing() const { return computing_; }
  // Where a head in this tab's layer × head grids can be shown (the first: on click).
  void set_head_links(std::vector<HeadLink> links) { head_links_ = std::move(links); }
  // Attention heads: the head whose pattern is shown beside the grids; empty when there is none.
  std::optional<probes::HeadRef> linked_head() const { return linked_head_; }
  // Shows that head's pattern beside the grids; false when this tab has no pattern of it.
  bool show_linked_head(const probes::HeadRef& head);
  void show_results(SharedPlots plots, const PlotMeta& meta);
  // The part of a result computed so far (Progress::partial): shown at once, keeping the
  // zoom and the plot chosen, and not greyed, as it is the new result arriving.
  void show_partial_results(std::vector<Plot> plots);
  // Clears the plots and shows why there are none.
  void show_message(const QString& message);
  // Run `before` and run `after`, plot by plot, with their differences
  // (which export with the provenance of `after`).
  void show_comparison(const std::vector<Plot>& before, const std::vector<Plot>& after, const QString& before_label,
                       const QString& after_label, const PlotMeta& before_meta, const PlotMeta& after_meta);
  bool comparing() const { return comparing_; }

  // The runs of this analysis, oldest first; `shown` is the one on screen.
  void set_history(const QStringList& runs, int shown);
  // The plot chosen in the selector (when there are many), as window state.
  int selected_plot() const;
  void select_plot(int index);
  // Each plot's view state (zoom) by plot name, as window state.
  std::map<std::string, std::string> view_states() const;
  void restore_view_states(const std::map<std::string, std::string>& states);

 signals:
  void hovered(const QString& text);
  void history_chosen(int run);
  void compare_chosen(int run);  // compare that run with the one shown
  // Ctrl+click or "Ablate L9H6" on a layer × head heatmap.
  void ablate_head_requested(const probes::HeadRef& head);
  // A head chosen in a grid, to be shown in another analysis.
  void head_link_requested(const probes::HeadRef& head, const HeadLink& link);

 private:
  // A view of `plot`, one of plots_, which it shares rather than copies.
  views::PlotView* add_view(const Plot& plot, QWidget* parent);
  void set_content(QWidget* content);  // replaces the plots or message shown
  // Pages side by side when few, else behind a selector.
  QWidget* arrange(const std::vector<std::pair<QString, QWidget*>>& pages, size_t side_by_side);
  // The grids with the chosen head's pattern beside them; null when the plots are not of that shape.
  QWidget* arrange_head_patterns();

  const probes::Analysis& analysis_;
  QLabel* status_;
  QComboBox* history_;
  QToolButton* compare_;
  QWidget* results_;
  QWidget* content_ = nullptr;
  QComboBox* plot_selector_ = nullptr;
  SharedPlots plots_;
  PlotMeta meta_;
  bool comparing_ = false;
  bool computing_ = false;
  std::vector<HeadLink> head_links_;
  std::map<std::string, views::ScaleOptions> scale_options_;  // by plot name
  QWidget* pattern_host_ = nullptr;  // holds the chosen head's pattern (attention heads)
  QWidget* scored_host_ = nullptr;   // ... on the sequence the scores were measured on
  std::optional<probes::HeadRef> linked_head_;
  int span_first_ = 0, span_last_ = -1;  // the prompt span the views focus on
};

}  // namespace glassbox::gui
