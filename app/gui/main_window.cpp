#include "app/gui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDir>
#include <QCloseEvent>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "app/gui/analysis_tab.h"
#include "app/gui/backend_interventions.h"
#include "app/gui/catalog_dialog.h"
#include "app/gui/edits_bar.h"
#include "app/gui/generate_panel.h"
#include "app/gui/help_menu.h"
#include "app/gui/model_panel.h"
#include "app/gui/params_panel.h"
#include "app/gui/prompt_bar.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model.h"
#include "views/folders.h"
#include "views/plot_view.h"

namespace glassbox::gui {

namespace {
constexpr int kRerunDelayMs = 150;
constexpr int kAutosaveMs = 60'000;  // the recovery file lags unsaved work by at most this
}

MainWindow::MainWindow(bool interactive, QWidget* parent)
    : QMainWindow(parent),
      interactive_(interactive),
      model_panel_(new ModelPanel(this)),
      params_panel_(new ParamsPanel(this)),
      prompt_bar_(new PromptBar(this)),
      edits_bar_(new EditsBar(this)),
      generate_panel_(new GeneratePanel(this)),
      tab_widget_(new QTabWidget(this)),
      banner_(new QWidget(this)),
      banner_label_(new QLabel(banner_)),
      recompute_button_(new QPushButton(tr("Recompute"), banner_)),
      rerun_(new QTimer(this)) {
  tab_widget_->setDocumentMode(true);
  setAcceptDrops(true);
  rerun_->setSingleShot(true);
  rerun_->setInterval(kRerunDelayMs);

  auto* centre = new QWidget(this);
  auto* layout = new QVBoxLayout(centre);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  layout->addWidget(prompt_bar_);
  layout->addWidget(edits_bar_);
  layout->addWidget(banner_);
  layout->addWidget(tab_widget_, 1);
  setCentralWidget(centre);

  auto dock = [this](const QString& title, QWidget* content, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(title);
    d->setWidget(content);
    d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                   QDockWidget::DockWidgetFloatable);
    addDockWidget(area, d);
    return d;
  };
  QDockWidget* model_dock = dock(tr("Model"), model_panel_, Qt::LeftDockWidgetArea);
  QDockWidget* params_dock = dock(tr("Parameters"), params_panel_, Qt::RightDockWidgetArea);
  QDockWidget* jobs_dock = dock(tr("Jobs"), new JobsPanel(jobs_, this), Qt::BottomDockWidgetArea);
  generate_dock_ = dock(tr("Generate"), generate_panel_, Qt::BottomDockWidgetArea);
  tabifyDockWidget(jobs_dock, generate_dock_);
  jobs_dock->raise();
  setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
  setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
  resizeDocks({model_dock, params_dock}, {300, 250}, Qt::Horizontal);
  resizeDocks({jobs_dock}, {140}, Qt::Vertical);

  // Session notices: results read-only, weights changed since the session was saved.
  banner_->setStyleSheet("background: #fcefd2; border-bottom: 1px solid #d39b2a;");
  banner_label_->setWordWrap(true);
  banner_label_->setTextFormat(Qt::PlainText);
  recompute_button_->setToolTip(tr("Rerun every analysis on the model opened now and show what changed"));
  auto* close_banner = new QToolButton(banner_);
  close_banner->setText("✕");
  close_banner->setAutoRaise(true);
  auto* banner_row = new QHBoxLayout(banner_);
  banner_row->setContentsMargins(8, 4, 4, 4);
  banner_row->addWidget(banner_label_, 1);
  banner_row->addWidget(recompute_button_);
  banner_row->addWidget(close_banner);
  banner_->hide();
  connect(recompute_button_, &QPushButton::clicked, this, &MainWindow::recompute_all);
  connect(close_banner, &QToolButton::clicked, banner_, &QWidget::hide);

  autosave_timer_ = new QTimer(this);
  autosave_timer_->setInterval(kAutosaveMs);
  connect(autosave_timer_, &QTimer::timeout, this, &MainWindow::autosave);
  autosave_timer_->start();

  build_menus();
  for (QDockWidget* d : {model_dock, params_dock, jobs_dock, generate_dock_})
    view_menu_->addAction(d->toggleViewAction());
  build_interventions();
  add_help_menu(menuBar(), this);

