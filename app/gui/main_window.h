#pragma once
// The main window (docs/architecture.md#the-gui-main-window): the model on the left, analyses as tabs in
// the middle under the prompt bar, the selected analysis' parameters on the
// right, and the jobs panel at the bottom.
#include <QMainWindow>
#include <memory>
#include <vector>

#include "app/gui/backend.h"
#include "app/gui/jobs.h"
#include "core/catalog.h"

class QActionGroup;
class QTabWidget;
class QTimer;

namespace glassbox::gui {

class AnalysisTab;
class ModelPanel;
class ParamsPanel;
class PromptBar;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // interactive: report problems in message boxes (off for --screenshot runs).
  explicit MainWindow(bool interactive, QWidget* parent = nullptr);

  // Loads a model folder or .gguf file off the GUI thread; emits model_loaded or model_failed.
  void open_model(const QString& path);
  void set_prompt(const QString& text);
  // Device ("cpu", "cuda") and compute dtype for the next load.
  void set_compute(const QString& device, const QString& dtype);

  JobRunner& jobs() { return jobs_; }
  int analysis_count() const { return static_cast<int>(tabs_.size()); }
  AnalysisTab* analysis_tab(int index) const { return tabs_[size_t(index)]->tab; }
  void select_analysis(int index);
  void run_analysis(int index);

 signals:
  void model_loaded();
  void model_failed(const QString& message);

 private:
  struct TabState {
    AnalysisTab* tab = nullptr;
    std::vector<probes::ParamSpec> specs;
    probes::ParamInputs inputs;
    bool stale = true;      // prompt, parameters or model changed since the last run
    uint64_t request = 0;   // the newest run; older results are dropped
  };

  void build_menus();
  void apply_model(LoadedModel loaded);
  void rebuild_tabs();
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

  bool interactive_;
  JobRunner jobs_;
  LoadedModel model_;
  uint64_t generation_ = 0;  // counts loaded models; results of an older one are dropped
  QString device_ = "cpu", dtype_ = "float32";
  Prompt prompt_;
  QString dataset_;  // the data set file of analyses that take one
  std::vector<std::unique_ptr<TabState>> tabs_;

  ModelPanel* model_panel_;
  ParamsPanel* params_panel_;
  PromptBar* prompt_bar_;
  QTabWidget* tab_widget_;
  QTimer* rerun_;  // coalesces quick parameter changes into one run
  QActionGroup* devices_ = nullptr;
  QActionGroup* dtypes_ = nullptr;
  QMenu* view_menu_ = nullptr;
};

}  // namespace glassbox::gui
