// The main window's sessions (docs/file-formats.md#session): every run is
// recorded, saved atomically, reopened without recomputing (read-only when the
// model is missing), compared, and autosaved to a recovery file.
#include <signal.h>
#include <unistd.h>

#include <QCloseEvent>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "app/gui/analysis_tab.h"
#include "app/gui/edits_bar.h"
#include "app/gui/main_window.h"
#include "app/gui/model_panel.h"
#include "app/gui/params_panel.h"
#include "app/gui/prompt_bar.h"
#include "core/error.h"
#include "views/folders.h"

namespace glassbox::gui {

namespace {

constexpr int kRecentCount = 10;
const char* const kSessionFilter = "Glassbox sessions (*.gbx)";

QString run_label(const SessionRun& run, int number) {
  // started_utc is YYYY-MM-DDTHH:MM:SSZ; the time of day tells runs of one sitting apart.
  const QString time = QString::fromStdString(run.started_utc).mid(11, 8);
  return QObject::tr("Run %1 · %2 UTC · %3 s").arg(number).arg(time).arg(run.seconds, 0, 'f', 2);
}

nlohmann::json parse_object(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : nlohmann::json::object();
}

QString recovery_folder() {
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/recovery";
}

}  // namespace

void MainWindow::build_session_menu(QMenu* file) {
  file->addAction(tr("&New session"), QKeySequence::New, this, &MainWindow::new_session);
  file->addAction(tr("&Open session…"), QKeySequence::Open, this, [this] {
    if (!maybe_save()) return;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open session"), views::remembered_folder("session", QDir::homePath()), tr(kSessionFilter));
    if (path.isEmpty()) return;
    views::remember_folder("session", path);
    open_session(path);
  });
  fill_recent_menu(file->addMenu(tr("Recent &sessions")), "recent_sessions");
  file->addAction(tr("&Save session"), QKeySequence::Save, this, &MainWindow::save);
  file->addAction(tr("Save session &as…"), QKeySequence::SaveAs, this, &MainWindow::save_as);
  file->addSeparator();
}

void MainWindow::remember_recent(const QString& key, const QString& path) {
  QSettings settings;
  QStringList recent = settings.value(key).toStringList();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kRecentCount) recent.removeLast();
  settings.setValue(key, recent);
}

void MainWindow::fill_recent_menu(QMenu* menu, const QString& key) {
  connect(menu, &QMenu::aboutToShow, this, [this, menu, key] {
    menu->clear();
    const QStringList recent = QSettings().value(key).toStringList();
    for (const QString& path : recent) menu->addAction(path, this, [this, path] { open_dropped_or_chosen(path); });
    if (recent.isEmpty()) menu->addAction(tr("(none yet)"))->setEnabled(false);
  });
}

void MainWindow::open_dropped_or_chosen(const QString& path) {
  if (path.endsWith(".gbx", Qt::CaseInsensitive)) {
    if (maybe_save()) open_session(path);
  } else {
    open_model(path);
  }
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (!urls.isEmpty() && urls.front().isLocalFile()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QList<QUrl> urls = event->mimeData()->urls();
  if (urls.isEmpty() || !urls.front().isLocalFile()) return;
  event->acceptProposedAction();
  open_dropped_or_chosen(urls.front().toLocalFile());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!maybe_save()) {
    event->ignore();
    return;
  }
  jobs_.cancel_all();
  finish_autosave();
  QFile::remove(recovery_path());
  event->accept();
}

void MainWindow::set_modified(bool modified) {
  setWindowModified(modified);
  autosaved_ = !modified;
  if (!modified) {
    finish_autosave();
    QFile::remove(recovery_path());
  }
}

void MainWindow::update_title() {
  const QString session = session_path_.isEmpty() ? tr("Untitled session") : QFileInfo(session_path_).fileName();
  const std::string model = model_.model ? model_.dir : session_.model.path;
  QString title = session + "[*]";
  if (!model.empty()) title += " — " + QFileInfo(QString::fromStdString(model)).fileName();
  setWindowTitle(title + " — Glassbox");
}

void MainWindow::show_banner(const QString& text, bool offer_recompute) {
  banner_label_->setText(text);
  recompute_button_->setVisible(offer_recompute && model_.model);
  banner_->show();
}

QString MainWindow::banner_text() const { return banner_->isHidden() ? QString() : banner_label_->text(); }

PlotMeta MainWindow::run_meta(const SessionRun& run) const {
  PlotMeta meta{run.analysis, run.params_json, session_.model.path};
  if (run.prompt >= 0) {
    meta.prompt = session_.prompts[size_t(run.prompt)].text;
    meta.tokens = session_.prompts[size_t(run.prompt)].tokens;
  }
  return meta;
}

