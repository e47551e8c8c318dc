// Sessions in the window, driven as a user would (offscreen): run analyses,
// save, close, reopen without recomputing, with the model gone or changed;
// history and compare; autosave and recovery.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QApplication>
#include <QDropEvent>
#include <QMimeData>
#include <QEventLoop>
#include <QFile>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QUrl>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "app/gui/analysis_tab.h"
#include "app/gui/main_window.h"
#include "core/session.h"
#include "test_util.h"
#include "window_fixtures.h"
#include "views/compare_view.h"
#include "views/folders.h"

namespace glassbox::gui {
namespace {

namespace fs = std::filesystem;

// One QApplication for the suite, offscreen, with settings and recovery
// files in a folder of its own.
class QtEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    home_ = std::make_unique<test::TempDir>();
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("XDG_DATA_HOME", QByteArray::fromStdString(home_->file("data")));
    qputenv("XDG_CONFIG_HOME", QByteArray::fromStdString(home_->file("config")));
    static int argc = 1;
    static char name[] = "test_gui";
    static char* argv[] = {name, nullptr};
    app_ = std::make_unique<QApplication>(argc, argv);
    QApplication::setOrganizationName("GlassboxTest");
    QApplication::setApplicationName("GlassboxTest");
  }
  void TearDown() override {
    app_.reset();
    home_.reset();
  }

 private:
  std::unique_ptr<test::TempDir> home_;
  std::unique_ptr<QApplication> app_;
};
const auto* const kQt = ::testing::AddGlobalTestEnvironment(new QtEnvironment);

using test_window::kPrompt;
using test_window::wait_for_jobs;
const std::vector<std::string> kAnalyses = {"next-token", "residual-norms", "logit-lens", "attention-heads"};

bool wait_for(QObject* window, const char* signal) {
  QSignalSpy spy(window, signal);
  return spy.wait(120'000);
}

// Opens a session; true once its views are restored (a read-only one opens at once).
bool open_session(MainWindow& window, const std::string& path) {
  QSignalSpy opened(&window, SIGNAL(session_opened()));
  window.open_session(QString::fromStdString(path));
  return opened.count() > 0 || opened.wait(120'000);
}

void expect_bitwise_equal(const std::vector<Plot>& a, const std::vector<Plot>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << what;
    EXPECT_EQ(a[i].kind, b[i].kind) << what;
    EXPECT_EQ(a[i].title, b[i].title) << what;
    EXPECT_EQ(a[i].shape, b[i].shape) << what;
    ASSERT_EQ(a[i].data.size(), b[i].data.size()) << what;
    EXPECT_EQ(0, std::memcmp(a[i].data.data(), b[i].data.data(), a[i].data.size() * sizeof(float)))
        << what << " " << a[i].name;
    EXPECT_EQ(a[i].x.labels, b[i].x.labels) << what;
    EXPECT_EQ(a[i].x.positions, b[i].x.positions) << what;
    EXPECT_EQ(a[i].x.values, b[i].x.values) << what;
    EXPECT_EQ(a[i].y.labels, b[i].y.labels) << what;
    EXPECT_EQ(a[i].y.values, b[i].y.values) << what;
    EXPECT_EQ(a[i].series, b[i].series) << what;
  }
}

void expect_same_sessions(const Session& a, const Session& b) {
  EXPECT_EQ(a.model.path, b.model.path);
  EXPECT_EQ(a.model.weights_sha256, b.model.weights_sha256);
  ASSERT_EQ(a.prompts.size(), b.prompts.size());
  for (size_t i = 0; i < a.prompts.size(); ++i) {
    EXPECT_TRUE(a.prompts[i] == b.prompts[i]);
    EXPECT_EQ(a.prompts[i].token_strings, b.prompts[i].token_strings);
  }
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_EQ(a.runs[i].analysis, b.runs[i].analysis);
    EXPECT_EQ(a.runs[i].params_json, b.runs[i].params_json);
    EXPECT_EQ(a.runs[i].inputs_json, b.runs[i].inputs_json);
    EXPECT_EQ(a.runs[i].prompt, b.runs[i].prompt);
    EXPECT_EQ(a.runs[i].started_utc, b.runs[i].started_utc);
    EXPECT_EQ(a.runs[i].seconds, b.runs[i].seconds);
    expect_bitwise_equal(a.runs[i].plots, b.runs[i].plots, a.runs[i].analysis);
  }
}

