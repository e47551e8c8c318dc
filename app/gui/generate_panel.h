#pragma once
// Generate (docs/gui.md#interventions): the prompt continued by N tokens,
// greedy or sampled (temperature, top-p, seed), with the active edits and
// without them side by side; either continuation can be appended to the prompt.
#include <QWidget>

#include "app/gui/backend_interventions.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTextBrowser;

namespace glassbox::gui {

class GeneratePanel : public QWidget {
  Q_OBJECT

 public:
  explicit GeneratePanel(QWidget* parent = nullptr);

  GenerateSettings settings() const;
  // A default length that fits the model's context with a prompt (half of it, at most 20).
  void fit_to_context(int n_ctx);
  void set_settings(const GenerateSettings& settings);
  // The continuations of `prompt`; `edits`: the active edits' labels ("zero L9H6, steer L12 ×4").
  void show_continuations(const Prompt& prompt, const Continuations& continuations, const QString& edits);
  void show_status(const QString& text);
  void clear();
  const Continuations& continuations() const { return continuations_; }
  // What a pane shows, as plain text (the continuation only).
  QString edited_text() const;
  QString unedited_text() const;

 signals:
  void generate_requested();
  void append_requested(const Continuation& continuation);

 private:
  QSpinBox* tokens_;
  QComboBox* mode_;
  QDoubleSpinBox* temperature_;
  QDoubleSpinBox* top_p_;
  QSpinBox* seed_;
  QPushButton* generate_;
  QLabel* status_;
  QWidget* edited_pane_;
  QLabel* edited_title_;
  QTextBrowser* edited_;
  QLabel* unedited_title_;
  QTextBrowser* unedited_;
  QPushButton* append_edited_;
  QPushButton* append_unedited_;
  Continuations continuations_;
};

}  // namespace glassbox::gui