void MainWindow::record_run(TabState& state, const AnalysisRequest& request, AnalysisRun run,
                            const std::string& started, double seconds) {
  const probes::Analysis& analysis = *request.analysis;
  SessionRun recorded;
  recorded.analysis = analysis.id;
  recorded.params_json = run.meta.params_json;
  recorded.inputs_json = probes::inputs_json(request.inputs);
  if (analysis.needs.prompt != probes::Need::none && !request.prompt.ids.empty())
    recorded.prompt = session_.add_prompt(session_prompt(request.prompt));
  if (analysis.needs.dataset != probes::Need::none) recorded.dataset = request.dataset;
  recorded.edits_json = probes::edits_to_json(request.edits).dump();
  recorded.plots = std::move(run.plots);
  recorded.started_utc = started;
  recorded.seconds = seconds;
  session_.runs.push_back(std::move(recorded));
  state.runs.push_back(session_.runs.size() - 1);
  set_modified(true);

  const int index = analysis_index(analysis.id);
  const int newest = run_count(index) - 1;
  const int before = state.recompute_from;
  state.recompute_from = -1;
  if (before >= 0)
    compare_runs(index, before, newest);
  else
    show_run(index, newest);
}

void MainWindow::refresh_history(TabState& state) {
  QStringList labels;
  for (size_t k = 0; k < state.runs.size(); ++k) labels << run_label(session_.runs[state.runs[k]], int(k) + 1);
  state.tab->set_history(labels, state.shown);
}

void MainWindow::show_run(int index, int run) {
  TabState& state = *tabs_[size_t(index)];
  if (run < 0 || run >= run_count(index)) return;
  state.shown = run;
  state.compared_with = -1;
  const SessionRun& saved = session_.runs[state.runs[size_t(run)]];
  state.tab->show_results(saved.plots, run_meta(saved));
  refresh_history(state);
}

void MainWindow::compare_runs(int index, int before, int after) {
  TabState& state = *tabs_[size_t(index)];
  if (before < 0 || after < 0 || before >= run_count(index) || after >= run_count(index)) return;
  const SessionRun& a = session_.runs[state.runs[size_t(before)]];
  const SessionRun& b = session_.runs[state.runs[size_t(after)]];
  state.shown = after;
  state.compared_with = before;
  state.tab->show_comparison(a.plots, b.plots, tr("Run %1").arg(before + 1), tr("Run %1").arg(after + 1),
                             run_meta(a), run_meta(b));
  refresh_history(state);
}

std::string MainWindow::window_state() const {
  nlohmann::json w;
  w["tabs"] = nlohmann::json::array();
  w["shown"] = nlohmann::json::object();
  w["plot"] = nlohmann::json::object();
  w["compare"] = nlohmann::json::object();
  for (const auto& state : tabs_) {
    const std::string& id = state->tab->analysis().id;
    w["tabs"].push_back(id);
    if (state->shown >= 0) w["shown"][id] = state->shown;
    if (state->tab->selected_plot() >= 0) w["plot"][id] = state->tab->selected_plot();
    if (state->compared_with >= 0) w["compare"][id] = state->compared_with;
    if (const auto views = state->tab->view_states(); !views.empty()) w["views"][id] = views;
  }
  if (const TabState* current = current_state()) w["current"] = current->tab->analysis().id;
  w["prompt"] = {{"text", prompt_bar_->text().toStdString()}, {"add_special_tokens", prompt_bar_->add_special_tokens()}};
  w["edits"] = probes::edits_to_json(edits_bar_->edits());  // every chip, on or off
  w["docks"] = saveState().toBase64().toStdString();
  w["session_path"] = session_path_.toStdString();
  return w.dump();
}