// The shipped toy model, copied so that tests can rename or change it.
std::string copy_of_toy_model(const test::TempDir& tmp) {
  const std::string model = tmp.file("two-hop");
  fs::copy(test::resources("models/two-hop"), model, fs::copy_options::recursive);
  return model;
}

// A window with the model open, the prompt typed, the analyses run (next-token
// twice: on two prompts), saved to `path`.
std::unique_ptr<MainWindow> window_with_runs(const std::string& model, const std::string& path) {
  auto window = std::make_unique<MainWindow>(false);
  window->open_model(QString::fromStdString(model));
  EXPECT_TRUE(wait_for(window.get(), SIGNAL(model_loaded())));
  window->set_prompt(kPrompt);
  wait_for_jobs(*window);
  for (const std::string& id : kAnalyses) {
    const int index = window->analysis_index(id);
    EXPECT_GE(index, 0) << id;
    window->select_analysis(index);
    wait_for_jobs(*window);
    if (window->run_count(index) == 0) {
      window->run_analysis(index);
      wait_for_jobs(*window);
    }
  }
  window->select_analysis(window->analysis_index("next-token"));
  window->set_prompt("the boss of the boss of Raviru is");
  wait_for_jobs(*window);
  EXPECT_EQ(window->run_count(window->analysis_index("next-token")), 2);
  window->select_analysis(window->analysis_index("logit-lens"));
  wait_for_jobs(*window);
  EXPECT_TRUE(window->isWindowModified());
  EXPECT_TRUE(window->save_session(QString::fromStdString(path)));
  EXPECT_FALSE(window->isWindowModified());
  return window;
}

TEST(GuiDialogs, FileDialogsStartInTheFolderLastUsedForTheirKind) {
  test::TempDir dir;
  const QString folder = QString::fromStdString(dir.file("sessions"));
  std::filesystem::create_directories(folder.toStdString());
  views::remember_folder("session", folder + "/mine.gbx");
  EXPECT_EQ(views::remembered_folder("session", "/fallback"), folder);
  EXPECT_EQ(views::remembered_path("session", "session.gbx", "/fallback"), folder + "/session.gbx");
  EXPECT_EQ(views::remembered_folder("gguf", "/fallback"), "/fallback") << "each kind has its own folder";
  std::filesystem::remove_all(folder.toStdString());
  EXPECT_EQ(views::remembered_folder("session", "/fallback"), "/fallback") << "a folder that is gone is not offered";
}

TEST(GuiSessions, ReopeningRestoresEveryResultBitForBitWithoutRecomputing) {
  test::TempDir tmp;
  const std::string model = copy_of_toy_model(tmp), path = tmp.file("work.gbx");
  Session original;
  {
    auto window = window_with_runs(model, path);
    original = window->session();
    EXPECT_GE(original.runs.size(), kAnalyses.size() + 1);
    expect_same_sessions(read_session(path), original);
    window->close();
  }
  MainWindow reopened(false);
  ASSERT_TRUE(open_session(reopened, path));
  wait_for_jobs(reopened);
  EXPECT_FALSE(reopened.read_only());
  EXPECT_EQ(reopened.banner_text(), "");
  EXPECT_FALSE(reopened.isWindowModified());
  EXPECT_NE(reopened.windowTitle().indexOf("work.gbx"), -1) << reopened.windowTitle().toStdString();
  // Nothing was recomputed: the same runs, and each tab shows its last one.
  expect_same_sessions(reopened.session(), original);
  for (const std::string& id : kAnalyses) {
    const int index = reopened.analysis_index(id);
    ASSERT_GE(index, 0);
    const int shown = reopened.shown_run(index);
    ASSERT_GE(shown, 0) << id;
    size_t k = 0;
    for (const SessionRun& run : original.runs)
      if (run.analysis == id && k++ == size_t(shown))
        expect_bitwise_equal(reopened.analysis_tab(index)->plots(), run.plots, id);
  }
  EXPECT_EQ(reopened.current_analysis(), reopened.analysis_index("logit-lens"));  // the tab that was open

  // Saved again, the file holds the same datasets.
  ASSERT_TRUE(reopened.save_session(QString::fromStdString(tmp.file("again.gbx"))));
  expect_same_sessions(read_session(tmp.file("again.gbx")), original);
}

