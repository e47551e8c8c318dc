// The main window's interventions (docs/gui.md#interventions): the active
// edits every run uses (resolved once per change on the job runner), the
// Ablate… and Steer… dialogs that add them, and generation with and without them.
#include <QDockWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>
#include <nlohmann/json.hpp>

#include "app/gui/ablation_dialog.h"
#include "app/gui/analysis_tab.h"
#include "app/gui/edits_bar.h"
#include "app/gui/generate_panel.h"
#include "app/gui/main_window.h"
#include "app/gui/prompt_bar.h"
#include "app/gui/steering_dialog.h"
#include "core/error.h"

namespace glassbox::gui {

void MainWindow::build_interventions() {
  QMenu* menu = menuBar()->addMenu(tr("&Interventions"));
  menu->addAction(tr("&Ablate…"), QKeySequence(tr("Ctrl+Shift+A")), this, &MainWindow::open_ablation_dialog);
  menu->addAction(tr("&Steer…"), QKeySequence(tr("Ctrl+Shift+T")), this, &MainWindow::open_steering_dialog);
  menu->addSeparator();
  menu->addAction(tr("&Generate"), QKeySequence(tr("Ctrl+G")), this, &MainWindow::generate);
  menu->addAction(tr("Turn every edit &off"), this, [this] {
    for (int i = 0; i < int(edits_bar_->edits().size()); ++i) edits_bar_->set_enabled_at(i, false);
  });
  connect(edits_bar_, &EditsBar::edits_changed, this, &MainWindow::edits_changed);
  connect(edits_bar_, &EditsBar::ablate_requested, this, &MainWindow::open_ablation_dialog);
  connect(edits_bar_, &EditsBar::steer_requested, this, &MainWindow::open_steering_dialog);
  connect(generate_panel_, &GeneratePanel::generate_requested, this, &MainWindow::generate);
  connect(generate_panel_, &GeneratePanel::append_requested, this, [this](const Continuation& c) {
    // A model without a tokenizer is prompted with ids, so the ids are what gets appended.
    QString appended = QString::fromStdString(c.text);
    if (!model_.has_tokenizer) {
      QStringList ids;
      for (int64_t id : c.ids) ids << QString::number(id);
      appended = (prompt_bar_->text().trimmed().isEmpty() ? "" : ", ") + ids.join(", ");
    }
    prompt_bar_->set_text(prompt_bar_->text() + appended);
  });
}

void MainWindow::add_edit(probes::EditSpec edit) { edits_bar_->add_edit(std::move(edit)); }

QString MainWindow::active_edit_labels() const {
  QStringList labels;
  for (const probes::EditSpec& edit : probes::enabled_edits(edits_bar_->edits()))
    labels << QString::fromStdString(edit.label());
  return labels.join(", ");
}

void MainWindow::edits_changed() {
  set_modified(true);
  resolve_edits(true);
}

void MainWindow::mark_edited_tabs_stale(const QString& why) {
  for (auto& state : tabs_) {
    const probes::Needs& needs = state->tab->analysis().needs;
    if (needs.prompt == probes::Need::none && needs.dataset == probes::Need::none) continue;  // weights only
    state->stale = true;
    if (state->tab != tab_widget_->currentWidget() || !state->tab->analysis().live) state->tab->show_status(why);
  }
}

void MainWindow::resolve_edits(bool rerun) {
  const uint64_t id = ++edits_request_;
  resolved_.reset();
  edits_error_.clear();
  const std::vector<probes::EditSpec> enabled = probes::enabled_edits(edits_bar_->edits());
  // Reruns what the change made stale: every tab that runs the model when the
  // edits changed, else the current tab if it waited for them.
  auto rerun_waiting = [this, rerun] {
    if (rerun) mark_edited_tabs_stale(tr("edits changed"));
    TabState* current = current_state();
    if (current && current->stale && current->tab->analysis().live && !restoring_) run_analysis(current_analysis());
    if (generate_waiting_) {
      generate_waiting_ = false;
      generate();
    }
  };
  if (!model_.model || enabled.empty()) {
    edits_pending_ = false;
    edits_bar_->set_note(QString(), false);
    if (model_.model) rerun_waiting();
    return;
  }
  edits_pending_ = true;
  edits_bar_->set_note(tr("applying…"), false);
  std::shared_ptr<const Model> model = model_.model;
  const uint64_t generation = generation_;
  auto current = [this, id, generation] { return id == edits_request_ && generation == generation_; };
  jobs_.submit(
      tr("Apply %n edit(s)", nullptr, int(enabled.size())), "edits",
      [this, model, enabled, current, rerun_waiting](const Progress& progress) -> std::function<void()> {
        auto resolved = resolve_edits_for_gui(*model, enabled, progress);
        return [this, resolved, current, rerun_waiting] {
          if (!current()) return;
          resolved_ = resolved;
          edits_pending_ = false;
          edits_bar_->set_note(QString(), false);
          rerun_waiting();
        };
      },
      [this, current, rerun_waiting](const QString& message, bool cancelled) {
        if (!current()) return;
        edits_pending_ = false;
        // A cancelled resolution leaves the edits unapplied until they change or the model reloads.
        edits_error_ = cancelled ? tr("applying the edits was cancelled") : message;
        edits_bar_->set_note(edits_error_, true);
        statusBar()->showMessage(tr("The edits cannot be applied: %1").arg(edits_error_), 8000);
        rerun_waiting();
      });
}

void MainWindow::restore_edits(const nlohmann::json& window) {
  std::vector<probes::EditSpec> edits;
  if (window.contains("edits")) {
    try {
      edits = probes::edits_from_json(window["edits"], session_path_.toStdString() + ": window state");
    } catch (const Error& e) {
      statusBar()->showMessage(QString::fromStdString(e.what()));
    }
  }
  edits_bar_->restore(std::move(edits));
  resolve_edits(false);
}

void MainWindow::open_ablation_dialog() {
  if (!model_.model || read_only_) {
    statusBar()->showMessage(tr("Open a model to ablate its heads or neurons"), 4000);
    return;
  }
  // Mean ablation averages over the current analysis' data set, else over any the window has.
  QString dataset;
  if (const TabState* state = current_state()) dataset = dataset_for(state->tab->analysis());
  if (dataset.isEmpty() && !datasets_.empty()) dataset = datasets_.begin()->second;
  AblationDialog dialog(model_, prompt_, dataset, this);
  if (dialog.exec() == QDialog::Accepted && dialog.chosen_edit()) add_edit(*dialog.chosen_edit());
}

void MainWindow::open_steering_dialog() {
  if (!model_.model || read_only_) {
    statusBar()->showMessage(tr("Open a model to steer it"), 4000);
    return;
  }
  SteeringDialog dialog(model_, prompt_.add_special_tokens, jobs_, this);
  if (dialog.exec() == QDialog::Accepted && dialog.chosen_edit()) add_edit(*dialog.chosen_edit());
}

void MainWindow::generate() {
  generate_dock_->show();
  generate_dock_->raise();
  constexpr int kPanelHeight = 230;  // room for a few lines of both continuations
  if (generate_dock_->height() < kPanelHeight) resizeDocks({generate_dock_}, {kPanelHeight}, Qt::Vertical);
  if (!model_.model || read_only_) {
    generate_panel_->show_status(tr("Open a model to generate"));
    return;
  }
  if (prompt_.ids.empty()) {
    generate_panel_->show_status(tr("Type a prompt to continue"));
    return;
  }
  if (edits_pending_) {
    generate_waiting_ = true;
    generate_panel_->show_status(tr("applying the edits…"));
    return;
  }
  if (!edits_error_.isEmpty()) {
    generate_panel_->show_status(tr("The active edits cannot be applied: %1").arg(edits_error_));
    return;
  }
  const GenerateSettings settings = generate_panel_->settings();
  const Prompt prompt = prompt_;
  const QString labels = active_edit_labels();
  std::shared_ptr<const Model> model = model_.model;
  std::shared_ptr<const ResolvedEdits> resolved = resolved_;
  const uint64_t generation = generation_;
  generate_panel_->show_status(tr("generating…"));
  jobs_.submit(
      tr("Generate %n token(s)", nullptr, settings.max_new_tokens), "generate",
      [this, model, prompt, settings, resolved, labels, generation](const Progress& progress) -> std::function<void()> {
        auto continuations =
            std::make_shared<Continuations>(generate_for_gui(*model, prompt.ids, settings, resolved, progress));
        return [this, continuations, prompt, labels, generation] {
          if (generation == generation_) generate_panel_->show_continuations(prompt, *continuations, labels);
        };
      },
      [this](const QString& message, bool cancelled) {
        generate_panel_->show_status(cancelled ? tr("cancelled") : tr("Could not generate: %1").arg(message));
      });
}

}  // namespace glassbox::gui