void MainWindow::restore_views() {
  const nlohmann::json w = parse_object(session_.window_json);
  // The prompt as it was in the bar; else the last one a run used.
  SessionPrompt saved;
  for (const SessionRun& run : session_.runs)
    if (run.prompt >= 0) saved = session_.prompts[size_t(run.prompt)];
  if (w.contains("prompt") && w["prompt"].is_object()) {
    saved.text = w["prompt"].value("text", saved.text);
    saved.add_special_tokens = w["prompt"].value("add_special_tokens", saved.add_special_tokens);
  }
  prompt_bar_->restore(QString::fromStdString(saved.text), saved.add_special_tokens);
  prompt_ = prompt_from_session(saved);
  if (model_.model) {
    try {
      prompt_ = tokenize_prompt(*model_.model, saved.text, saved.add_special_tokens);
    } catch (const std::exception& e) {
      statusBar()->showMessage(tr("Cannot tokenize the saved prompt: %1").arg(e.what()));
    }
  }
  prompt_bar_->show_tokens(prompt_);
  restore_edits(w);

  for (size_t i = 0; i < tabs_.size(); ++i) {
    TabState& state = *tabs_[i];
    if (state.runs.empty()) continue;
    const std::string& id = state.tab->analysis().id;
    int shown = run_count(int(i)) - 1;
    if (w.contains("shown") && w["shown"].is_object() && w["shown"].contains(id) && w["shown"][id].is_number_integer())
      shown = std::clamp(w["shown"][id].get<int>(), 0, shown);
    const SessionRun& run = session_.runs[state.runs[size_t(shown)]];
    try {
      for (const auto& [name, input] : probes::parse_inputs_json(run.inputs_json, session_path_.toStdString()))
        if (state.inputs.count(name)) state.inputs[name] = input;
    } catch (const Error& e) {
      statusBar()->showMessage(QString::fromStdString(e.what()));
    }
    show_run(int(i), shown);
    if (w.contains("plot") && w["plot"].is_object() && w["plot"].contains(id) && w["plot"][id].is_number_integer())
      state.tab->select_plot(w["plot"][id].get<int>());
    if (w.contains("views") && w["views"].is_object() && w["views"].contains(id) && w["views"][id].is_object()) {
      std::map<std::string, std::string> views;
      for (const auto& [plot, view] : w["views"][id].items())
        if (view.is_string()) views[plot] = view.get<std::string>();
      state.tab->restore_view_states(views);
    }
    if (w.contains("compare") && w["compare"].is_object() && w["compare"].contains(id) &&
        w["compare"][id].is_number_integer())
      compare_runs(int(i), w["compare"][id].get<int>(), shown);
    // The saved result stays on screen until the user changes something,
    // even when it ran on another prompt than the one in the bar.
    state.stale = false;
    const bool other_prompt = run.prompt >= 0 && session_.prompts[size_t(run.prompt)].tokens != prompt_.ids;
    state.tab->show_status(other_prompt ? tr("ran on another prompt: press Run to recompute") : QString());
  }
  if (w.contains("docks") && w["docks"].is_string())
    restoreState(QByteArray::fromBase64(QByteArray::fromStdString(w["docks"].get<std::string>())));
  if (w.contains("current") && w["current"].is_string()) {
    const int current = analysis_index(w["current"].get<std::string>());
    if (current >= 0) tab_widget_->setCurrentIndex(current);
  }
  if (recovered_ && w.contains("session_path") && w["session_path"].is_string())
    session_path_ = QString::fromStdString(w["session_path"].get<std::string>());
  set_modified(recovered_);
  update_title();
  current_tab_changed();
}

void MainWindow::restore_read_only(const QString& reason) {
  read_only_ = true;
  model_ = LoadedModel{};
  ++generation_;
  model_panel_->clear();
  {
    const QSignalBlocker block(tab_widget_);
    clear_tabs();
    for (const probes::Analysis& analysis : probes::analyses()) {
      const bool has_runs = std::any_of(session_.runs.begin(), session_.runs.end(),
                                        [&](const SessionRun& run) { return run.analysis == analysis.id; });
      if (has_runs) add_tab(analysis, std::make_unique<TabState>());
    }
  }
  prompt_bar_->set_read_only(true);
  edits_bar_->set_read_only(true);
  restore_views();
  show_banner(reason, false);
  statusBar()->showMessage(tr("Read-only session: %n saved run(s)", nullptr, int(session_.runs.size())));
  restoring_ = false;
  emit session_opened();
}

void MainWindow::open_session(const QString& path) {
  Session loaded;
  try {
    loaded = glassbox::open_session(path.toStdString());
  } catch (const std::exception& e) {
    const QString message = QString::fromStdString(e.what());
    recovered_ = false;
    statusBar()->showMessage(tr("Could not open %1").arg(path));
    if (interactive_) QMessageBox::warning(this, tr("Cannot open session"), message);
    emit session_failed(message);
    return;
  }
  jobs_.cancel_all();
  session_ = std::move(loaded);
  session_path_ = path;
  banner_->hide();
  if (!recovered_) remember_recent("recent_sessions", path);
  restoring_ = true;
  const QString model = QString::fromStdString(session_.model.path);
  if (!QFileInfo::exists(model)) {
    restore_read_only(tr("The session's model %1 is missing: showing the saved results, read-only.").arg(model));
    return;
  }
  const QString device = QString::fromStdString(session_.model.device);
  set_compute(device == "cuda" && !cuda_available() ? "cpu" : device, QString::fromStdString(session_.model.dtype));
  open_model(model);
}

