// Hostile model and session files (tests/hostile_files.h) opened in the
// window the way File ▸ Open opens them: each shows the loader's own one-line
// message, and afterwards the window still runs analyses and opens good files.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <functional>

#include "app/gui/analysis_tab.h"
#include "app/gui/main_window.h"
#include "core/model.h"
#include "core/session.h"
#include "hostile_files.h"
#include "test_util.h"
#include "window_fixtures.h"

namespace glassbox::gui {
namespace {

// What the window reports through `failed` (a signal carrying the message) after `open`.
std::string failure_shown(MainWindow& window, const char* failed, const std::function<void()>& open) {
  QSignalSpy spy(&window, failed);
  open();
  if (spy.count() == 0 && !spy.wait(30'000)) return "(no failure reported)";
  return spy.front().front().toString().toStdString();
}

void expect_analyses_still_run(MainWindow& window) {
  const int index = window.analysis_index("residual-norms");
  window.run_analysis(index);
  test_window::wait_for_jobs(window);
  EXPECT_FALSE(window.analysis_tab(index)->plots().empty());
  EXPECT_FALSE(window.read_only());
}

TEST(GuiHostileFiles, EachGgufShowsTheLoadersMessageAndTheWindowStaysUsable) {
  test::TempDir tmp;
  auto window = test_window::window_on_toy_model();
  for (const test::HostileFile& c : test::write_hostile_ggufs(tmp.path())) {
    const std::string shown = failure_shown(*window, SIGNAL(model_failed(QString)),
                                            [&] { window->open_model(QString::fromStdString(c.path)); });
    EXPECT_EQ(shown, test::error_of([&] { load_model(c.path); }));
    EXPECT_TRUE(test::names_file_and_problem(shown, c));
  }
  expect_analyses_still_run(*window);
  QSignalSpy loaded(window.get(), SIGNAL(model_loaded()));
  window->open_model(QString::fromStdString(test::write_tiny_llama(tmp.file("good.gguf"))));
  ASSERT_TRUE(loaded.wait(30'000));
  EXPECT_GT(window->analysis_count(), 0);
}

TEST(GuiHostileFiles, EachSessionShowsTheReadersMessageAndTheWindowStaysUsable) {
  test::TempDir tmp;
  auto window = test_window::window_on_toy_model();
  for (const test::HostileFile& c : test::write_hostile_sessions(tmp.path())) {
    const std::string shown = failure_shown(*window, SIGNAL(session_failed(QString)),
                                            [&] { window->open_session(QString::fromStdString(c.path)); });
    EXPECT_EQ(shown, test::error_of([&] { read_session(c.path); }));
    EXPECT_TRUE(test::names_file_and_problem(shown, c));
  }
  expect_analyses_still_run(*window);
  // The session they vary opens (read-only: its model is not there).
  QSignalSpy opened(window.get(), SIGNAL(session_opened()));
  window->open_session(QString::fromStdString(tmp.file("good.gbx")));
  ASSERT_TRUE(opened.count() > 0 || opened.wait(30'000));
  EXPECT_EQ(window->session().runs.size(), 3u);
}

}  // namespace
}  // namespace glassbox::gui