  connect(model_panel_, &ModelPanel::hook_activated, this, &MainWindow::show_activation);
  // A queued run says so until the job runner starts it.
  connect(&jobs_, &JobRunner::started, this, [this](const QString& name) {
    for (auto& state : tabs_)
      if (state->queued && QString::fromStdString(state->tab->analysis().title) == name) {
        state->queued = false;
        state->tab->show_status(tr("running…"));
        break;
      }
  });

  connect(prompt_bar_, &PromptBar::prompt_changed, this, &MainWindow::retokenize);
  connect(prompt_bar_, &PromptBar::token_clicked, this, &MainWindow::token_clicked);
  connect(prompt_bar_, &PromptBar::span_changed, this, [this](int first, int last) {
    for (auto& state : tabs_) state->tab->focus_positions(first, last);
    if (first <= last) statusBar()->showMessage(tr("Views focus on positions %1–%2 (click a chip to show all)").arg(first).arg(last), 5000);
  });
  connect(tab_widget_, &QTabWidget::currentChanged, this, &MainWindow::current_tab_changed);
  connect(params_panel_, &ParamsPanel::inputs_changed, this, &MainWindow::params_changed);
  connect(params_panel_, &ParamsPanel::dataset_changed, this, [this](const QString& path) {
    if (TabState* state = current_state()) {
      datasets_[state->tab->analysis().needs.dataset_kind] = path;
      state->stale = true;
      state->tab->show_status(tr("data set changed: press Run"));
    }
  });
  connect(params_panel_, &ParamsPanel::run_requested, this, [this] {
    if (tab_widget_->currentIndex() >= 0) run_analysis(tab_widget_->currentIndex());
  });
  connect(rerun_, &QTimer::timeout, this, [this] {
    if (tab_widget_->currentIndex() >= 0) run_analysis(tab_widget_->currentIndex());
  });
  statusBar()->showMessage(tr("Open a model to begin (File ▸ Open model folder… or Open GGUF file…)"));
  update_title();
}

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  build_session_menu(file);
  file->addAction(tr("Open model &folder…"), QKeySequence(tr("Ctrl+Shift+F")), this, &MainWindow::choose_model_folder);
  file->addAction(tr("Open &GGUF file…"), QKeySequence(tr("Ctrl+Shift+O")), this, &MainWindow::choose_gguf_file);
  file->addAction(tr("Open from &Hugging Face cache…"), this, [this] {
    const std::string root = default_hf_cache_root();
    choose_from_catalog(tr("Open from Hugging Face cache"), root, list_hf_cache(root));
  });
  file->addAction(tr("Open from O&llama…"), this, [this] {
    const std::string root = default_ollama_root();
    choose_from_catalog(tr("Open from Ollama"), root, list_ollama(root));
  });
  fill_recent_menu(file->addMenu(tr("Recent &models")), "recent_models");
  file->addSeparator();
  file->addAction(tr("&Export current analysis (HDF5)…"), QKeySequence(tr("Ctrl+E")), this,
                  &MainWindow::export_current_analysis);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* device = menuBar()->addMenu(tr("&Device"));
  devices_ = new QActionGroup(this);
  QStringList names = {"cpu"};
  if (cuda_available()) names << "cuda";
  for (const QString& name : names) {
    QAction* a = device->addAction(name);
    a->setCheckable(true);
    a->setChecked(name == device_);
    devices_->addAction(a);
  }
  device->addSeparator();
  dtypes_ = new QActionGroup(this);
  for (const QString& name : {QStringLiteral("float32"), QStringLiteral("bfloat16")}) {
    QAction* a = device->addAction(tr("compute in %1").arg(name));
    a->setData(name);
    a->setCheckable(true);
    a->setChecked(name == dtype_);
    dtypes_->addAction(a);
  }
  device->addSeparator();
  device->addAction(tr("&Memory budget…"), this, &MainWindow::choose_memory_budget);
  connect(devices_, &QActionGroup::triggered, this, [this](QAction* a) { reload_with(a->text(), dtype_); });
  connect(dtypes_, &QActionGroup::triggered, this, [this](QAction* a) { reload_with(device_, a->data().toString()); });

  view_menu_ = menuBar()->addMenu(tr("&View"));
}

void MainWindow::choose_model_folder() {
  const QString dir =
      QFileDialog::getExistingDirectory(this, tr("Open model folder"), views::remembered_folder("model", GLASSBOX_RESOURCES));
  if (dir.isEmpty()) return;
  views::remember_folder("model", dir);
  open_model(dir);
}

