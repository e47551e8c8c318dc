#include "app/gui/analysis_tab.h"

#include <QComboBox>
#include <QGraphicsOpacityEffect>
#include <QGridLayout>
#include <QLabel>
#include <QMenu>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "views/compare_view.h"
#include "views/heatmap_view.h"
#include "views/plot_view.h"

namespace glassbox::gui {

namespace {
constexpr size_t kMaxPlotsSideBySide = 4;  // more plots get a selector
constexpr int kMinPlotHeight = 250;        // room for a chart's title, ticks and axis titles
}

AnalysisTab::AnalysisTab(const probes::Analysis& analysis, QWidget* parent)
    : QWidget(parent),
      analysis_(analysis),
      status_(new QLabel(this)),
      history_(new QComboBox(this)),
      compare_(new QToolButton(this)),
      results_(new QWidget(this)) {
  auto* description = new QLabel(QString::fromStdString(analysis.description), this);
  description->setWordWrap(true);
  description->setTextFormat(Qt::PlainText);
  status_->setTextFormat(Qt::PlainText);
  status_->setStyleSheet("color: palette(dark);");
  history_->setToolTip(tr("Every run of this analysis in the session; choose one to see its result"));
  history_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  compare_->setText(tr("Compare with…"));
  compare_->setToolTip(tr("Show another run beside the one shown, with their difference"));
  compare_->setPopupMode(QToolButton::InstantPopup);
  compare_->setMenu(new QMenu(compare_));
  connect(history_, qOverload<int>(&QComboBox::activated), this, &AnalysisTab::history_chosen);

  auto* header = new QHBoxLayout;
  header->addWidget(description, 1);
  header->addWidget(status_);
  header->addWidget(history_);
  header->addWidget(compare_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addLayout(header);
  layout->addWidget(results_, 1);
  new QVBoxLayout(results_);
  results_->layout()->setContentsMargins(0, 0, 0, 0);
  set_history({}, -1);
  show_message(tr("Not computed yet."));
}

void AnalysisTab::show_status(const QString& text) { status_->setText(text); }

void AnalysisTab::set_computing(bool computing) {
  computing_ = computing;
  if (!computing) {
    results_->setGraphicsEffect(nullptr);
    return;
  }
  auto* grey = new QGraphicsOpacityEffect(results_);
  grey->setOpacity(0.4);
  results_->setGraphicsEffect(grey);  // takes ownership
}

void AnalysisTab::set_history(const QStringList& runs, int shown) {
  const QSignalBlocker block(history_);
  history_->clear();
  history_->addItems(runs);
  history_->setCurrentIndex(shown);
  history_->setVisible(!runs.isEmpty());
  QMenu* menu = compare_->menu();
  menu->clear();
  for (int i = 0; i < runs.size(); ++i)
    if (i != shown) menu->addAction(runs[i], this, [this, i] { emit compare_chosen(i); });
  compare_->setVisible(runs.size() > 1);
}

views::PlotView* AnalysisTab::add_view(const Plot& plot, QWidget* parent) {
  views::PlotView* view = nullptr;
  if (HeadGridView::shows_heads(plot)) {
    auto* grid = new HeadGridView(plots_.share(plot), head_links_, parent);
    connect(grid, &HeadGridView::ablate_requested, this, &AnalysisTab::ablate_head_requested);
    connect(grid, &HeadGridView::link_requested, this, [this](const probes::HeadRef& head, const HeadLink& link) {
      // Attention heads holds every pattern: show it here rather than in the Attention tab.
      if (pattern_host_ && link.analysis == "attention-pattern")
        show_linked_head(head);
      else
        emit head_link_requested(head, link);
    });
    view = grid;
  } else {
    view = views::make_plot_view(plots_.share(plot), parent);
  }
  if (auto* heatmap = qobject_cast<views::HeatmapView*>(view)) {
    const auto kept = scale_options_.find(plot.name);
    if (kept != scale_options_.end()) heatmap->set_scale_options(kept->second);
    connect(heatmap, &views::HeatmapView::scale_options_changed, this,
            [this, name = plot.name](const views::ScaleOptions& options) { scale_options_[name] = options; });
  }
  view->set_meta(meta_);
  if (span_first_ <= span_last_) view->focus_positions(span_first_, span_last_);
  connect(view, &views::PlotView::hovered, this, &AnalysisTab::hovered);
  return view;
}

void AnalysisTab::focus_positions(int first, int last) {
  span_first_ = first;
  span_last_ = last;
  for (views::PlotView* view : results_->findChildren<views::PlotView*>()) view->focus_positions(first, last);
}

void AnalysisTab::set_content(QWidget* content) {
  set_computing(false);
  if (content_ && content_->isAncestorOf(pattern_host_)) pattern_host_ = scored_host_ = nullptr;
  delete content_;  // leaves the layout with it
  content_ = content;
  results_->layout()->addWidget(content_);
}

void AnalysisTab::show_message(const QString& message) {
  plots_ = SharedPlots();
  comparing_ = false;
  plot_selector_ = nullptr;
  auto* label = new QLabel(message, results_);
  label->setAlignment(Qt::AlignCenter);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  set_content(label);
}

QWidget* AnalysisTab::arrange(const std::vector<std::pair<QString, QWidget*>>& pages, size_t side_by_side) {
  plot_selector_ = nullptr;
  if (pages.size() == 1) return pages.front().second;
  if (pages.size() == 2 && side_by_side >= 2) {
    auto* splitter = new QSplitter(Qt::Horizontal, results_);
    for (const auto& page : pages) splitter->addWidget(page.second);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    return splitter;
  }
  auto* content = new QWidget(results_);
  if (pages.size() <= side_by_side) {
    // Two rows of plots scroll rather than shrink below what their axes need (a 720-pixel-high window).
    auto* scroll = new QScrollArea(results_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* grid = new QGridLayout(content);
    grid->setContentsMargins(0, 0, 0, 0);
    for (size_t i = 0; i < pages.size(); ++i) {
      pages[i].second->setMinimumHeight(kMinPlotHeight);
      grid->addWidget(pages[i].second, int(i / 2), int(i % 2));
    }
    scroll->setWidget(content);
    return scroll;
  }
  plot_selector_ = new QComboBox(content);
  auto* stack = new QStackedWidget(content);
  for (const auto& [title, page] : pages) {
    plot_selector_->addItem(title);
    stack->addWidget(page);
  }
  connect(plot_selector_, qOverload<int>(&QComboBox::currentIndexChanged), stack, &QStackedWidget::setCurrentIndex);
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Plot:"), content));
  row->addWidget(plot_selector_, 1);
  auto* column = new QVBoxLayout(content);
  column->setContentsMargins(0, 0, 0, 0);
  column->addLayout(row);
  column->addWidget(stack, 1);
  return content;
}

QWidget* AnalysisTab::arrange_head_patterns() {
  std::vector<const Plot*> grids, others;
  bool patterns = false, scored = false;
  for (const Plot& plot : plots_) {
    if (HeadGridView::is_layer_head_grid(plot))
      grids.push_back(&plot);
    else if (plot.name.rfind("pattern_", 0) == 0)
      patterns = true;
    else if (plot.name.rfind("scored_pattern_", 0) == 0)
      scored = true;
    else
      others.push_back(&plot);
  }
  if (grids.empty() || !patterns) return nullptr;
  auto* splitter = new QSplitter(Qt::Horizontal, results_);
  auto* column = new QWidget(splitter);
  auto* column_layout = new QVBoxLayout(column);
  column_layout->setContentsMargins(0, 0, 0, 0);
  for (const Plot* grid : grids) column_layout->addWidget(add_view(*grid, column), 1);
  auto* right = new QTabWidget(splitter);
  auto host = [right](const QString& title) {
    auto* widget = new QWidget(right);
    new QVBoxLayout(widget);
    widget->layout()->setContentsMargins(0, 0, 0, 0);
    right->addTab(widget, title);
    return widget;
  };
  pattern_host_ = host(tr("Chosen head"));
  scored_host_ = scored ? host(tr("Chosen head on the scored sequence")) : nullptr;
  for (const Plot* other : others)
    right->addTab(add_view(*other, right), QString::fromStdString(other->title.empty() ? other->name : other->title));
  splitter->addWidget(column);
  splitter->addWidget(right);
  splitter->setStretchFactor(0, 2);
  splitter->setStretchFactor(1, 3);
  return splitter;
}

bool AnalysisTab::show_linked_head(const probes::HeadRef& head) {
  if (!pattern_host_) return false;
  auto show_in = [&](QWidget* host, const std::string& name) {
    const auto plot = std::find_if(plots_.begin(), plots_.end(), [&](const Plot& p) { return p.name == name; });
    if (!host || plot == plots_.end()) return false;
    for (QWidget* old : host->findChildren<QWidget*>(QString(), Qt::FindDirectChildrenOnly)) delete old;
    views::PlotView* view = add_view(*plot, host);
    host->layout()->addWidget(view);
    if (host->isVisible()) view->show();  // at once, not when the event loop gets to it
    return true;
  };
  if (!show_in(pattern_host_, "pattern_" + probes::head_label(head))) return false;
  show_in(scored_host_, "scored_pattern_" + probes::head_label(head));
  linked_head_ = head;
  // Show the chosen head, unless one of its patterns is already in front.
  auto* tabs = qobject_cast<QTabWidget*>(pattern_host_->parentWidget()->parentWidget());
  if (tabs && tabs->currentWidget() != pattern_host_ && tabs->currentWidget() != scored_host_) tabs->setCurrentIndex(0);
  return true;
}

void AnalysisTab::show_results(SharedPlots plots, const PlotMeta& meta) {
  const int selected = selected_plot();
  plots_ = std::move(plots);
  meta_ = meta;
  comparing_ = false;
  if (plots_.empty()) {
    show_message(tr("The analysis returned no plots."));
    return;
  }
  if (QWidget* linked = arrange_head_patterns()) {
    // Keep the head that was chosen, else start at the first grid's highest score.
    plot_selector_ = nullptr;
    set_content(linked);
    if (!linked_head_ || !show_linked_head(*linked_head_)) {
      const Plot* first = nullptr;
      for (const Plot& p : plots_)
        if (!first && HeadGridView::is_layer_head_grid(p)) first = &p;
      size_t best = 0;
      for (size_t i = 0; i < first->data.size(); ++i)
        if (!(first->data[i] <= first->data[best])) best = i;
      const int64_t heads = first->shape[1];
      show_linked_head({static_cast<int>(first->y.values[best / heads]), static_cast<int>(first->x.values[best % heads])});
    }
    return;
  }
  std::vector<std::pair<QString, QWidget*>> pages;
  for (const Plot& plot : plots_)
    pages.emplace_back(QString::fromStdString(plot.title.empty() ? plot.name : plot.title), add_view(plot, results_));
  set_content(arrange(pages, kMaxPlotsSideBySide));
  select_plot(selected);
}

void AnalysisTab::show_partial_results(std::vector<Plot> plots) {
  const std::map<std::string, std::string> states = view_states();
  show_results(SharedPlots(std::move(plots)), PlotMeta{});
  restore_view_states(states);
  results_->setGraphicsEffect(nullptr);
}

void AnalysisTab::show_comparison(const std::vector<Plot>& before, const std::vector<Plot>& after,
                                  const QString& before_label, const QString& after_label,
                                  const PlotMeta& before_meta, const PlotMeta& after_meta) {
  const int selected = selected_plot();
  std::vector<std::pair<QString, QWidget*>> pages;
  for (const Plot& plot : after) {
    auto match = std::find_if(before.begin(), before.end(), [&](const Plot& p) { return p.name == plot.name; });
    if (match == before.end()) continue;
    auto* view = new views::CompareView(*match, plot, before_label, after_label, results_);
    connect(view, &views::CompareView::hovered, this, &AnalysisTab::hovered);
    if (view->run_a_view()) view->run_a_view()->set_meta(before_meta);
    for (views::PlotView* part : {view->run_b_view(), view->overlay_view(), view->difference_view()})
      if (part) part->set_meta(after_meta);
    pages.emplace_back(QString::fromStdString(plot.title.empty() ? plot.name : plot.title), view);
  }
  if (pages.empty()) {
    show_message(tr("The two runs have no plot in common."));
    return;
  }
  comparing_ = true;
  set_content(arrange(pages, 1));
  select_plot(selected);
}

std::map<std::string, std::string> AnalysisTab::view_states() const {
  std::map<std::string, std::string> states;
  if (comparing_) return states;
  for (const views::PlotView* view : results_->findChildren<views::PlotView*>())
    if (const QString state = view->view_state(); !state.isEmpty()) states[view->plot().name] = state.toStdString();
  return states;
}

void AnalysisTab::restore_view_states(const std::map<std::string, std::string>& states) {
  if (comparing_) return;
  for (views::PlotView* view : results_->findChildren<views::PlotView*>()) {
    auto it = states.find(view->plot().name);
    if (it != states.end()) view->restore_view_state(QString::fromStdString(it->second));
  }
}

int AnalysisTab::selected_plot() const { return plot_selector_ ? plot_selector_->currentIndex() : -1; }

void AnalysisTab::select_plot(int index) {
  if (plot_selector_ && index >= 0 && index < plot_selector_->count()) plot_selector_->setCurrentIndex(index);
}

}  // namespace glassbox::gui
