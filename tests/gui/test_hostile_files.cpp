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

// Opens each case with `open`, as File ▸ Open does; the window must report,
// through `failed` (a signal carrying the message), what `load` throws.
void expect_each_shown(MainWindow& window, const std::vector<test::HostileFile>& cases, const char* failed,
                       const std::function<void(const QString&)>& open,
                       const std::function<void(const std::string&)>& load) {
  for (const test::HostileFile& c : cases) {
    QSignalSpy spy(&window, failed);
    open(QString::fromStdString(c.path));
    ASSERT_TRUE(spy.count() > 0 || spy.wait(30'000)) << c.path << ": no failure reported";
    const std::string shown = spy.front().front().toString().toStdString();
    EXPECT_EQ(shown, test::error_of([&] { load(c.path); }));
    EXPECT_TRUE(test::names_file_and_problem(shown, c));
  }
  const int index = window.analysis_index("residual-norms");
  window.run_analysis(index);
  test_window::wait_for_jobs(window);
  EXPECT_FALSE(window.analysis_tab(index)->plots().empty());
  EXPECT_FALSE(window.read_only());
}

TEST(GuiHostileFiles, EachGgufShowsTheLoadersMessageAndTheWindowStaysUsable) {
  test::TempDir tmp;
  auto window = test_window::window_on_toy_model();
  expect_each_shown(
      *window, test::write_hostile_ggufs(tmp.path()), SIGNAL(model_failed(QString)),
      [&](const QString& path) { window->open_model(path); }, [](const std::string& path) { load_model(path); });
  QSignalSpy loaded(window.get(), SIGNAL(model_loaded()));
  window->open_model(QString::fromStdString(test::write_tiny_llama(tmp.file("good.gguf"))));
  ASSERT_TRUE(loaded.wait(30'000));
  EXPECT_GT(window->analysis_count(), 0);
}

TEST(GuiHostileFiles, EachSessionShowsTheReadersMessageAndTheWindowStaysUsable) {
  test::TempDir tmp;
  auto window = test_window::window_on_toy_model();
  expect_each_shown(
      *window, test::write_hostile_sessions(tmp.path()), SIGNAL(session_failed(QString)),
      [&](const QString& path) { window->open_session(path); }, [](const std::string& path) { open_session(path); });
  // The session they vary opens (read-only: its model is not there).
  QSignalSpy opened(window.get(), SIGNAL(session_opened()));
  window->open_session(QString::fromStdString(tmp.file("good.gbx")));
  ASSERT_TRUE(opened.count() > 0 || opened.wait(30'000));
  EXPECT_EQ(window->session().runs.size(), 3u);
}

}  // namespace
}  // namespace glassbox::gui
