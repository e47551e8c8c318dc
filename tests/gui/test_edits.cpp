// Interventions in the window, driven as a user would (offscreen; the
// QApplication is test_sessions.cpp's): ablation chips change what runs and
// are recorded, turned off they restore the unedited result, they survive a
// session's save and reopen; Ctrl+click on a head heatmap adds a head; the
// ablation dialog's errors; steering vectors made, saved and read back;
// generation with and without the edits.
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QEventLoop>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/gui/ablation_dialog.h"
#include "app/gui/analysis_tab.h"
#include "app/gui/edits_bar.h"
#include "app/gui/generate_panel.h"
#include "app/gui/head_grid_view.h"
#include "app/gui/main_window.h"
#include "app/gui/steering_dialog.h"
#include "core/session.h"
#include "test_util.h"
#include "window_fixtures.h"

namespace glassbox::gui {
namespace {

using test_window::kPrompt;
using test_window::wait_for_jobs;
using test_window::window_on_toy_model;

probes::EditSpec zero_heads(std::vector<probes::HeadRef> heads) {
  probes::EditSpec edit;
  edit.heads = std::move(heads);
  return edit;
}

const SessionRun& last_run(const MainWindow& window, const std::string& analysis) {
  const std::vector<SessionRun>& runs = window.session().runs;
  auto it = std::find_if(runs.rbegin(), runs.rend(), [&](const SessionRun& r) { return r.analysis == analysis; });
  EXPECT_NE(it, runs.rend()) << analysis;
  return *it;
}

TEST(GuiEdits, AZeroAblationChipChangesTheRunAndOffRestoresIt) {
  auto window = window_on_toy_model();
  const int index = window->analysis_index("next-token");
  ASSERT_EQ(window->run_count(index), 1);
  const std::vector<Plot> unedited = window->analysis_tab(index)->plots();
  ASSERT_FALSE(unedited.empty());

  window->add_edit(zero_heads({{0, 0}, {1, 2}, {3, 1}}));
  wait_for_jobs(*window);
  ASSERT_TRUE(window->edits_ready());
  ASSERT_EQ(window->run_count(index), 2);  // the live tab reran under the edit
  const SessionRun& edited = last_run(*window, "next-token");
  const nlohmann::json recorded = nlohmann::json::parse(edited.params_json);
  ASSERT_TRUE(recorded.contains("edits")) << edited.params_json;
  EXPECT_EQ(recorded["edits"][0]["kind"], "zero");
  EXPECT_EQ(recorded["edits"][0]["heads"], nlohmann::json::parse("[[0,0],[1,2],[3,1]]"));
  EXPECT_EQ(nlohmann::json::parse(edited.edits_json), recorded["edits"]);
  // The predictions table (now with and without the edits) holds other numbers.
  const std::vector<Plot>& shown = window->analysis_tab(index)->plots();
  ASSERT_FALSE(shown.empty());
  EXPECT_EQ(shown.front().name, unedited.front().name);
  EXPECT_NE(shown.front().data, unedited.front().data) << "ablating three heads changed nothing";

  // Turned off by its switch, as a user clicks it: the unedited numbers again, and no edits recorded.
  QCheckBox* toggle = window->edits_bar()->findChild<QCheckBox*>();
  ASSERT_NE(toggle, nullptr);
  EXPECT_EQ(toggle->text().toStdString(), "zero L0H0 +2");
  toggle->click();
  QApplication::processEvents();
  wait_for_jobs(*window);
  ASSERT_EQ(window->run_count(index), 3);
  EXPECT_FALSE(window->edits_bar()->edits().front().enabled);
  EXPECT_EQ(last_run(*window, "next-token").edits_json, "[]");
  const std::vector<Plot>& restored = window->analysis_tab(index)->plots();
  ASSERT_EQ(restored.size(), unedited.size());
  for (size_t i = 0; i < restored.size(); ++i) EXPECT_EQ(restored[i].data, unedited[i].data) << restored[i].name;
}

TEST(GuiEdits, TheChipsSurviveSavingAndReopeningTheSession) {
  test::TempDir tmp;
  const std::string path = tmp.file("edits.gbx");
  std::string saved_edits;
  {
    auto window = window_on_toy_model();
    window->add_edit(zero_heads({{2, 3}}));
    probes::EditSpec mean = zero_heads({{1, 1}});
    mean.kind = probes::EditSpec::Kind::mean;
    mean.source_tokens = {{1, 5, 6, 7}};
    mean.source = "a test prompt";
    window->add_edit(mean);
    window->edits_bar()->set_enabled_at(0, false);
    wait_for_jobs(*window);
    saved_edits = probes::edits_to_json(window->edits_bar()->edits()).dump();
    ASSERT_TRUE(window->save_session(QString::fromStdString(path)));
  }
  MainWindow reopened(false);
  QSignalSpy opened(&reopened, SIGNAL(session_opened()));
  reopened.open_session(QString::fromStdString(path));
  ASSERT_TRUE(opened.count() > 0 || opened.wait(120'000));
  wait_for_jobs(reopened);
  EXPECT_EQ(probes::edits_to_json(reopened.edits_bar()->edits()).dump(), saved_edits);
  EXPECT_TRUE(reopened.edits_ready());
  EXPECT_FALSE(reopened.isWindowModified());  // restoring the chips reran nothing
  QStringList labels;
  for (const QCheckBox* chip : reopened.edits_bar()->findChildren<QCheckBox*>())
    labels << chip->text() + (chip->isChecked() ? " on" : " off");
  EXPECT_EQ(labels.join(", ").toStdString(), "zero L2H3 off, mean L1H1 on");
}

TEST(GuiEdits, CtrlClickOnAHeadHeatmapAddsAndExtendsAZeroAblation) {
  auto window = window_on_toy_model();
  const int index = window->analysis_index("attention-heads");
  ASSERT_GE(index, 0);
  window->select_analysis(index);
  window->resize(1400, 900);
  window->show();
  wait_for_jobs(*window);
  if (window->run_count(index) == 0) {
    window->run_analysis(index);
    wait_for_jobs(*window);
  }
  HeadGridView* grid = nullptr;  // the one on screen (the others are behind the plot selector)
  for (HeadGridView* view : window->analysis_tab(index)->findChildren<HeadGridView*>())
    if (view->isVisible()) grid = view;
  ASSERT_NE(grid, nullptr) << "no layer x head heatmap shown in the attention-heads tab";
  const QRect first = grid->cell_rect(1, 2), second = grid->cell_rect(3, 0);
  ASSERT_FALSE(first.isEmpty());
  QTest::mouseClick(grid, Qt::LeftButton, Qt::NoModifier, first.center());  // a plain click ablates nothing
  EXPECT_TRUE(window->edits_bar()->edits().empty());
  QTest::mouseClick(grid, Qt::LeftButton, Qt::ControlModifier, first.center());
  QTest::mouseClick(grid, Qt::LeftButton, Qt::ControlModifier, second.center());
  QTest::mouseClick(grid, Qt::LeftButton, Qt::ControlModifier, first.center());  // already there
  ASSERT_EQ(window->edits_bar()->edits().size(), 1u);
  const probes::EditSpec& chip = window->edits_bar()->edits().front();
  EXPECT_EQ(chip.kind, probes::EditSpec::Kind::zero);
  const probes::HeadRef a = grid->head_at(1, 2), b = grid->head_at(3, 0);
  ASSERT_EQ(chip.heads.size(), 2u);
  EXPECT_EQ(std::make_pair(chip.heads[0].layer, chip.heads[0].head), std::make_pair(a.layer, a.head));
  EXPECT_EQ(std::make_pair(chip.heads[1].layer, chip.heads[1].head), std::make_pair(b.layer, b.head));
  wait_for_jobs(*window);
}

TEST(GuiEdits, TheAblationDialogExplainsWhatIsWrong) {
  const LoadedModel model = load_model_for_gui(test::resources("models/two-hop"), "cpu", "float32");
  const Prompt prompt = tokenize_prompt(*model.model, kPrompt, true);
  AblationDialog dialog(model, prompt, QString());
  auto error_for = [&](const QString& heads) {
    dialog.set_heads(heads);
    dialog.accept();
    EXPECT_FALSE(dialog.chosen_edit()) << heads.toStdString();
    return dialog.error().toStdString();
  };
  EXPECT_NE(error_for("3:x").find("heads"), std::string::npos) << error_for("3:x");
  EXPECT_NE(error_for("9:0").find("outside the model's 4 layers x 4 heads"), std::string::npos) << error_for("9:0");
  EXPECT_NE(error_for("").find("type the heads"), std::string::npos);

  dialog.set_heads("1:2, 3:0");
  dialog.set_mode(probes::EditSpec::Kind::resample);
  const char* const shorter = "the father of Sata is";
  dialog.set_corrupted_prompt(shorter);
  dialog.accept();
  const std::string counts = dialog.error().toStdString();
  const std::string expected = "has " + std::to_string(tokenize_prompt(*model.model, shorter, true).ids.size()) +
                               " tokens and the prompt " + std::to_string(prompt.ids.size());
  EXPECT_NE(counts.find(expected), std::string::npos) << counts;

  dialog.set_corrupted_prompt("the father of the father of Raviru is");
  dialog.accept();
  ASSERT_TRUE(dialog.chosen_edit()) << dialog.error().toStdString();
  EXPECT_EQ(dialog.chosen_edit()->label(), "resample L1H2 +1");
  EXPECT_EQ(dialog.chosen_edit()->source_tokens.front().size(), prompt.ids.size());
}

TEST(GuiEdits, TheGeneratePanelShowsBothContinuationsWithAnEditOn) {
  auto window = window_on_toy_model();
  GeneratePanel* panel = window->generate_panel();
  GenerateSettings settings;
  settings.max_new_tokens = 3;  // the prompt grown by them still fits the toy model's 16 positions
  panel->set_settings(settings);
  window->generate();
  wait_for_jobs(*window);
  ASSERT_FALSE(panel->continuations().has_edits);
  const std::vector<int64_t> plain = panel->continuations().unedited.ids;
  ASSERT_FALSE(plain.empty());

  window->add_edit(zero_heads({{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 1}, {1, 2}, {1, 3}}));
  window->generate();  // waits for the edit to be applied, then generates
  wait_for_jobs(*window);
  const Continuations& both = panel->continuations();
  ASSERT_TRUE(both.has_edits);
  EXPECT_FALSE(both.edited.ids.empty());
  EXPECT_EQ(both.unedited.ids, plain);  // "without" is the unedited model's text
  EXPECT_FALSE(panel->edited_text().isEmpty());
  EXPECT_FALSE(panel->unedited_text().isEmpty());

  // Append to prompt: the prompt grows by the continuation, a space between its words.
  const std::string before = window->session().prompts.back().text;
  emit panel->append_requested(both.edited);
  wait_for_jobs(*window);
  EXPECT_EQ(window->session().prompts.back().text, before + panel->edited_text().toStdString());
  EXPECT_EQ(panel->edited_text().front(), ' ');
}

TEST(GuiEdits, TheSteeringDialogMakesSavesAndReadsAVector) {
  test::TempDir tmp;
  const LoadedModel model = load_model_for_gui(test::resources("models/two-hop"), "cpu", "float32");
  JobRunner jobs;
  SteeringDialog dialog(model, true, jobs);
  dialog.set_layer(2);
  dialog.set_hook_point("resid_post");
  dialog.set_prompts("the father of Sata is\nthe boss of Sata is", "the father of Raviru is");
  dialog.make_vector();
  QEventLoop loop;
  QObject::connect(&jobs, &JobRunner::idle, &loop, &QEventLoop::quit);
  if (jobs.busy()) loop.exec();
  ASSERT_TRUE(dialog.vector()) << dialog.error().toStdString();
  const SteeringVector made = *dialog.vector();
  EXPECT_EQ(made.hook, "blocks.2.hook_resid_post");
  EXPECT_EQ(made.values.size(), size_t(model.info.d_model));
  EXPECT_EQ(made.name, "the father of Sata is … (2) − the father of Raviru is");

  dialog.set_positions("0, x");
  dialog.accept();
  EXPECT_FALSE(dialog.chosen_edit());
  EXPECT_NE(dialog.error().toStdString().find("'x'"), std::string::npos) << dialog.error().toStdString();
  dialog.set_positions("0, -1");
  dialog.set_coefficient(4);
  dialog.accept();
  ASSERT_TRUE(dialog.chosen_edit()) << dialog.error().toStdString();
  EXPECT_EQ(dialog.chosen_edit()->label(), "steer L2 ×4");
  EXPECT_EQ(dialog.chosen_edit()->positions, (std::vector<int64_t>{0, -1}));

  // Saved either way and read back: the same values, at the same hook.
  for (const char* name : {"v.gguf", "v.safetensors"}) {
    const QString path = QString::fromStdString(tmp.file(name));
    ASSERT_TRUE(dialog.write_vector(path)) << dialog.error().toStdString();
    SteeringDialog reader(model, true, jobs);
    ASSERT_TRUE(reader.load_file(path)) << reader.error().toStdString();
    EXPECT_EQ(reader.vector()->hook, made.hook) << name;
    EXPECT_EQ(reader.vector()->values, made.values) << name;
  }
  // A control vector holds block outputs only.
  dialog.set_hook_point("attn_out");
  EXPECT_FALSE(dialog.vector());  // it was made at resid_post
}

}  // namespace
}  // namespace glassbox::gui
