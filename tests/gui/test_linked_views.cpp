// Linked views, driven as a user would (offscreen; the QApplication is
// test_sessions.cpp's): a click on a head in a layer × head grid opens its
// attention pattern (beside the grids in Attention heads, in the Attention tab
// from any other grid); the context menu's links set the analysis' head
// parameter; a hook point double-clicked in the model panel shows its
// activation; a heatmap's colour-scale options survive a rerun; a span of chips
// (Shift+click) focuses every token view on it.
#include <gtest/gtest.h>

#include <QApplication>
#include <QTest>
#include <QToolButton>
#include <algorithm>

#include "app/gui/analysis_tab.h"
#include "app/gui/head_grid_view.h"
#include "app/gui/main_window.h"
#include "app/gui/model_panel.h"
#include "app/gui/prompt_bar.h"
#include "views/heatmap_view.h"
#include "window_fixtures.h"

namespace glassbox::gui {
namespace {

using test_window::wait_for_jobs;
using test_window::window_on_toy_model;

// The visible view of a tab whose plot name starts with `prefix` (null if none).
template <typename View>
View* shown_view(AnalysisTab* tab, const std::string& prefix) {
  QApplication::processEvents();  // views added to a shown window appear on the next turn of the event loop
  for (View* view : tab->findChildren<View*>())
    if (view->isVisible() && view->plot().name.rfind(prefix, 0) == 0) return view;
  return nullptr;
}

void run_and_show(MainWindow& window, int index) {
  window.select_analysis(index);
  wait_for_jobs(window);
  if (window.run_count(index) == 0) {
    window.run_analysis(index);
    wait_for_jobs(window);
  }
}

TEST(GuiLinkedViews, AttentionHeadsShowsTheClickedHeadsPatternBesideTheGrids) {
  auto window = window_on_toy_model();
  window->resize(1400, 900);
  window->show();
  const int index = window->analysis_index("attention-heads");
  run_and_show(*window, index);
  AnalysisTab* tab = window->analysis_tab(index);
  // Three score grids on screen at once, no plot selector of 20 patterns.
  int grids = 0;
  for (HeadGridView* view : tab->findChildren<HeadGridView*>()) grids += view->isVisible();
  EXPECT_EQ(grids, 3);
  EXPECT_EQ(tab->selected_plot(), -1);
  ASSERT_TRUE(tab->linked_head().has_value()) << "a head's pattern is shown from the start";
  HeadGridView* grid = shown_view<HeadGridView>(tab, "head_induction");
  ASSERT_NE(grid, nullptr);
  QTest::mouseClick(grid, Qt::LeftButton, Qt::NoModifier, grid->cell_rect(2, 3).center());
  const probes::HeadRef clicked = grid->head_at(2, 3);
  ASSERT_TRUE(tab->linked_head().has_value());
  EXPECT_EQ(probes::head_label(*tab->linked_head()), probes::head_label(clicked));
  views::HeatmapView* pattern = shown_view<views::HeatmapView>(tab, "pattern_");
  ASSERT_NE(pattern, nullptr);
  EXPECT_EQ(pattern->plot().name, "pattern_" + probes::head_label(clicked));
  // The keyboard does the same: Enter on the current cell.
  grid->setFocus();
  grid->set_current_cell(1, 0);
  QTest::keyClick(grid, Qt::Key_Return);
  EXPECT_EQ(probes::head_label(*tab->linked_head()), probes::head_label(grid->head_at(1, 0)));
  EXPECT_TRUE(window->edits_bar() != nullptr);
}

TEST(GuiLinkedViews, AHeadInAnotherGridOpensInTheAnalysesThatTakeAHead) {
  auto window = window_on_toy_model();
  window->resize(1400, 900);
  window->show();
  const std::vector<HeadLink> links = window->head_links();
  ASSERT_GE(links.size(), 3u);
  EXPECT_EQ(links.front().analysis, "attention-pattern");
  bool svd = false, sender = false;
  for (const HeadLink& link : links) {
    svd = svd || (link.analysis == "head-svd" && link.param == "head");
    sender = sender || (link.analysis == "composition" && link.param == "sender");
  }
  EXPECT_TRUE(svd && sender);

  const int attribution = window->analysis_index("logit-attribution");
  run_and_show(*window, attribution);
  HeadGridView* grid = shown_view<HeadGridView>(window->analysis_tab(attribution), "");
  ASSERT_NE(grid, nullptr) << "logit attribution shows a layer × head grid";
  const probes::HeadRef head = grid->head_at(3, 1);
  QTest::mouseClick(grid, Qt::LeftButton, Qt::NoModifier, grid->cell_rect(3, 1).center());
  wait_for_jobs(*window);
  const int attention = window->analysis_index("attention-pattern");
  EXPECT_EQ(window->current_analysis(), attention);
  const std::vector<Plot>& plots = window->analysis_tab(attention)->plots();
  ASSERT_FALSE(plots.empty());
  EXPECT_EQ(plots.front().name, "pattern_" + probes::head_label(head));

  // A link from the menu: the head becomes head SVD's parameter and it runs.
  const auto link = std::find_if(links.begin(), links.end(), [](const HeadLink& l) { return l.analysis == "head-svd"; });
  emit grid->link_requested(head, *link);
  wait_for_jobs(*window);
  const int svd_index = window->analysis_index("head-svd");
  EXPECT_EQ(window->current_analysis(), svd_index);
  ASSERT_GE(window->run_count(svd_index), 1);
  const SessionRun& run = window->session().runs.back();
  EXPECT_EQ(run.analysis, "head-svd");
  EXPECT_NE(run.params_json.find("\"head\":[" + std::to_string(head.layer) + "," + std::to_string(head.head) + "]"),
            std::string::npos)
      << run.params_json;
}

TEST(GuiLinkedViews, ACompositionCellOpensTheReceiversPatternAndOffersBothHeads) {
  auto window = window_on_toy_model();
  window->resize(1400, 900);
  window->show();
  const int composition = window->analysis_index("composition");
  run_and_show(*window, composition);
  HeadGridView* grid = shown_view<HeadGridView>(window->analysis_tab(composition), "composition_");
  ASSERT_NE(grid, nullptr) << "the sender × receiver grid links its heads";
  const int receiver = grid->columns() - 1;
  const auto heads = grid->heads_at(0, receiver);
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(probes::head_label(heads[0].first), "L0H0");
  EXPECT_EQ(heads[0].second, "sender head");
  EXPECT_EQ(heads[1].second, "receiver head");
  QTest::mouseClick(grid, Qt::LeftButton, Qt::NoModifier, grid->cell_rect(0, receiver).center());
  wait_for_jobs(*window);
  const int attention = window->analysis_index("attention-pattern");
  EXPECT_EQ(window->current_analysis(), attention);
  ASSERT_FALSE(window->analysis_tab(attention)->plots().empty());
  EXPECT_EQ(window->analysis_tab(attention)->plots().front().name, "pattern_" + probes::head_label(heads[1].first));
}

TEST(GuiLinkedViews, AHookPointOfTheModelPanelShowsItsActivation) {
  auto window = window_on_toy_model();
  window->show();
  ModelPanel* panel = window->findChild<ModelPanel*>();
  ASSERT_NE(panel, nullptr);
  emit panel->hook_activated("blocks.1.hook_resid_post");
  wait_for_jobs(*window);
  const int index = window->analysis_index("activation");
  ASSERT_EQ(window->current_analysis(), index);
  const std::vector<Plot>& plots = window->analysis_tab(index)->plots();
  ASSERT_EQ(plots.size(), 2u);
  const int64_t tokens = static_cast<int64_t>(window->session().prompts.back().tokens.size());
  EXPECT_EQ(plots[0].shape, (std::vector<int64_t>{tokens, window->loaded_model().info.d_model}));
  EXPECT_NE(plots[0].title.find("blocks.1.hook_resid_post"), std::string::npos);
  // Another hook while the tab is shown reruns it.
  emit panel->hook_activated("blocks.0.attn.hook_pattern");
  wait_for_jobs(*window);
  EXPECT_NE(window->analysis_tab(index)->plots()[0].title.find("hook_pattern"), std::string::npos);
}

// The attention-pattern tab of a shown window, run and in front, and its heatmap.
views::HeatmapView* shown_attention_pattern(MainWindow& window) {
  const int index = window.analysis_index("attention-pattern");
  run_and_show(window, index);
  return shown_view<views::HeatmapView>(window.analysis_tab(index), "pattern_");
}

TEST(GuiLinkedViews, ColourScaleOptionsSurviveARerun) {
  auto window = window_on_toy_model();
  window->show();
  auto* view = shown_attention_pattern(*window);
  ASSERT_NE(view, nullptr);
  const int index = window->analysis_index("attention-pattern");
  views::ScaleOptions options;
  options.mapping = views::ScaleOptions::Mapping::log;
  options.excluded_columns = {0};
  view->set_scale_options(options);
  window->set_prompt(QString(test_window::kPrompt) + " the");  // live: reruns
  wait_for_jobs(*window);
  auto* rerun = shown_view<views::HeatmapView>(window->analysis_tab(index), "pattern_");
  ASSERT_NE(rerun, nullptr);
  EXPECT_EQ(rerun->scale_options().mapping, views::ScaleOptions::Mapping::log);
  EXPECT_EQ(rerun->scale_options().excluded_columns, options.excluded_columns);
}

TEST(GuiLinkedViews, ASpanOfChipsFocusesEveryTokenView) {
  auto window = window_on_toy_model();
  window->show();
  auto* view = shown_attention_pattern(*window);
  ASSERT_NE(view, nullptr);
  PromptBar* bar = window->findChild<PromptBar*>();
  ASSERT_NE(bar, nullptr);
  std::vector<QToolButton*> chips;
  for (QToolButton* chip : bar->findChildren<QToolButton*>())
    if (chip->property("special").isValid()) chips.push_back(chip);
  ASSERT_GE(chips.size(), 6u);
  QTest::mouseClick(chips[2], Qt::LeftButton);
  QTest::mouseClick(chips[4], Qt::LeftButton, Qt::ShiftModifier);
  EXPECT_EQ(bar->span_first(), 2);
  EXPECT_EQ(bar->span_last(), 4);
  EXPECT_TRUE(chips[3]->isChecked());
  // Shift+click before the anchor selects backwards from it.
  QTest::mouseClick(chips[1], Qt::LeftButton, Qt::ShiftModifier);
  EXPECT_EQ(bar->span_first(), 1);
  EXPECT_EQ(bar->span_last(), 2);
  QTest::mouseClick(chips[4], Qt::LeftButton, Qt::ShiftModifier);
  // Both token axes of the pattern show positions 2–4 only: cell (2, 2) is the top-left one.
  const QRect top_left = view->cell_rect(2, 2);
  EXPECT_FALSE(top_left.isEmpty());
  EXPECT_TRUE(view->cell_rect(1, 1).isEmpty());
  EXPECT_TRUE(view->cell_rect(5, 5).isEmpty());
  EXPECT_FALSE(view->cell_rect(4, 4).isEmpty());
  // A view opened later focuses on the span too: the residual norms' positions, not its layers.
  const int other = window->analysis_index("residual-norms");
  run_and_show(*window, other);
  auto* norms = shown_view<views::HeatmapView>(window->analysis_tab(other), "resid_norm");
  ASSERT_NE(norms, nullptr);
  EXPECT_TRUE(norms->cell_rect(0, 1).isEmpty());
  EXPECT_FALSE(norms->cell_rect(0, 2).isEmpty());
  EXPECT_FALSE(norms->cell_rect(norms->rows() - 1, 4).isEmpty());
  window->select_analysis(window->analysis_index("attention-pattern"));
  // A plain click on a chip shows every position again.
  QTest::mouseClick(chips[0], Qt::LeftButton);
  EXPECT_GT(bar->span_first(), bar->span_last());
  EXPECT_FALSE(view->cell_rect(0, 0).isEmpty());
  EXPECT_FALSE(view->cell_rect(static_cast<int>(chips.size()) - 1, static_cast<int>(chips.size()) - 1).isEmpty());
}

}  // namespace
}  // namespace glassbox::gui