void MainWindow::choose_gguf_file() {
  const QString file = QFileDialog::getOpenFileName(this, tr("Open GGUF model"),
                                                    views::remembered_folder("gguf", QDir::homePath()),
                                                    tr("GGUF models (*.gguf);;All files (*)"));
  if (file.isEmpty()) return;
  views::remember_folder("gguf", file);
  open_model(file);
}

void MainWindow::choose_from_catalog(const QString& title, const std::string& root,
                                     std::vector<CatalogEntry> entries) {
  CatalogDialog dialog(title, QString::fromStdString(root), std::move(entries), this);
  if (dialog.exec() == QDialog::Accepted && !dialog.chosen_path().isEmpty()) open_model(dialog.chosen_path());
}

void MainWindow::set_compute(const QString& device, const QString& dtype) {
  device_ = device;
  dtype_ = dtype;
  for (QAction* a : devices_->actions()) a->setChecked(a->text() == device_);
  for (QAction* a : dtypes_->actions()) a->setChecked(a->data().toString() == dtype_);
}

void MainWindow::reload_with(const QString& device, const QString& dtype) {
  const QString previous_device = device_, previous_dtype = dtype_;
  set_compute(device, dtype);
  if (!model_.model) return;
  // A failed reload (say, bfloat16 unsupported) restores the previous choice in the menus.
  auto restore = std::make_shared<QMetaObject::Connection>();
  *restore = connect(this, &MainWindow::model_failed, this, [this, previous_device, previous_dtype, restore] {
    set_compute(previous_device, previous_dtype);
    disconnect(*restore);
  });
  connect(this, &MainWindow::model_loaded, this, [restore] { QObject::disconnect(*restore); });
  open_model(QString::fromStdString(model_.dir));
}

void MainWindow::open_model(const QString& dir) {
  // A session belongs to one model: opening another one starts a new session.
  if (!restoring_ && !session_.runs.empty() &&
      QDir::cleanPath(QFileInfo(dir).absoluteFilePath()).toStdString() != session_.model.path) {
    if (!maybe_save()) return;
    session_ = Session{};
    session_path_.clear();
    set_modified(false);
  }
  jobs_.cancel_all();
  const std::string path = dir.toStdString(), device = device_.toStdString(), dtype = dtype_.toStdString();
  statusBar()->showMessage(tr("Loading %1…").arg(dir));
  jobs_.submit(
      tr("Load %1").arg(QDir(dir).dirName()), "model",
      [this, path, device, dtype](const Progress&) -> std::function<void()> {
        auto loaded = std::make_shared<LoadedModel>(load_model_for_gui(path, device, dtype));
        return [this, loaded] { apply_model(std::move(*loaded)); };
      },
      [this, dir](const QString& message, bool cancelled) {
        if (cancelled) return;
        statusBar()->showMessage(tr("Could not open %1").arg(dir));
        if (restoring_) {
          restore_read_only(tr("The session's model could not be opened (%1): showing the saved results, read-only.")
                                .arg(message));
          return;
        }
        if (interactive_) QMessageBox::critical(this, tr("Cannot open model"), message);
        emit model_failed(message);
      });
}

