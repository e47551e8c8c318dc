#pragma once
// The main window (docs/architecture.md#the-gui-main-window): the model on the left, analyses as tabs in
// the middle under the prompt bar, the selected analysis' parameters on the
// right, and the jobs panel at the bottom. Everything it shows is part of a
// session (docs/file-formats.md#session) that saves and reopens exactly.
#include <QMainWindow>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "app/gui/backend.h"
#include "app/gui/head_grid_view.h"
#include "app/gui/jobs.h"
#include "core/catalog.h"
#include "core/session.h"

class QActionGroup;
class QDockWidget;
class QLabel;
class QPushButton;
class QTabWidget;
class QTimer;

namespace glassbox::gui {

class AnalysisTab;
class EditsBar;
class GeneratePanel;
class ModelPanel;
class ParamsPanel;
class PromptBar;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // interactive: report problems in message boxes and ask before discarding
  // unsaved work (off for --screenshot runs and tests).
  explicit MainWindow(bool interactive, QWidget* parent = nullptr);

  // Loads a model folder or .gguf file off the GUI thread; emits model_loaded or model_failed.
  // A model other than the session's starts a new session.
  void open_model(const QString& path);
  void set_prompt(const QString& text);
  // Device ("cpu", "cuda") and compute dtype for the next load.
  void set_compute(const QString& device, const QString& dtype);

  JobRunner& jobs() { return jobs_; }
  const LoadedModel& loaded_model() const { return model_; }  // none yet: model is null
  int analysis_count() const { return static_cast<int>(tabs_.size()); }
  AnalysisTab* analysis_tab(int index) const { return tabs_[size_t(index)]->tab; }
  int analysis_index(const std::string& id) const;  // -1 when there is no such tab
  void select_analysis(int index);
  int current_analysis() const;
  void run_analysis(int index);
  // Sets a parameter of analysis `index` as typed in its panel (key: the parameter's name).
  void set_parameter(int index, const std::string& key, const QString& text);
  // Linked views: a head chosen in a layer × head grid shown in another analysis
  // (its attention pattern, head SVD, ...), and a hook point's activation (the model panel).
  void show_head_in(const probes::HeadRef& head, const HeadLink& link);
  void show_activation(const QString& hook);
  std::vector<HeadLink> head_links() const;

  // Sessions. open_session emits session_opened once its views are restored
  // (after the model loads, if it is there), or session_failed.
  void open_session(const QString& path);
  bool save_session(const QString& path);  // false (and a message) when it cannot write
  void new_session();
  const Session& session() const { return session_; }
  const QString& session_path() const { return session_path_; }
  bool read_only() const { return read_only_; }
  QString banner_text() const;
  // The history of analysis `index`: how many runs, which is shown, and choosing.
  int run_count(int index) const { return static_cast<int>(tabs_[size_t(index)]->runs.size()); }
  int shown_run(int index) const { return tabs_[size_t(index)]->shown; }
  void show_run(int index, int run);
  void compare_runs(int index, int before, int after);
  // Reruns every analysis that has a result; each tab then compares the old result with the new.
  void recompute_all();

  // Interventions (main_window_edits.cpp): the active edits every run uses,
  // the dialogs that add them, and generation with and without them.
  EditsBar* edits_bar() const { return edits_bar_; }
  GeneratePanel* generate_panel() const { return generate_panel_; }
  void add_edit(probes::EditSpec edit);
  // The enabled edits, resolved for the model; false while they are being resolved or could not be.
  bool edits_ready() const { return !edits_pending_ && edits_error_.isEmpty(); }
  void open_ablation_dialog();
  void open_steering_dialog();
  void generate();

  // Autosave: the recovery file of this window, written while there are unsaved changes.
  QString recovery_path() const;
  void set_autosave_interval(int ms);
  void autosave();
  // Recovery files left by windows that did not close (a crash or a kill).
  static QStringList orphaned_recovery_files();
  void restore_recovery(const QString& path);

 signals:
  void model_loaded();
  void model_failed(const QString& message);
  void session_opened();
  void session_failed(const QString& message);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  struct TabState {
    AnalysisTab* tab = nullptr;
    std::vector<probes::ParamSpec> specs;
    probes::ParamInputs inputs;
    bool stale = true;      // prompt, parameters or model changed since the last run
    uint64_t request = 0;   // the newest run; older results are dropped
    bool queued = false;    // submitted while another job ran; not started yet
    std::vector<size_t> runs;  // indices into session_.runs, oldest first
    int shown = -1;            // index into runs of the result on screen
    int recompute_from = -1;   // a Recompute compares its result with this run
    int compared_with = -1;    // the run shown beside `shown`, or -1
    int64_t approved_bytes = 0;  // run anyway up to this size, above the memory budget
  };

