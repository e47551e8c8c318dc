#pragma once
// The selected analysis' parameters as widgets built from its declaration in
// the registry, and a Run button. Widgets hold what the user typed; parsing
// happens with the run, by the same rules as the CLI.
#include <QWidget>
#include <map>

#include "app/gui/backend.h"

class QFormLayout;
class QLabel;
class QPushButton;

namespace glassbox::gui {

class ParamsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParamsPanel(QWidget* parent = nullptr);

  // Rebuilds the widgets for an analysis, showing `inputs` (and the data set
  // path when the analysis takes one).
  void show_analysis(const probes::Analysis& analysis, const std::vector<probes::ParamSpec>& specs,
                     const probes::ParamInputs& inputs, const QString& dataset, bool token_text);
  void clear(const QString& message);
  // Sets a number parameter (e.g. the position from a token chip) if shown; true if it was.
  bool set_number(const std::string& key, double value);
  probes::ParamInputs inputs() const { return inputs_; }

 signals:
  void inputs_changed(const probes::ParamInputs& inputs);
  void dataset_changed(const QString& path);
  void run_requested();

 private:
  void clear_form();
  void set_input(const std::string& key, const std::string& text);
  QWidget* dataset_editor(const QString& path, probes::DatasetKind kind);

  QLabel* title_;
  QLabel* description_;
  QWidget* form_widget_;
  QFormLayout* form_;
  QPushButton* run_;
  probes::ParamInputs inputs_;
  bool token_text_ = true;
  std::map<std::string, QWidget*> editors_;
};

}  // namespace glassbox::gui