void MainWindow::apply_model(LoadedModel loaded) {
  model_ = std::move(loaded);
  ++generation_;
  read_only_ = false;
  if (!restoring_) session_.model = model_.described;
  remember_recent("recent_models", QString::fromStdString(model_.dir));
  update_title();
  const QDir dir(QString::fromStdString(model_.dir));
  model_panel_->show_model(model_);
  // Wide enough for the model's values (rotary dims, key/value heads), up to a quarter of the window.
  if (auto* model_dock = qobject_cast<QDockWidget*>(model_panel_->parentWidget());
      model_dock && model_dock->width() < model_panel_->content_width())
    resizeDocks({model_dock}, {std::min(model_panel_->content_width(), width() / 4)}, Qt::Horizontal);
  prompt_bar_->set_read_only(false);
  prompt_bar_->set_tokenizer_available(model_.has_tokenizer);
  edits_bar_->set_read_only(false);
  generate_panel_->clear();
  generate_panel_->fit_to_context(static_cast<int>(model_.info.n_ctx));
  // The data sets saved with the model, the first of each kind.
  datasets_.clear();
  for (const QString& csv : dir.entryList({"*.csv"}, QDir::Files, QDir::Name)) {
    const QString path = dir.filePath(csv);
    if (const auto kind = dataset_kind(path.toStdString())) datasets_.emplace(*kind, path);
  }
  rebuild_tabs();
  statusBar()->showMessage(tr("Loaded %1 (%2, %3 layers) on %4")
                               .arg(QString::fromStdString(model_.dir), QString::fromStdString(model_.info.family))
                               .arg(model_.info.n_layers)
                               .arg(QString::fromStdString(model_.device)));
  if (!model_.info.nonfinite_weights.empty())
    statusBar()->showMessage(
        QStringLiteral("⚠ %1").arg(QString::fromStdString(nonfinite_weights_message(model_.dir, model_.info.nonfinite_weights))));
  if (restoring_) {
    restore_views();
    const std::string mismatch = weights_mismatch(session_.model, model_.described);
    if (!mismatch.empty())
      show_banner(tr("%1. The results shown are the saved ones; Recompute reruns them on these weights.")
                      .arg(QString::fromStdString(mismatch)),
                  true);
  } else {
    resolve_edits(false);  // the resolved edits belong to the model
    retokenize();
  }
  emit model_loaded();
  if (restoring_) {
    restoring_ = false;
    emit session_opened();
  }
}

void MainWindow::rebuild_tabs() {
  // Keep the parameters the user set where the new model allows them.
  std::map<std::string, probes::ParamInputs> previous;
  for (const auto& state : tabs_) previous[state->tab->analysis().id] = state->inputs;
  const QString current = tab_widget_->currentIndex() >= 0 ? tab_widget_->tabText(tab_widget_->currentIndex()) : "";

  QSignalBlocker block(tab_widget_);
  clear_tabs();
  for (const probes::Analysis& analysis : probes::analyses()) {
    if (!probes::applies(analysis, model_.info)) continue;
    auto state = std::make_unique<TabState>();
    state->specs = analysis.params(model_.info);
    for (const probes::ParamSpec& spec : state->specs) {
      const bool token_text = spec.type == probes::ParamType::token && model_.has_tokenizer;
      state->inputs[spec.name] = {spec.default_input(), token_text};
      auto kept = previous.find(analysis.id);
      if (kept == previous.end() || !kept->second.count(spec.name)) continue;
      const std::string& text = kept->second.at(spec.name).text;
      bool number = false;
      const double value = QString::fromStdString(text).toDouble(&number);
      if (!spec.numeric() || (number && value >= spec.min && value <= spec.max)) state->inputs[spec.name].text = text;
    }
    add_tab(analysis, std::move(state));
  }
  for (int i = 0; i < tab_widget_->count(); ++i)
    if (tab_widget_->tabText(i) == current) tab_widget_->setCurrentIndex(i);
  block.unblock();
  if (tabs_.empty())
    params_panel_->clear(tr("No analyses apply to this model"));
  else
    current_tab_changed();
}

void MainWindow::clear_tabs() {
  while (tab_widget_->count() > 0) {
    QWidget* page = tab_widget_->widget(0);
    tab_widget_->removeTab(0);
    delete page;
  }
  tabs_.clear();
}

void MainWindow::add_tab(const probes::Analysis& analysis, std::unique_ptr<TabState> state) {
  state->tab = new AnalysisTab(analysis, tab_widget_);
  connect(state->tab, &AnalysisTab::hovered, this, [this](const QString& text) {
    if (text.isEmpty())
      statusBar()->clearMessage();
    else
      statusBar()->showMessage(text);
  });
  const int index = static_cast<int>(tabs_.size());
  connect(state->tab, &AnalysisTab::history_chosen, this, [this, index](int run) { show_run(index, run); });
  connect(state->tab, &AnalysisTab::compare_chosen, this,
          [this, index](int run) { compare_runs(index, run, tabs_[size_t(index)]->shown); });
  connect(state->tab, &AnalysisTab::ablate_head_requested, this, [this](const probes::HeadRef& head) {
    if (!read_only_) edits_bar_->ablate_head(head);
  });
  connect(state->tab, &AnalysisTab::head_link_requested, this, &MainWindow::show_head_in);
  state->tab->set_head_links(head_links());
  // The session's earlier results of this analysis.
  for (size_t i = 0; i < session_.runs.size(); ++i)
    if (session_.runs[i].analysis == analysis.id) state->runs.push_back(i);
  tab_widget_->addTab(state->tab, QString::fromStdString(analysis.title));
  tabs_.push_back(std::move(state));
  if (!tabs_.back()->runs.empty()) show_run(index, run_count(index) - 1);
}