  void build_menus();
  // Bytes the analysis of `state` would keep on the current prompt (0: unknown), and
  // whether it may run: above the memory budget the user is asked.
  int64_t memory_estimate(const TabState& state) const;
  bool within_memory_budget(TabState& state, int64_t held);
  void choose_memory_budget();
  void apply_model(LoadedModel loaded);
  void rebuild_tabs();
  void clear_tabs();  // callers block the tab widget's signals
  void add_tab(const probes::Analysis& analysis, std::unique_ptr<TabState> state);
  void retokenize();
  void current_tab_changed();
  void params_changed(const probes::ParamInputs& inputs);
  void token_clicked(int position);
  void highlight_position();
  void export_current_analysis();
  void choose_model_folder();
  void choose_gguf_file();
  void choose_from_catalog(const QString& title, const std::string& root, std::vector<CatalogEntry> entries);
  void reload_with(const QString& device, const QString& dtype);
  TabState* current_state() const;
  QString dataset_for(const probes::Analysis& analysis) const;

  // Interventions (main_window_edits.cpp).
  void build_interventions();  // the menu, and the edits bar and generate panel wired up
  void edits_changed();
  // Resolves the enabled edits for the model on the job runner; then reruns
  // the current tab if `rerun` (the edits changed) or if it waited for them.
  void resolve_edits(bool rerun);
  void mark_edited_tabs_stale(const QString& why);
  QString active_edit_labels() const;
  // The chips saved in the window state (`window` is its parsed JSON), resolved when the model is open.
  void restore_edits(const nlohmann::json& window);

  // Sessions (main_window_session.cpp).
  void build_session_menu(QMenu* file);
  void record_run(TabState& state, const AnalysisRequest& request, AnalysisRun run, const std::string& started,
                  double seconds);
  void refresh_history(TabState& state);
  PlotMeta run_meta(const SessionRun& run) const;
  void restore_views();
  void restore_read_only(const QString& reason);
  std::string window_state() const;
  bool maybe_save();  // false: the user cancelled
  bool save();
  bool save_as();
  void set_modified(bool modified);
  void update_title();
  void show_banner(const QString& text, bool offer_recompute);
  void remember_recent(const QString& key, const QString& path);
  void fill_recent_menu(QMenu* menu, const QString& key);
  void open_dropped_or_chosen(const QString& path);

  bool interactive_;
  JobRunner jobs_;
  LoadedModel model_;
  uint64_t generation_ = 0;  // counts loaded models; results of an older one are dropped
  QString device_ = "cpu", dtype_ = "float32";
  Prompt prompt_;
  // The data set file of each kind, for the analyses that take one: the model
  // folder's (the two-hop toy models ship theirs), or the one chosen on the right.
  std::map<probes::DatasetKind, QString> datasets_;
  std::shared_ptr<const ResolvedEdits> resolved_;  // the enabled edits for model_; null when there are none
  bool edits_pending_ = false;   // being resolved: runs wait for them
  QString edits_error_;          // why the enabled edits cannot be applied; empty when they can
  uint64_t edits_request_ = 0;   // the newest resolution; older ones are dropped
  bool generate_waiting_ = false;  // Generate pressed while the edits were being resolved
  std::vector<std::unique_ptr<TabState>> tabs_;

  Session session_;
  QString session_path_;     // empty until saved or opened
  bool restoring_ = false;   // the model loading now belongs to a session being opened
  bool read_only_ = false;   // a session whose model is missing: saved results only
  bool recovered_ = false;   // the session came from a recovery file
  bool autosaved_ = true;    // the recovery file holds every change
  QTimer* autosave_timer_;
  // The recovery file being written off the GUI thread, from a copy of the session
  // (a session of long prompts holds gigabytes of plots: seconds to write).
  std::future<void> autosave_write_;
  void finish_autosave();  // waits for that write, before the file is removed or the window goes

  ModelPanel* model_panel_;
  ParamsPanel* params_panel_;
  PromptBar* prompt_bar_;
  EditsBar* edits_bar_;
  GeneratePanel* generate_panel_;
  QDockWidget* generate_dock_ = nullptr;
  QTabWidget* tab_widget_;
  QWidget* banner_;
  QLabel* banner_label_;
  QPushButton* recompute_button_;
  QTimer* rerun_;  // coalesces quick parameter changes into one run
  QActionGroup* devices_ = nullptr;
  QActionGroup* dtypes_ = nullptr;
  QMenu* view_menu_ = nullptr;
};

}  // namespace glassbox::gui