bool MainWindow::save_session(const QString& path) {
  QElapsedTimer timer;
  timer.start();
  session_.window_json = window_state();
  if (!model_.model && !read_only_) session_.model = SessionModel{};
  try {
    write_session(path.toStdString(), session_);
  } catch (const std::exception& e) {
    if (interactive_) QMessageBox::warning(this, tr("Cannot save session"), QString::fromStdString(e.what()));
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return false;
  }
  session_path_ = path;
  recovered_ = false;
  set_modified(false);
  remember_recent("recent_sessions", path);
  update_title();
  statusBar()->showMessage(tr("Saved %1: %n run(s), %2 MB in %3 s", nullptr, int(session_.runs.size()))
                               .arg(path)
                               .arg(QFileInfo(path).size() / 1e6, 0, 'f', 1)
                               .arg(timer.nsecsElapsed() * 1e-9, 0, 'f', 2),
                           8000);
  return true;
}

bool MainWindow::save() { return session_path_.isEmpty() ? save_as() : save_session(session_path_); }

bool MainWindow::save_as() {
  const QString start =
      session_path_.isEmpty() ? views::remembered_path("session", "session.gbx", QDir::homePath()) : session_path_;
  QString path = QFileDialog::getSaveFileName(this, tr("Save session"), start, tr(kSessionFilter));
  if (path.isEmpty()) return false;
  views::remember_folder("session", path);
  if (!path.endsWith(".gbx", Qt::CaseInsensitive)) path += ".gbx";
  return save_session(path);
}

bool MainWindow::maybe_save() {
  if (!isWindowModified() || !interactive_) return true;
  const auto answer = QMessageBox::question(this, tr("Unsaved session"),
                                            tr("The session has unsaved results. Save them first?"),
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Save) return save();
  return answer == QMessageBox::Discard;
}

void MainWindow::new_session() {
  if (!maybe_save()) return;
  jobs_.cancel_all();
  session_ = Session{};
  session_.model = model_.described;
  session_path_.clear();
  recovered_ = false;
  banner_->hide();
  if (read_only_) {
    // The saved results go; without a model there is nothing to run until one is opened.
    read_only_ = false;
    prompt_bar_->set_read_only(false);
    const QSignalBlocker block(tab_widget_);
    clear_tabs();
    params_panel_->clear(tr("Open a model to begin"));
    prompt_ = Prompt{};
    prompt_bar_->show_tokens(prompt_);
  }
  for (size_t i = 0; i < tabs_.size(); ++i) {
    TabState& state = *tabs_[i];
    state.runs.clear();
    state.shown = -1;
    state.stale = true;
    state.tab->set_history({}, -1);
    state.tab->show_message(tr("Not computed yet."));
    state.tab->show_status(QString());
  }
  set_modified(false);
  update_title();
}

void MainWindow::recompute_all() {
  if (!model_.model) return;
  session_.model = model_.described;
  banner_->hide();
  for (size_t i = 0; i < tabs_.size(); ++i) {
    TabState& state = *tabs_[i];
    if (state.runs.empty()) continue;
    state.recompute_from = state.shown;
    run_analysis(int(i));
  }
  set_modified(true);
  statusBar()->showMessage(tr("Recomputing every analysis; each shows its saved result beside the new one."));
}

QString MainWindow::recovery_path() const {
  return recovery_folder() + QString("/session-%1.gbx").arg(QCoreApplication::applicationPid());
}

void MainWindow::set_autosave_interval(int ms) { autosave_timer_->setInterval(ms); }

void MainWindow::autosave() {
  if (autosaved_ || session_.runs.empty()) return;
  if (autosave_write_.valid() && autosave_write_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return;  // the previous write is still going; the next tick catches up
  auto copy = std::make_shared<Session>(session_);
  copy->window_json = window_state();
  QDir().mkpath(recovery_folder());
  autosaved_ = true;  // a change made while it writes clears this again
  autosave_write_ = std::async(std::launch::async, [this, copy, path = recovery_path().toStdString()] {
    try {
      write_session(path, *copy);
    } catch (const std::exception& e) {
      const QString message = QString::fromStdString(e.what());
      QMetaObject::invokeMethod(
          this,
          [this, message] {
            autosaved_ = false;
            statusBar()->showMessage(tr("Autosave failed: %1").arg(message), 8000);
          },
          Qt::QueuedConnection);
    }
  });
}

void MainWindow::finish_autosave() {
  if (autosave_write_.valid()) autosave_write_.wait();
}

QStringList MainWindow::orphaned_recovery_files() {
  QStringList orphans;
  const QDir folder(recovery_folder());
  for (const QFileInfo& file : folder.entryInfoList({"session-*.gbx"}, QDir::Files, QDir::Time)) {
    bool number = false;
    const qint64 pid = file.completeBaseName().mid(8).toLongLong(&number);
    // A live process still owns its file.
    if (!number || ::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
    orphans << file.absoluteFilePath();
  }
  return orphans;
}

void MainWindow::restore_recovery(const QString& path) {
  recovered_ = true;
  connect(
      this, &MainWindow::session_opened, this, [path] { QFile::remove(path); }, Qt::SingleShotConnection);
  open_session(path);
}

}  // namespace glassbox::gui