std::vector<HeadLink> MainWindow::head_links() const {
  // Every analysis of this model that takes one head; the attention pattern (the click) first.
  std::vector<HeadLink> links;
  for (const probes::Analysis& analysis : probes::analyses()) {
    if (!probes::applies(analysis, model_.info)) continue;
    const QString title = QString::fromStdString(analysis.title);
    for (const probes::ParamSpec& spec : analysis.params(model_.info)) {
      if (spec.type != probes::ParamType::head) continue;
      const QString text = spec.name == "head" ? tr("%1 of %2").arg(title, "%1")
                                               : tr("%1 with %2 as “%3”").arg(title, "%1", QString::fromStdString(spec.label));
      HeadLink link{analysis.id, spec.name, text};
      if (analysis.id == "attention-pattern")
        links.insert(links.begin(), link);
      else
        links.push_back(link);
    }
  }
  return links;
}

void MainWindow::show_head_in(const probes::HeadRef& head, const HeadLink& link) {
  const int index = analysis_index(link.analysis);
  if (index < 0 || read_only_) return;
  set_parameter(index, link.param, QStringLiteral("%1:%2").arg(head.layer).arg(head.head));
  select_analysis(index);
  // A live analysis reran when its tab was shown; the others run now, as asked.
  if (!tabs_[size_t(index)]->tab->analysis().live) run_analysis(index);
}

void MainWindow::show_activation(const QString& hook) {
  const int index = analysis_index("activation");
  if (index < 0 || read_only_) return;
  set_parameter(index, "hook", hook);
  if (current_analysis() == index)
    run_analysis(index);
  else
    select_analysis(index);
}

int MainWindow::analysis_index(const std::string& id) const {
  for (size_t i = 0; i < tabs_.size(); ++i)
    if (tabs_[i]->tab->analysis().id == id) return static_cast<int>(i);
  return -1;
}

void MainWindow::set_prompt(const QString& text) { prompt_bar_->set_text(text); }

void MainWindow::retokenize() {
  if (!model_.model) return;
  try {
    prompt_ = tokenize_prompt(*model_.model, prompt_bar_->text().toStdString(), prompt_bar_->add_special_tokens());
  } catch (const std::exception& e) {
    statusBar()->showMessage(tr("Cannot tokenize: %1").arg(e.what()));
    prompt_ = Prompt{};
  }
  prompt_bar_->show_tokens(prompt_);
  highlight_position();
  for (auto& state : tabs_) {
    if (state->tab->analysis().needs.prompt == probes::Need::none) continue;
    state->stale = true;
    if (state->tab != tab_widget_->currentWidget() || !state->tab->analysis().live)
      state->tab->show_status(tr("prompt changed"));
  }
  TabState* current = current_state();
  if (current && current->tab->analysis().live) run_analysis(tab_widget_->currentIndex());
}

MainWindow::TabState* MainWindow::current_state() const {
  const int i = tab_widget_->currentIndex();
  return i >= 0 && i < analysis_count() ? tabs_[size_t(i)].get() : nullptr;
}

void MainWindow::select_analysis(int index) { tab_widget_->setCurrentIndex(index); }

int MainWindow::current_analysis() const { return tab_widget_->currentIndex(); }

QString MainWindow::dataset_for(const probes::Analysis& analysis) const {
  const auto it = datasets_.find(analysis.needs.dataset_kind);
  return it == datasets_.end() ? QString() : it->second;
}

void MainWindow::current_tab_changed() {
  TabState* state = current_state();
  if (!state) return;
  if (read_only_) {
    params_panel_->clear(tr("Read-only: the session's model is missing, so its analyses cannot run."));
    return;
  }
  params_panel_->show_analysis(state->tab->analysis(), state->specs, state->inputs,
                               dataset_for(state->tab->analysis()), model_.has_tokenizer);
  highlight_position();
  if (state->stale && state->tab->analysis().live && !restoring_) run_analysis(tab_widget_->currentIndex());
}

void MainWindow::set_parameter(int index, const std::string& key, const QString& text) {
  if (index < 0 || index >= analysis_count()) return;
  TabState* state = tabs_[size_t(index)].get();
  state->inputs[key].text = text.toStdString();
  state->stale = true;
  if (index == current_analysis()) current_tab_changed();
}

