// glassbox [MODEL | SESSION.gbx] [--prompt TEXT] [--corrupted TEXT] [--edits F.json] [--device cpu|cuda|cuda:0,cuda:1] [--dtype float32|bfloat16]
//          [--screenshot DIR [--analyses IDS] [--size WxH] [--save-session F.gbx]]
// Opens MODEL (a model folder or a .gguf file), a saved session, or the shipped default model. --screenshot renders every
// analysis of the default (or given) model for a sample prompt, saves
// DIR/<analysis>.png, then the interventions (edits bar, next-token with
// and without them, the generate panel), and exits: a smoke test and the README's pictures.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QScreen>
#include <QTextStream>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/analysis_tab.h"
#include "app/gui/edits_bar.h"
#include "app/gui/generate_panel.h"
#include "app/gui/main_window.h"
#include "core/model.h"
#include "views/chart_view.h"
#include "views/plot_view.h"
#include "datasets/two_hop_csv.h"
#include "probes/edit_spec.h"

namespace {

using glassbox::gui::MainWindow;

// The two-hop toy transformer shipped in resources/models, else any model
// there, else the GPT-2 test checkpoint of a source checkout.
QString default_model_dir() {
  const QDir models(QString(GLASSBOX_RESOURCES) + "/models");
  const QStringList folders = models.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
  QString first;
  for (const QString& folder : folders) {
    if (!QFile::exists(models.filePath(folder + "/config.json"))) continue;
    const QString simple = QString(folder).remove('-').remove('_').toLower();
    if (simple.contains("twohop")) return models.filePath(folder);
    if (first.isEmpty()) first = models.filePath(folder);
  }
  if (!first.isEmpty()) return first;
  return QDir::cleanPath(QString(GLASSBOX_RESOURCES) + "/../tests/data/models/gpt2_a");
}

// A prompt that suits the model and a corrupted one of the same shape, for
// activation patching: the first two lines of its sample_prompts.txt, else the
// first query of a two-hop CSV saved with it (toy two-hop models) and the next
// one asking the same relations of another entity, else a two-hop question
// with its entity swapped, or token ids (a repeated run, which shows
// induction) for a model without a tokenizer.
struct SamplePrompts {
  QString clean, corrupted;
};

SamplePrompts sample_prompts(const QString& model_dir) {
  const QDir dir(model_dir);
  QFile file(dir.filePath("sample_prompts.txt"));
  if (file.open(QIODevice::ReadOnly | QIODevice::Text)) {
    QStringList lines;
    QTextStream in(&file);
    while (!in.atEnd() && lines.size() < 2) {
      const QString line = in.readLine().trimmed();
      if (!line.isEmpty()) lines.push_back(line);
    }
    if (!lines.isEmpty()) return {lines.front(), lines.back()};
  }
  for (const QString& csv : dir.entryList({"*.csv"}, QDir::Files, QDir::Name)) {
    try {
      const auto queries = glassbox::datasets::load_two_hop_csv(dir.filePath(csv).toStdString());
      if (queries.empty()) continue;
      const auto& first = queries.front();
      SamplePrompts p{QString::fromStdString(first.prompt), QString::fromStdString(first.prompt)};
      for (const auto& q : queries)
        if (q.r1_template == first.r1_template && q.r2_template == first.r2_template && q.e1_label != first.e1_label &&
            q.e3_label != first.e3_label) {
          p.corrupted = QString::fromStdString(q.prompt);
          break;
        }
      return p;
    } catch (const std::exception&) {
      // Not a two-hop file; look further.
    }
  }
  // A GGUF file carries its tokenizer.
  const bool has_tokenizer = model_dir.endsWith(".gguf", Qt::CaseInsensitive) || dir.exists("tokenizer.json") ||
                             dir.exists("vocab.json");
  if (!has_tokenizer) return {"0, 17, 42, 99, 7, 17, 42, 99, 7", "0, 17, 42, 99, 7, 18, 43, 98, 8"};
  return {"The spouse of the performer of Imagine is", "The spouse of the performer of Yesterday is"};
}

// Blocks (running the event loop) until the window's jobs are done.
void wait_for_jobs(MainWindow& window) {
  if (!window.jobs().busy()) return;
  QEventLoop loop;
  QObject::connect(&window.jobs(), &glassbox::gui::JobRunner::idle, &loop, &QEventLoop::quit);
  loop.exec();
}

bool save_window(MainWindow& window, const QString& path) {
  QApplication::processEvents();
  if (!window.grab().save(path)) {
    std::fprintf(stderr, "glassbox: cannot write %s\n", qPrintable(path));
    return false;
  }
  std::printf("%s\n", qPrintable(path));
  return true;
}

// What a user would see broken in the plots on screen: a plot with no finite
// value, or x tick labels that are empty, elided or do not fit side by side.
// Prints each problem; returns how many there were.
int check_views(const glassbox::gui::AnalysisTab& tab) {
  int problems = 0;
  for (const glassbox::views::PlotView* view : tab.findChildren<glassbox::views::PlotView*>()) {
    if (!view->isVisible()) continue;
    const glassbox::Plot& plot = view->plot();
    auto report = [&](const char* what) {
      std::fprintf(stderr, "glassbox: %s, plot %s: %s\n", tab.analysis().id.c_str(), plot.name.c_str(), what);
      ++problems;
    };
    if (std::none_of(plot.data.begin(), plot.data.end(), [](float v) { return std::isfinite(v); }))
      report("no finite value to draw");
    if (const auto* chart = qobject_cast<const glassbox::views::ChartPlotView*>(view)) {
      if (!chart->x_tick_labels_fit()) report("its x tick labels do not fit side by side");
      for (const QString& label : chart->x_tick_labels())
        if (label.trimmed().isEmpty() || label == QString(QChar(0x22EE))) report("an empty or elided x tick label");
    }
  }
  return problems;
}

bool save_timed(MainWindow& window, const QString& path) {
  QElapsedTimer timer;
  timer.start();
  if (!window.save_session(path)) return false;
  std::printf("saved %s in %.2f s: %zu runs, %.1f MB\n", qPrintable(path), timer.nsecsElapsed() * 1e-9,
              window.session().runs.size(), QFileInfo(path).size() / 1e6);
  return true;
}

// Two heads of the middle layer zero-ablated and a neuron mean-ablated over the prompt, turned off: a chip of each state.
std::vector<glassbox::probes::EditSpec> sample_edits(const glassbox::ModelInfo& info,
                                                     const std::vector<int64_t>& prompt) {
  glassbox::probes::EditSpec heads, neuron;
  const int layer = info.n_layers / 2;
  heads.heads = {{layer, 0}, {layer, info.n_heads - 1}};
  neuron.kind = glassbox::probes::EditSpec::Kind::mean;
  neuron.neurons = {{layer, 0}};
  neuron.source_tokens = {prompt};
  neuron.source = "the prompt";
  neuron.enabled = false;
  return {heads, neuron};
}

// The interventions under the window's edits (sample_edits when it has none):
// DIR/interventions_edits.png shows the edits bar over next-token predictions
// with and without them, DIR/interventions_generate.png the generate panel.
int take_intervention_screenshots(MainWindow& window, const QString& out_dir) {
  if (window.edits_bar()->edits().empty() && !window.session().prompts.empty())
    for (auto& edit : sample_edits(window.loaded_model().info, window.session().prompts.back().tokens))
      window.add_edit(std::move(edit));
  window.select_analysis(window.analysis_index("next-token"));
  wait_for_jobs(window);
  int failed = 0;
  if (!window.edits_ready()) {
    std::fprintf(stderr, "glassbox: the edits could not be applied\n");
    ++failed;
  }
  if (!save_window(window, out_dir + "/interventions_edits.png")) ++failed;
  window.generate();
  wait_for_jobs(window);
  if (!window.generate_panel()->continuations().has_edits) {
    std::fprintf(stderr, "glassbox: the generate panel shows no continuation with the edits\n");
    ++failed;
  }
  if (!save_window(window, out_dir + "/interventions_generate.png")) ++failed;
  return failed;
}

// `only`: the analysis ids to render ("interventions": the edits and the
// generate panel); empty: all of them. `save_session`: where to save the
// session afterwards (empty: nowhere).
int take_screenshots(MainWindow& window, const QString& model_dir, const SamplePrompts& prompts,
                     const QString& out_dir, const QStringList& only, const QString& save_session) {
  if (!QDir().mkpath(out_dir)) {
    std::fprintf(stderr, "glassbox: cannot create %s\n", qPrintable(out_dir));
    return 1;
  }
  QString failure;
  QObject::connect(&window, &MainWindow::model_failed, [&failure](const QString& message) { failure = message; });
  window.open_model(model_dir);
  wait_for_jobs(window);
  if (!failure.isEmpty()) {
    std::fprintf(stderr, "glassbox: %s\n", qPrintable(failure));
    return 1;
  }
  window.set_prompt(prompts.clean);
  wait_for_jobs(window);
  window.set_parameter(window.analysis_index("activation-patching"), "corrupted", prompts.corrupted);
  if (window.analysis_count() == 0) {
    std::fprintf(stderr, "glassbox: no analysis applies to %s\n", qPrintable(model_dir));
    return 1;
  }
  int failed = 0;
  for (int i = 0; i < window.analysis_count(); ++i) {
    if (!only.isEmpty() && !only.contains(QString::fromStdString(window.analysis_tab(i)->analysis().id))) continue;
    window.select_analysis(i);  // live analyses start here
    wait_for_jobs(window);
    if (window.analysis_tab(i)->plots().empty()) {
      window.run_analysis(i);
      wait_for_jobs(window);
    }
    glassbox::gui::AnalysisTab* tab = window.analysis_tab(i);
    if (tab->plots().empty()) {
      std::fprintf(stderr, "glassbox: %s produced no plots\n", tab->analysis().title.c_str());
      ++failed;
    }
    QApplication::processEvents();
    failed += check_views(*tab);
    if (!save_window(window, out_dir + "/" + QString::fromStdString(tab->analysis().id) + ".png")) ++failed;
  }
  if ((only.isEmpty() || only.contains("interventions")) && window.analysis_index("next-token") >= 0)
    failed += take_intervention_screenshots(window, out_dir);
  if (!save_session.isEmpty() && !save_timed(window, save_session)) return 1;
  return failed == 0 ? 0 : 1;
}

// Reopens a session and saves a screenshot of every analysis it has results
// for, and of the comparison of its last two runs where it has two; then
// saves the session to `save_session` unless that is empty.
int take_session_screenshots(MainWindow& window, const QString& session, const QString& out_dir,
                             const QString& save_session) {
  if (!QDir().mkpath(out_dir)) {
    std::fprintf(stderr, "glassbox: cannot create %s\n", qPrintable(out_dir));
    return 1;
  }
  QString failure;
  bool done = false;
  QEventLoop loop;
  QObject::connect(&window, &MainWindow::session_opened, &loop, [&] {
    done = true;
    loop.quit();
  });
  QObject::connect(&window, &MainWindow::session_failed, &loop, [&](const QString& message) {
    failure = message;
    done = true;
    loop.quit();
  });
  QElapsedTimer timer;
  timer.start();
  window.open_session(session);
  if (!done) loop.exec();
  if (!failure.isEmpty()) {
    std::fprintf(stderr, "glassbox: %s\n", qPrintable(failure));
    return 1;
  }
  std::printf("opened %s in %.2f s: %zu runs%s\n", qPrintable(session), timer.nsecsElapsed() * 1e-9,
              window.session().runs.size(), window.read_only() ? " (read-only)" : "");
  int failed = 0;
  for (int i = 0; i < window.analysis_count(); ++i) {
    const int runs = window.run_count(i);
    if (runs == 0) continue;
    window.select_analysis(i);
    wait_for_jobs(window);
    const QString name = out_dir + "/" + QString::fromStdString(window.analysis_tab(i)->analysis().id);
    if (!save_window(window, name + ".png")) ++failed;
    if (runs < 2) continue;
    window.compare_runs(i, runs - 2, runs - 1);
    if (!save_window(window, name + "_compare.png")) ++failed;
  }
  if (!save_session.isEmpty() && !save_timed(window, save_session)) return 1;
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("Glassbox");
  QApplication::setApplicationName("Glassbox");
  QCommandLineParser parser;
  parser.setApplicationDescription("Glassbox: look inside transformer language models.");
  parser.addHelpOption();
  parser.addPositionalArgument(
      "model", "Model folder, .gguf file or session (.gbx) to open (default: the shipped toy model).",
      "[MODEL | SESSION.gbx]");
  QCommandLineOption prompt_option("prompt", "Prompt to start with.", "text");
  QCommandLineOption corrupted_option("corrupted", "Corrupted prompt for activation patching to start with.", "text");
  QCommandLineOption edits_option("edits", "Active edits to start with (docs/file-formats.md#edits).", "file");
  QCommandLineOption screenshot_option("screenshot", "Save a screenshot of every analysis to DIR and exit.", "dir");
  QCommandLineOption analyses_option("analyses", "With --screenshot: only these analysis ids (comma-separated).",
                                     "ids");
  QCommandLineOption size_option("size", "Window size, WIDTHxHEIGHT (default 1500x940, within the screen).", "WxH");
  QCommandLineOption save_session_option(
      "save-session", "With --screenshot: then save the session to FILE.gbx (timed).", "file");
  QCommandLineOption device_option("device", "cpu, cuda, or several devices to split the layers across (cuda:0,cuda:1); default cpu.", "device", "cpu");
  QCommandLineOption dtype_option("dtype", "Compute dtype: float32 or bfloat16 (default float32).", "dtype", "float32");
  parser.addOption(prompt_option);
  parser.addOption(corrupted_option);
  parser.addOption(edits_option);
  parser.addOption(device_option);
  parser.addOption(dtype_option);
  parser.addOption(screenshot_option);
  parser.addOption(analyses_option);
  parser.addOption(save_session_option);
  parser.addOption(size_option);
  parser.process(app);
  glassbox::set_threads(0);  // LibTorch on every core

  const QStringList positional = parser.positionalArguments();
  const QString model_dir = positional.isEmpty() ? default_model_dir() : positional.front();
  SamplePrompts prompts = sample_prompts(model_dir);
  if (parser.isSet(prompt_option)) prompts = {parser.value(prompt_option), QString()};
  if (parser.isSet(corrupted_option)) prompts.corrupted = parser.value(corrupted_option);
  const bool screenshots = parser.isSet(screenshot_option);

  MainWindow window(!screenshots);
  window.set_compute(parser.value(device_option), parser.value(dtype_option));
  if (parser.isSet(edits_option)) {
    try {
      window.edits_bar()->restore(glassbox::probes::read_edits_file(parser.value(edits_option).toStdString()));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "glassbox: %s\n", e.what());
      return 1;
    }
  }
  QSize size(1500, 940);
  if (parser.isSet(size_option)) {
    const QStringList wh = parser.value(size_option).split('x');
    size = wh.size() == 2 ? QSize(wh[0].toInt(), wh[1].toInt()) : QSize();
    if (size.width() < 200 || size.height() < 200) {
      std::fprintf(stderr, "glassbox: --size takes WIDTHxHEIGHT (at least 200x200), got %s\n",
                   qPrintable(parser.value(size_option)));
      return 1;
    }
  } else if (const QScreen* screen = QGuiApplication::primaryScreen()) {
    size = size.boundedTo(screen->availableSize());
  }
  window.resize(size);
  window.show();
  if (screenshots) {
    const QStringList only = parser.value(analyses_option).split(',', Qt::SkipEmptyParts);
    if (model_dir.endsWith(".gbx", Qt::CaseInsensitive))
      return take_session_screenshots(window, model_dir, parser.value(screenshot_option),
                                      parser.value(save_session_option));
    return take_screenshots(window, model_dir, prompts, parser.value(screenshot_option), only,
                            parser.value(save_session_option));
  }

  // A window that did not close (a crash, a kill) left its unsaved session behind.
  const QStringList orphans = MainWindow::orphaned_recovery_files();
  if (!orphans.isEmpty()) {
    const QFileInfo newest(orphans.front());
    const auto answer = QMessageBox::question(
        &window, QObject::tr("Restore unsaved session?"),
        QObject::tr("Glassbox did not close normally. Restore the session it had not saved (autosaved %1)?")
            .arg(newest.lastModified().toString("yyyy-MM-dd HH:mm")));
    if (answer == QMessageBox::Yes) {
      window.restore_recovery(newest.absoluteFilePath());
      return app.exec();
    }
    for (const QString& orphan : orphans) QFile::remove(orphan);
  }
  if (model_dir.endsWith(".gbx", Qt::CaseInsensitive)) {
    window.open_session(model_dir);
    return app.exec();
  }
  QObject::connect(
      &window, &MainWindow::model_loaded, &window,
      [&window, prompts] {
        window.set_prompt(prompts.clean);
        window.set_parameter(window.analysis_index("activation-patching"), "corrupted", prompts.corrupted);
      },
      Qt::SingleShotConnection);
  window.open_model(model_dir);
  return app.exec();
}