TEST(GuiSessions, AMissingModelShowsTheSavedResultsReadOnly) {
  test::TempDir tmp;
  const std::string model = copy_of_toy_model(tmp), path = tmp.file("work.gbx");
  const Session original = window_with_runs(model, path)->session();
  fs::rename(model, model + "-moved");

  MainWindow reopened(false);
  ASSERT_TRUE(open_session(reopened, path));
  EXPECT_TRUE(reopened.read_only());
  const std::string banner = reopened.banner_text().toStdString();
  EXPECT_NE(banner.find(model), std::string::npos) << banner;
  EXPECT_NE(banner.find("read-only"), std::string::npos) << banner;
  const int index = reopened.analysis_index("attention-heads");
  ASSERT_GE(index, 0);
  EXPECT_FALSE(reopened.analysis_tab(index)->plots().empty());
  reopened.run_analysis(index);  // refused, not crashed
  wait_for_jobs(reopened);
  expect_same_sessions(reopened.session(), original);

  // A new session leaves the saved results behind: nothing shown, nothing to run until a model opens.
  reopened.new_session();
  EXPECT_FALSE(reopened.read_only());
  EXPECT_EQ(reopened.analysis_count(), 0);
  EXPECT_TRUE(reopened.session().runs.empty());
  EXPECT_EQ(reopened.banner_text(), "");
}