void MainWindow::params_changed(const probes::ParamInputs& inputs) {
  TabState* state = current_state();
  if (!state) return;
  state->inputs = inputs;
  state->stale = true;
  highlight_position();
  if (state->tab->analysis().live)
    rerun_->start();
  else
    state->tab->show_status(tr("parameters changed: press Run"));
}

void MainWindow::token_clicked(int position) {
  if (!params_panel_->set_number("position", position)) {
    statusBar()->showMessage(tr("This analysis has no position to choose"), 3000);
    highlight_position();
  }
}

void MainWindow::highlight_position() {
  // The chip of the current analysis' "position" parameter, if it has one.
  int position = -1;
  if (TabState* state = current_state()) {
    auto it = state->inputs.find("position");
    if (it != state->inputs.end()) {
      position = QString::fromStdString(it->second.text).toInt();
      if (position < 0) position += static_cast<int>(prompt_.ids.size());
    }
  }
  prompt_bar_->select_position(position);
}

void MainWindow::run_analysis(int index) {
  if (index < 0 || index >= analysis_count()) return;
  TabState* state = tabs_[size_t(index)].get();
  if (read_only_) {
    state->tab->show_status(tr("read-only: the session's model is missing"));
    return;
  }
  if (!model_.model) return;
  const probes::Analysis& analysis = state->tab->analysis();
  const QString title = QString::fromStdString(analysis.title);
  state->stale = false;
  const QString dataset = analysis.needs.dataset == probes::Need::none ? QString() : dataset_for(analysis);
  if (probes::needs_prompt(analysis, !dataset.isEmpty()) && prompt_.ids.empty()) {
    state->tab->show_message(tr("Type a prompt above to run %1.").arg(title));
    state->tab->show_status(QString());
    return;
  }
  if (analysis.needs.dataset == probes::Need::required && dataset.isEmpty()) {
    state->tab->show_message(tr("Choose a data set file (on the right) to run %1.").arg(title));
    state->tab->show_status(QString());
    return;
  }
  // Runs wait for the active edits to be resolved, and refuse edits that cannot be applied.
  if (edits_pending_) {
    state->stale = true;
    state->tab->show_status(tr("applying the edits…"));
    return;
  }
  if (!edits_error_.isEmpty()) {
    state->stale = true;
    state->tab->show_message(tr("The active edits cannot be applied:\n%1\nTurn them off or remove them.").arg(edits_error_));
    state->tab->show_status(tr("edits failed"));
    return;
  }
  const int64_t held = memory_estimate(*state);
  if (!within_memory_budget(*state, held)) return;
  const QString keeps = held > 0 ? tr(" (keeps about %1)").arg(QString::fromStdString(binary_size(held))) : QString();
  const AnalysisRequest request{&analysis, prompt_, dataset.toStdString(), state->inputs,
                                probes::enabled_edits(edits_bar_->edits()), resolved_};
  const QString with_edits = request.edits.empty() ? QString() : tr("with %1").arg(active_edit_labels());
  const uint64_t generation = generation_, id = ++state->request;
  std::shared_ptr<const Model> model = model_.model;
  const std::string model_dir = model_.dir;
  // Results land only if the model and this tab's request are still current.
  auto current = [this, generation, state, id] { return generation == generation_ && state->request == id; };
  state->queued = jobs_.busy();
  state->tab->show_status((state->queued ? tr("queued") : tr("running…")) + keeps);
  state->tab->set_computing(true);
  jobs_.submit(
      title, QString::fromStdString("analysis:" + analysis.id),
      [this, model, model_dir, request, state, current, with_edits](const Progress& progress) -> std::function<void()> {
        const std::string started = utc_timestamp();
        QElapsedTimer timer;
        timer.start();
        // An analysis that computes in parts (the logit lens on a long prompt) shows each as it arrives.
        Progress in_parts = progress;
        in_parts.partial = [this, state, current](const std::vector<Plot>& plots) {
          QMetaObject::invokeMethod(
              this,
              [state, current, plots] {
                if (!current()) return;
                state->tab->show_partial_results(plots);
                state->tab->show_status(tr("computing: the rest arrives in parts…"));
              },
              Qt::QueuedConnection);
        };
        auto run = std::make_shared<AnalysisRun>(gui::run_analysis(*model, model_dir, request, in_parts));
        const double seconds = timer.nsecsElapsed() * 1e-9;
        return [this, run, request, state, current, started, seconds, with_edits] {
          if (!current()) return;
          state->queued = false;
          const std::optional<NumericalFault> fault = run->numerical_fault;
          record_run(*state, request, std::move(*run), started, seconds);
          QStringList status;
          if (fault) status << QStringLiteral("⚠ ") + QString::fromStdString(fault_message(*fault));
          if (!with_edits.isEmpty()) status << with_edits;
          state->tab->show_status(status.join(", "));
        };
      },
      [state, current](const QString& message, bool cancelled) {
        if (!current()) return;
        state->queued = false;
        state->tab->set_computing(false);
        if (cancelled) {
          state->stale = true;
          state->tab->show_status(tr("cancelled"));
        } else {
          state->tab->show_message(tr("Could not compute this analysis:\n%1").arg(message));
          state->tab->show_status(tr("failed"));
        }
      });
}