TEST(GuiSessions, ChangedWeightsAreNamedAndRecomputeShowsWhatChanged) {
  test::TempDir tmp;
  const std::string model = copy_of_toy_model(tmp), path = tmp.file("work.gbx");
  const Session original = window_with_runs(model, path)->session();
  {
    // One byte of the last tensor's data.
    std::fstream weights(model + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    weights.seekg(-3, std::ios::end);
    const char byte = static_cast<char>(weights.get() ^ 0x40);
    weights.seekp(-3, std::ios::end);
    weights.put(byte);
  }
  MainWindow reopened(false);
  ASSERT_TRUE(open_session(reopened, path));
  const std::string banner = reopened.banner_text().toStdString();
  EXPECT_NE(banner.find("model.safetensors: the weights differ"), std::string::npos) << banner;
  expect_same_sessions(reopened.session(), original);  // the saved results, not recomputed

  reopened.recompute_all();
  wait_for_jobs(reopened);
  for (const std::string& id : kAnalyses) {
    const int index = reopened.analysis_index(id);
    EXPECT_TRUE(reopened.analysis_tab(index)->comparing()) << id;
    EXPECT_FALSE(reopened.analysis_tab(index)->findChildren<views::CompareView*>().isEmpty()) << id;
  }
  EXPECT_EQ(reopened.session().runs.size(), original.runs.size() + kAnalyses.size());
  EXPECT_NE(reopened.session().model.weights_sha256, original.model.weights_sha256);
  EXPECT_TRUE(reopened.isWindowModified());
}

TEST(GuiSessions, HistoryKeepsEveryRunAndComparesTwo) {
  test::TempDir tmp;
  const std::string model = copy_of_toy_model(tmp);
  auto window = window_with_runs(model, tmp.file("work.gbx"));
  const int index = window->analysis_index("next-token");
  ASSERT_EQ(window->run_count(index), 2);
  std::vector<const SessionRun*> runs;
  for (const SessionRun& run : window->session().runs)
    if (run.analysis == "next-token") runs.push_back(&run);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NE(runs[0]->prompt, runs[1]->prompt);

  window->show_run(index, 0);
  EXPECT_EQ(window->shown_run(index), 0);
  expect_bitwise_equal(window->analysis_tab(index)->plots(), runs[0]->plots, "run 1");
  window->show_run(index, 1);
  expect_bitwise_equal(window->analysis_tab(index)->plots(), runs[1]->plots, "run 2");

  window->compare_runs(index, 0, 1);
  AnalysisTab* tab = window->analysis_tab(index);
  EXPECT_TRUE(tab->comparing());
  EXPECT_FALSE(tab->findChildren<views::CompareView*>().isEmpty());
  // Back to one run.
  window->show_run(index, 0);
  EXPECT_FALSE(tab->comparing());
}

TEST(GuiSessions, UnsavedWorkIsAutosavedAndRecoveredAfterACrash) {
  test::TempDir tmp;
  const std::string model = copy_of_toy_model(tmp);
  auto window = window_with_runs(model, tmp.file("work.gbx"));
  const QString recovery = window->recovery_path();
  EXPECT_FALSE(QFile::exists(recovery));  // saved: nothing to recover
  window->select_analysis(window->analysis_index("residual-norms"));
  window->set_prompt("the boss of Raviru is");
  wait_for_jobs(*window);
  ASSERT_TRUE(window->isWindowModified());
  window->set_autosave_interval(50);
  QTest::qWait(400);
  ASSERT_TRUE(QFile::exists(recovery));
  const Session unsaved = window->session();
  expect_same_sessions(read_session(recovery.toStdString()), unsaved);

  // As if that window's process had been killed: its recovery file, under the id of a process that is gone.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  const QString orphan = QFileInfo(recovery).absolutePath() + QString("/session-%1.gbx").arg(child);
  ASSERT_TRUE(QFile::copy(recovery, orphan));
  EXPECT_TRUE(MainWindow::orphaned_recovery_files().contains(orphan));
  EXPECT_FALSE(MainWindow::orphaned_recovery_files().contains(recovery));  // its window is alive

  MainWindow next(false);
  QSignalSpy opened(&next, SIGNAL(session_opened()));
  next.restore_recovery(orphan);
  ASSERT_TRUE(opened.count() > 0 || opened.wait(120'000));
  expect_same_sessions(next.session(), unsaved);
  EXPECT_TRUE(next.isWindowModified());  // recovered work is not saved yet
  EXPECT_EQ(next.session_path().toStdString(), tmp.file("work.gbx"));
  EXPECT_FALSE(QFile::exists(orphan));

  window->close();  // a window that closes normally leaves no recovery file
  EXPECT_FALSE(QFile::exists(recovery));
}

// A file dropped on the window, as a file manager would drop it.
void drop_file(MainWindow& window, const std::string& path) {
  QMimeData data;
  data.setUrls({QUrl::fromLocalFile(QString::fromStdString(path))});
  const QPoint centre(window.width() / 2, window.height() / 2);
  QDragEnterEvent enter(centre, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&window, &enter);
  ASSERT_TRUE(enter.isAccepted());
  QDropEvent drop(QPointF(centre), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&window, &drop);
  ASSERT_TRUE(drop.isAccepted());
}

TEST(GuiSessions, DroppingASessionOrAModelOpensIt) {
  test::TempDir tmp;
  const std::string model = copy_of_toy_model(tmp), path = tmp.file("work.gbx");
  const Session original = window_with_runs(model, path)->session();
  MainWindow window(false);
  window.show();
  QSignalSpy opened(&window, SIGNAL(session_opened()));
  drop_file(window, path);
  ASSERT_TRUE(opened.count() > 0 || opened.wait(120'000));
  expect_same_sessions(window.session(), original);
  EXPECT_EQ(window.session_path().toStdString(), path);

  MainWindow empty(false);
  empty.show();
  QSignalSpy loaded(&empty, SIGNAL(model_loaded()));
  drop_file(empty, model);
  ASSERT_TRUE(loaded.count() > 0 || loaded.wait(120'000));
  EXPECT_GT(empty.analysis_count(), 0);
  EXPECT_TRUE(empty.session().runs.empty() || empty.session().model.path == model);
}

}  // namespace
}  // namespace glassbox::gui