namespace {

constexpr const char* kMemoryBudgetKey = "memory/budget";

int64_t memory_budget() {
  const std::string text = QSettings().value(kMemoryBudgetKey, kDefaultMemoryBudget).toString().toStdString();
  try {
    return parse_memory_budget(text, "memory budget");
  } catch (const Error&) {
    return parse_memory_budget(kDefaultMemoryBudget, "memory budget");
  }
}

}  // namespace

int64_t MainWindow::memory_estimate(const TabState& state) const {
  const probes::Analysis& analysis = state.tab->analysis();
  try {
    const probes::ParamValues values = probes::parse_params(state.specs, state.inputs, *model_.model, probes::Front::gui);
    return probes::analysis_memory_bytes(analysis, model_.model->info(), values, static_cast<int64_t>(prompt_.ids.size()));
  } catch (const Error&) {
    return 0;  // the run reports the bad parameter
  }
}

bool MainWindow::within_memory_budget(TabState& state, int64_t held) {
  const int64_t budget = memory_budget();
  if (held <= budget || held <= state.approved_bytes) return true;
  const QString title = QString::fromStdString(state.tab->analysis().title);
  const auto answer = QMessageBox::question(
      this, tr("Memory budget"),
      tr("%1 on %2 tokens keeps about %3 of activations, above the memory budget of %4 (Device ▸ Memory budget…).\n\n"
         "Run it anyway?")
          .arg(title)
          .arg(prompt_.ids.size())
          .arg(QString::fromStdString(binary_size(held)), QString::fromStdString(binary_size(budget))),
      QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
  if (answer == QMessageBox::Yes) {
    state.approved_bytes = held;
    return true;
  }
  state.stale = true;
  state.tab->show_status(tr("not run: above the memory budget"));
  return false;
}

void MainWindow::choose_memory_budget() {
  QSettings settings;
  bool ok = false;
  const QString text = QInputDialog::getText(
      this, tr("Memory budget"),
      tr("Largest amount of activations an analysis may keep before it asks\n(a share of RAM such as 25%, or a size such "
         "as 6G or 512M; this machine has %1):")
          .arg(QString::fromStdString(binary_size(physical_memory_bytes()))),
      QLineEdit::Normal, settings.value(kMemoryBudgetKey, kDefaultMemoryBudget).toString(), &ok);
  if (!ok) return;
  try {
    const int64_t bytes = parse_memory_budget(text.trimmed().toStdString(), "memory budget");
    settings.setValue(kMemoryBudgetKey, text.trimmed());
    statusBar()->showMessage(tr("Memory budget: %1").arg(QString::fromStdString(binary_size(bytes))), 5000);
  } catch (const Error& e) {
    QMessageBox::warning(this, tr("Memory budget"), QString::fromStdString(e.what()));
  }
}

void MainWindow::export_current_analysis() {
  TabState* state = current_state();
  if (!state || state->tab->plots().empty()) {
    QMessageBox::information(this, tr("Export"), tr("Run an analysis first; there is nothing to export yet."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Export analysis"),
      views::remembered_path("export", QString::fromStdString(state->tab->analysis().id) + ".h5", QDir::homePath()),
      tr("HDF5 (*.h5)"));
  if (path.isEmpty()) return;
  views::remember_folder("export", path);
  try {
    views::export_hdf5(path, state->tab->plots(), state->tab->meta());
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export failed"), QString::fromStdString(e.what()));
  }
}

}  // namespace glassbox::gui
